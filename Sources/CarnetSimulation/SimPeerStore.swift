import CarnetCore
import CarnetNode
import CarnetSync
import CarnetWire
import Synchronization

/// The node's `SharedStore` as its sessions' driver sees it, observed: every call is
/// forwarded unchanged, and each persist is recorded with what it did (the events new
/// here, and the link event when the node continued under a new id), for the
/// simulation's accounting. No policy lives here: the answers are the store's.
///
/// `Sendable` without `@unchecked`: the store is, and the records live in a `Mutex` (the
/// simulation is single-threaded, so it is never contended).
final class SimPeerStore: PeerStore, Sendable {
    typealias PersistFailure = NodeError

    /// One persist the driver made, in order.
    struct Persisted: Sendable {
        var feed: Int
        var events: [Event]
        /// The events of the batch this node did not hold before, each once.
        var fresh: [Event]
        /// The link event, when the batch showed the node its own history forked.
        var link: [Event]
    }

    let store: SharedStore
    private let records = Mutex<[Persisted]>([])

    init(_ store: SharedStore) {
        self.store = store
    }

    /// The persists made since the last call, handed over once.
    func takePersisted() -> [Persisted] {
        records.withLock { records in
            defer { records = [] }
            return records
        }
    }

    func register(live: Bool, wake: @escaping @Sendable () -> Void) -> (session: Int, summary: SummaryMessage, forks: Int) {
        store.register(live: live, wake: wake)
    }

    func unregister(_ session: Int) { store.unregister(session) }

    func chainEvents(of node: NodeID, endingAt endSeq: UInt64, count: Int) -> [Event]? {
        store.chainEvents(of: node, endingAt: endSeq, count: count)
    }

    func missingPlan(from peer: CompactSummary) -> MissingPlan { store.missingPlan(from: peer) }

    var node: NodeID { store.node }

    var signsBatches: Bool { store.signsBatches }

    var ledgerID: LedgerID? { store.ledgerID }

    func signedHead(at id: EventID) -> SignedHead? { store.signedHead(at: id) }

    func chainToSignedHead(after id: EventID) -> (events: [Event], head: SignedHead)? { store.chainToSignedHead(after: id) }

    func refusal(of batch: SignedEvents) -> String? { store.refusal(of: batch) }

    var deviceKey: NodeKey? { store.deviceKey }

    func signWithDevice(_ message: [UInt8]) -> [UInt8]? { store.signWithDevice(message) }

    func declaredKey(of node: NodeID) -> NodeKey? { store.declaredKey(of: node) }

    func persist(_ batch: SignedEvents, fromSession session: Int) throws(NodeError) -> Int {
        let events = batch.events
        let fresh = Self.unheld(events, by: store)
        let before = store.identity.node
        let new = try store.persist(batch, fromSession: session)
        let after = store.identity.node
        let link = after == before ? [] : store.replica.history.events(of: after)
        records.withLock { $0.append(Persisted(feed: session, events: events, fresh: fresh, link: link)) }
        return new
    }

    func news(for session: Int) -> [Event] { store.news(for: session) }

    func summaryIfForked(since forks: Int, live: Bool) -> (forks: Int, summary: SummaryMessage)? {
        store.summaryIfForked(since: forks, live: live)
    }

    var summary: HistorySummary { store.summary }

    func grant(_ offer: [GrantRange], session: Int) -> (granted: [GrantRange], held: [GrantRange]) {
        store.grant(offer, session: session)
    }

    func release(_ events: [Event], session: Int) { store.release(events, session: session) }

    func releaseGrants(session: Int) { store.releaseGrants(session: session) }

    /// The events of `events` the store does not hold, each once. (A function of its own
    /// so that the copy of the replica it reads is gone before the store changes: kept,
    /// it would make the store copy its whole history on the next write.)
    static func unheld(_ events: [Event], by store: SharedStore) -> [Event] {
        let replica = store.replica
        var seen = Set<EventID>()
        return events.filter { !replica.history.contains($0.id) && seen.insert($0.id).inserted }
    }
}

/// Where a driver writes: each `send` (one frame) kept apart, so that the simulation sees
/// frame types and delivers them over its links when the call's fsync is done.
/// A frame a session wrote, with what it carries (from the session's `sentLog`: in
/// version 2 the message type travels encrypted, so the bytes no longer say it).
struct SimFrame: Sendable {
    var bytes: [UInt8]
    /// The message's type; nil when the session's log did not cover the frame.
    var type: FrameType?
    var ack: AckMessage?
}

struct SimTransport: PeerTransport {
    var frames: [[UInt8]] = []

    mutating func send(_ bytes: [UInt8]) throws(PeerTransportFailure) {
        frames.append(bytes)
    }
}

/// Fresh node ids for a store, from the node's seed.
final class SimNodeIDs: Sendable {
    private let random: Mutex<SplitMix64>

    init(seed: UInt64) {
        random = Mutex(SplitMix64(seed: seed))
    }

    func next() -> NodeID {
        random.withLock { NodeID(using: &$0) }
    }
}

/// A node's wall clock as its store reads it (to reopen itself): set by the simulation
/// before each call into the node.
final class SimWallClock: Sendable {
    private let value = Mutex<UInt64>(0)

    var millis: UInt64 { value.withLock { $0 } }

    func set(_ millis: UInt64) {
        value.withLock { $0 = millis }
    }
}

/// The sessions a store woke (its `register(live:wake:)` callbacks), in order.
final class SimWakes: Sendable {
    private let woken = Mutex<[ConnectionID]>([])

    func wake(_ connection: ConnectionID) {
        woken.withLock { $0.append(connection) }
    }

    func take() -> [ConnectionID] {
        woken.withLock { woken in
            defer { woken = [] }
            return woken
        }
    }
}
