import CarnetCore
import CarnetTestKit

/// The quiet after the heal: when the nodes have converged, and what to show when they
/// have not.
extension Simulation {
    /// True when every node is up, idle on disk, and holds the same events (equal version
    /// vectors and heads: no node lacks anything).
    var isConverged: Bool {
        guard nodes.allSatisfy({ $0.isUp && $0.inFlight == nil }) else { return false }
        let first = nodes[0].store?.summary
        return nodes.dropFirst().allSatisfy { node in node.store?.summary == first }
    }

    /// Stops once every node holds the same events. If the quiet after the heal runs out
    /// first, every connection is reset once (as a network blip would) and the nodes get
    /// as long again: converging then shows that only sessions planned earlier were stuck.
    mutating func checkConvergence() {
        guard let healTime, convergedAt == nil else { return }
        if isConverged {
            convergedAt = now
            scheduler.schedule(.stop, after: Self.settleTime)
        } else if reconnectedAt == nil && now - healTime > plan.quiesceLimit {
            trace("not converged: resetting every connection once")
            reconnectedAt = now
            for node in nodes.indices {
                while !nodes[node].sessions.isEmpty {
                    nodes[node].sessions[0].transportFailure = "reset by the convergence check"
                    finish(node, 0)
                }
            }
            scheduler.schedule(.checkConvergence, after: .seconds(10))
        } else if let reconnectedAt, now - reconnectedAt > plan.quiesceLimit {
            finished = true
        } else {
            scheduler.schedule(.checkConvergence, after: .seconds(10))
        }
    }

    /// "ab12cd34:3-9,12" per writer: which events a batch held, for traces.
    static func ranges(_ events: [Event]) -> String {
        var parts: [String] = []
        var index = 0
        while index < events.count {
            let node = events[index].dot.node
            var seqs: [UInt64] = []
            while index < events.count, events[index].dot.node == node {
                seqs.append(events[index].dot.seq)
                index += 1
            }
            parts.append("\(node.short):\(seqs.first!)-\(seqs.last!)(\(seqs.count))")
        }
        return parts.joined(separator: " ")
    }

    /// Per node, its event count and version vector: what a non-convergence report shows.
    var divergence: String {
        nodes.map { node in
            let replica = node.replica
            return "\(node.label)\(node.isUp ? "" : "(down)"): \(replica.eventCount) events, vv \(replica.versionVector), \(node.sessions.count) sessions, \(node.inFlight == nil ? "idle" : "syncing"), \(node.inputs.count) inputs waiting"
        }.joined(separator: "; ")
    }
}
