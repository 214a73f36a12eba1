import CarnetCore
import CarnetSync
import CarnetWire

/// What a sync under a byte budget left for the next one (protocol/SPEC.md 8.3.9): this
/// node's own events the peer still lacks, and the events the peer holds that this node
/// lacks. Counted per node by sequence number against what the session knew the peer to
/// hold, so exact without forks (a forked node's second branch is not counted).
public struct SyncLeftovers: Sendable, Equatable {
    /// This node's events the peer lacked when the session began, and still lacks.
    public var ownToSend: UInt64
    public var ownLeft: UInt64
    /// Events the peer holds and this node does not.
    public var toReceive: UInt64

    public var isEmpty: Bool { ownLeft == 0 && toReceive == 0 }
    public var ownSent: UInt64 { ownToSend - min(ownToSend, ownLeft) }

    /// Nil when the session did not reach the point of knowing the peer (no SUMMARY).
    public init?(report: SessionReport, own: NodeID, holding: HistorySummary) {
        guard let first = report.peer, let now = report.peerHoldings else { return nil }
        let ownSeq = holding.versionVector[own]
        let atStart = first.form == .same ? ownSeq : (first.summary[own.high]?.seq ?? 0)
        ownToSend = ownSeq > atStart ? ownSeq - atStart : 0
        let held = now[own.high]?.seq ?? 0
        ownLeft = ownSeq > held ? ownSeq - held : 0
        var mine: [UInt64: UInt64] = [:]
        for (node, seq) in holding.versionVector.sortedEntries { mine[node.high] = max(mine[node.high] ?? 0, seq) }
        toReceive = now.entries.reduce(0) { sum, entry in
            sum + (entry.seq > (mine[entry.node] ?? 0) ? entry.seq - (mine[entry.node] ?? 0) : 0)
        }
    }
}
