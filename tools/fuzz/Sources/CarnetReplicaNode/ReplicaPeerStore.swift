import CarnetCore
import CarnetSync
import CarnetWire
import Synchronization

/// A node's store in memory, for tests and the fuzz target: a replica behind the
/// `PeerStore` that `PeerDriver` runs on, with the node's news feed and fork rules as
/// `CarnetNode.SharedStore` has them. Several drivers may share one (a hub's sessions).
///
/// Events that show the node its own history forked make it continue under a new id,
/// linked by one event that is news, as `NodeStore.persist` does. A replica given holding
/// its own fork continues at the first events it takes in, not at once as `NodeStore` does
/// when it opens: as a node's store that took in its own fork through `refresh()`, a
/// continuation that adds no fork, which the driver must still tell the peer of.
///
/// `Sendable` without `@unchecked`: everything lives in a `Mutex` (never contended: a
/// test drives its sessions from one thread).
public final class ReplicaPeerStore: PeerStore, Sendable {

    private struct State {
        var replica: Replica
        var refusedNodes: Set<NodeID> = []
        var persistFailure: String?
        var persistedBatches = 0
        /// Events in the order the node learned them, and which session's peer sent them
        /// (0: none).
        var feed: [(event: Event, from: Int)] = []
        var cursors: [Int: Int] = [:]
        var wakes: [Int: @Sendable () -> Void] = [:]
        var nextSession = 1
        /// Its sessions' reservations (SPEC 8.3 rule 8), as `SharedStore` keeps them.
        var grants = GrantTable()
    }

    private let state: Mutex<State>
    public let ledger: String
    public let label: String

    public init(_ replica: Replica, ledger: String = "consortium", label: String = "replica") {
        state = Mutex(State(replica: replica))
        self.ledger = ledger
        self.label = label
    }

    /// A copy of the replica (cheap: copy-on-write storage).
    public var replica: Replica { state.withLock { $0.replica } }

    /// Batches stored for peers.
    public var persistedBatches: Int { state.withLock { $0.persistedBatches } }

    /// Batches with events of these nodes are refused (to test refusals).
    public var refusedNodes: Set<NodeID> {
        get { state.withLock { $0.refusedNodes } }
        set { state.withLock { $0.refusedNodes = newValue } }
    }

    /// When set, persisting fails with this reason (a full disk), storing nothing.
    public var persistFailure: String? {
        get { state.withLock { $0.persistFailure } }
        set { state.withLock { $0.persistFailure = newValue } }
    }

    /// Why persisting failed.
    public struct PersistFailure: Error, CustomStringConvertible {
        public var description: String

        public init(description: String) {
            self.description = description
        }
    }

    // MARK: - The node's own changes (news for every session)

    /// A local write, news for every live session.
    @discardableResult
    public func write(_ operation: Operation, wallMillis: UInt64) -> Event {
        let (event, wake) = state.withLock { state in
            let event = state.replica.write(operation, wallMillis: wallMillis)
            state.feed.append((event, 0))
            return (event, Array(state.wakes.values))
        }
        for notify in wake { notify() }
        return event
    }

    /// Events learned another way (another peer's session, another process): stored, and
    /// news for every live session. Returns how many were new.
    @discardableResult
    public func learn(_ events: [Event]) -> Int {
        let (new, wake) = state.withLock { state in
            let fresh = take(events, into: &state, from: 0)
            return (fresh, fresh > 0 ? Array(state.wakes.values) : [])
        }
        for notify in wake { notify() }
        return new
    }

    /// Applies what `events` adds to the replica, and keeps the signed heads that came
    /// with them (a signed ledger's batch; none in format 1), feeding the events as news
    /// from `session`; the link event of a node that finds its own history forked (and
    /// continues) is news too.
    private func take(_ events: [Event], heads: [SignedHead] = [], into state: inout State, from session: Int) -> Int {
        var seen = Set<EventID>()
        let fresh = events.filter { !state.replica.history.contains($0.id) && seen.insert($0.id).inserted }
        state.replica.admit(contentsOf: fresh)
        state.replica.keep(heads)
        state.feed += fresh.map { ($0, session) }
        if state.replica.hasForkedItself {
            let continued = NodeID.derived(from: "continued \(state.replica.node)")
            state.replica = state.replica.continuing(as: continued, wallMillis: 50_000)
            state.feed += state.replica.history.events(of: continued).map { ($0, session) }
        }
        return fresh.count
    }

    private func summaryMessage(_ replica: Replica, live: Bool) -> SummaryMessage {
        SummaryMessage(live: live, node: replica.node, ledger: ledger, label: label, summary: replica.compactSummary)
    }

    // MARK: - PeerStore

    public func register(live: Bool, wake: @escaping @Sendable () -> Void) -> (session: Int, summary: SummaryMessage, forks: Int) {
        state.withLock { state in
            let session = state.nextSession
            state.nextSession += 1
            state.cursors[session] = state.feed.count
            state.wakes[session] = wake
            return (session, summaryMessage(state.replica, live: live), state.replica.forks.count)
        }
    }

    public func unregister(_ session: Int) {
        state.withLock { state in
            state.cursors[session] = nil
            state.wakes[session] = nil
        }
    }

    public func chainEvents(of node: NodeID, endingAt endSeq: UInt64, count: Int) -> [Event]? {
        state.withLock { $0.replica.history.chainEvents(of: node, endingAt: endSeq, count: count) }
    }

    public func missingPlan(from peer: CompactSummary) -> MissingPlan {
        state.withLock { $0.replica.missingPlan(from: $0.replica.expand(peer)) }
    }

    public func refusal(of batch: SignedEvents) -> String? {
        state.withLock { state in
            batch.events.contains { state.refusedNodes.contains($0.dot.node) } ? "refused by test" : nil
        }
    }

    public func persist(_ batch: SignedEvents, fromSession session: Int) throws(PersistFailure) -> Int {
        let (new, wake) = try state.withLock { state throws(PersistFailure) in
            if let reason = state.persistFailure { throw PersistFailure(description: reason) }
            state.persistedBatches += 1
            let fresh = take(batch.events, heads: batch.heads, into: &state, from: session)
            return (fresh, fresh > 0 ? state.wakes.filter { $0.key != session }.map(\.value) : [])
        }
        for notify in wake { notify() }
        return new
    }

    public func news(for session: Int) -> [Event] {
        state.withLock { state in
            guard let cursor = state.cursors[session] else { return [] }
            state.cursors[session] = state.feed.count
            return state.feed[cursor...].filter { $0.from != session }.map(\.event)
        }
    }

    public func summaryIfForked(since forks: Int, live: Bool) -> (forks: Int, summary: SummaryMessage)? {
        state.withLock { state in
            let now = state.replica.forks.count
            return now > forks ? (now, summaryMessage(state.replica, live: live)) : nil
        }
    }

    public var summary: HistorySummary { state.withLock { $0.replica.summary } }

    /// Seqs reserved by this node's sessions and not yet brought.
    public var reservedSeqs: UInt64 { state.withLock { $0.grants.reservedCount } }

    public func grant(_ offer: [GrantRange], session: Int) -> (granted: [GrantRange], held: [GrantRange]) {
        state.withLock { state in
            let history = state.replica.history
            var nodes: [UInt64: NodeID] = [:]
            for node in history.nodeIDs { nodes[node.high] = node }
            for event in history.pendingEvents { nodes[event.dot.node.high] = event.dot.node }
            return state.grants.grant(offer, session: session) { range in
                nodes[range.node].map { history.holding(range, of: $0) } ?? []
            }
        }
    }

    public func release(_ events: [Event], session: Int) {
        state.withLock { state in
            for event in events { state.grants.release(node: event.dot.node.high, seqs: [event.dot.seq], session: session) }
        }
    }

    public func releaseGrants(session: Int) {
        state.withLock { $0.grants.releaseAll(session: session) }
    }

    public var node: NodeID { state.withLock { $0.replica.node } }
}
