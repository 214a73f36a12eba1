import CarnetCore
import CarnetSync
import CarnetSystem
import CarnetWire

/// One reservation table per node, shared by all the sessions of the process that owns
/// the store (SPEC 8.3 rule 8): a hub that two farms and another hub offer the same
/// events grants them to one session only, so each event reaches it once.
extension SharedStore {
    public func grant(_ offer: [GrantRange], session: Int) -> (granted: [GrantRange], held: [GrantRange]) {
        reservations.withTable { table in
            // Read under the table's lock: a batch stored meanwhile is held, or still reserved.
            let history = replica.history
            let prefixes = Set(offer.map(\.node))
            var nodes: [UInt64: NodeID] = [:]
            for node in history.nodeIDs where prefixes.contains(node.high) { nodes[node.high] = node }
            // A node of which only events waiting for a predecessor are here has no slot.
            if history.pendingCount > 0 {
                for event in history.pendingEvents where prefixes.contains(event.dot.node.high) { nodes[event.dot.node.high] = event.dot.node }
            }
            return table.grant(offer, session: session) { range in
                nodes[range.node].map { history.holding(range, of: $0) } ?? []
            }
        }
    }

    public func release(_ events: [Event], session: Int) {
        guard !events.isEmpty else { return }
        var byNode: [UInt64: [UInt64]] = [:]
        for event in events { byNode[event.dot.node.high, default: []].append(event.dot.seq) }
        reservations.withTable { table in
            for (node, seqs) in byNode { table.release(node: node, seqs: seqs, session: session) }
        }
    }

    public func releaseGrants(session: Int) {
        reservations.withTable { $0.releaseAll(session: session) }
    }

    /// Seqs reserved by this node's sessions and not yet brought (tests, reports).
    public var reservedSeqs: UInt64 { reservations.withTable { $0.reservedCount } }
}

/// A `GrantTable` behind its own lock, apart from the store's: granting reads the store,
/// releasing follows a persist, and neither holds the store's lock while it waits.
///
/// `@unchecked Sendable`: the table is only touched inside `lock.withLock`.
final class Reservations: @unchecked Sendable {
    private let lock = Lock()
    private var table = GrantTable()

    func withTable<T>(_ body: (inout GrantTable) -> T) -> T {
        lock.withLock { body(&table) }
    }
}
