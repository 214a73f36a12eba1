import CarnetCore
import CarnetTestKit
import CarnetWire

/// One simulated node: its durable state (`disk`), the replica it serves from, its
/// sessions and its dial schedule.
///
/// The replica only ever holds what is durable, as `NodeStore` does (it appends to its
/// log, fsyncs, then applies): a write or a received batch is applied when its fsync
/// completes. The operations here are the store's (`NodeStore.writeBatch`,
/// `NodeStore.receive`, opening) run on the real `Replica`.
public struct SimNode: Sendable {
    public enum Role: Sendable, Equatable {
        case hub
        case farm
    }

    public let index: Int
    public let role: Role
    public let label: String
    /// The replica, shared with the sessions' context providers.
    public let store: SimReplicaBox
    public internal(set) var disk: SimNodeDisk
    public internal(set) var isUp = true
    /// Bumped at every crash: what was scheduled for an earlier life is ignored.
    var incarnation = 0
    /// Open sessions, in connection order.
    var sessions: [SessionSlot] = []
    var dialLoops: [DialLoop] = []
    /// Copies of the durable state taken during the run (backups a restore goes back to).
    var backups: [SimNodeDisk.Contents] = []
    /// How wrong this node's wall clock is (the HLC must cope).
    let clockSkewMillis: Int64
    /// Session nonces and fresh node ids.
    var rng: SplitMix64
    /// The restore (in the tracker) whose id this node writes under now, if any.
    var restoreRecord: Int?
    /// When each event this node holds became durable here: tells a resend (the node held
    /// the event before its peer sent it) from a race (two peers sent it at once).
    var durableSince: [EventID: SimTime] = [:]
    /// Local writes durable since the server last refreshed (news for live sessions).
    var localNews: [Event] = []

    init(index: Int, role: Role, label: String, node: NodeID, fsyncTime: SimTime, clockSkewMillis: Int64, seed: UInt64) {
        self.index = index
        self.role = role
        self.label = label
        store = SimReplicaBox(Replica(node: node))
        disk = SimNodeDisk(node: node, fsyncTime: fsyncTime)
        self.clockSkewMillis = clockSkewMillis
        rng = SplitMix64(seed: seed)
    }

    public var replica: Replica { store.replica }
    /// The id this node writes under now.
    public var nodeID: NodeID { disk.node }

    /// The node's wall clock at virtual time `now`: a fixed epoch, plus its skew.
    func wallMillis(_ now: SimTime) -> UInt64 {
        UInt64(max(0, 1_780_000_000_000 + now.milliseconds + clockSkewMillis))
    }

    /// What this node tells a peer after authentication (`SharedStore.summaryMessage`).
    func summaryMessage(live: Bool) -> SummaryMessage {
        let summary = store.with { $0.compactSummary }
        return SummaryMessage(live: live, node: disk.node, ledger: "sim", label: label, summary: summary)
    }

    func slotIndex(_ connection: ConnectionID) -> Int? {
        sessions.firstIndex { $0.connection == connection }
    }

    // MARK: - The store's operations

    /// A local write reached the disk: its event is made and applied now.
    mutating func materialize(_ operation: SimOperation, now: SimTime) -> Event {
        let wall = wallMillis(now)
        let event = store.with { replica -> Event in
            switch operation {
            case let .assign(key, value): replica.assign(key, value, wallMillis: wall)
            case let .append(entry): replica.write(.append(entry), wallMillis: wall)
            }
        }
        disk.append([event])
        durableSince[event.id] = now
        return event
    }

    /// A peer's batch reached the disk (`SharedStore.receive` over `NodeStore.receive`):
    /// the events new here are logged and applied. Returns them, whether they revealed a
    /// fork, and the link event when this node learned that its own history forked and
    /// continued under a new id.
    mutating func persistBatch(_ events: [Event], now: SimTime) -> (fresh: [Event], revealedFork: Bool, continuation: [Event]) {
        let (fresh, forksBefore) = store.with { replica -> ([Event], Int) in
            let before = replica.forks.count
            var seen = Set<EventID>()
            let fresh = events.filter { !replica.history.contains($0.id) && seen.insert($0.id).inserted }
            replica.receive(contentsOf: fresh)
            return (fresh, before)
        }
        guard !fresh.isEmpty else { return ([], false, []) }
        disk.append(fresh)
        for event in fresh { durableSince[event.id] = now }
        let continuation = continueIfForkedItself(wallMillis: store.with { $0.clock.last.physical }, now: now)
        let revealed = store.with { $0.forks.count } > forksBefore
        return (fresh, revealed, continuation)
    }

    /// `NodeStore`'s rule: a node that holds a fork of its own history stops using its id
    /// and continues under a fresh one, linked to the old. Returns the link event.
    mutating func continueIfForkedItself(wallMillis: UInt64, now: SimTime) -> [Event] {
        guard store.with({ $0.hasForkedItself }) else { return [] }
        let fresh = NodeID(using: &rng)
        let link = store.with { replica -> [Event] in
            let next = replica.continuing(as: fresh, wallMillis: wallMillis)
            replica = next
            return next.history.events(of: fresh)
        }
        disk.append(link)
        disk.setNode(fresh)
        for event in link { durableSince[event.id] = now }
        return link
    }

    /// The process dies: sessions and queued writes are gone. Returns the write that was
    /// being synced, which the caller may still make durable.
    mutating func crash() -> SimNodeDisk.Record? {
        isUp = false
        incarnation += 1
        sessions = []
        localNews = []
        for index in dialLoops.indices {
            dialLoops[index].connection = nil
            dialLoops[index].token += 1
            dialLoops[index].nextAt = nil
        }
        return disk.crash()
    }

    /// Opening the store: the replica is rebuilt from the durable log alone (and
    /// continues under a new id if its own history forked). Returns the link event.
    mutating func reopen(now: SimTime) -> [Event] {
        var replica = Replica(node: disk.node)
        replica.receive(contentsOf: disk.contents.log)
        store.replace(with: replica)
        isUp = true
        return continueIfForkedItself(wallMillis: wallMillis(now), now: now)
    }
}
