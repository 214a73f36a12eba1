/// What a replica tells a peer about what it holds, in one message: its version vector and
/// the heads of every node. The version vector alone cannot show a fork (both branches
/// cover the same seqs); the heads can.
public struct HistorySummary: Hashable, Sendable {
    public var versionVector: VersionVector
    /// Per node, the held events that no held event follows, in id order.
    public var heads: [NodeID: [EventID]]

    public init(versionVector: VersionVector, heads: [NodeID: [EventID]]) {
        self.versionVector = versionVector
        self.heads = heads
    }
}

extension Replica {
    public var summary: HistorySummary {
        var heads: [NodeID: [EventID]] = [:]
        for node in history.nodeIDs { heads[node] = history.heads(of: node) }
        return HistorySummary(versionVector: versionVector, heads: heads)
    }

    /// The events a peer that sent `peer` lacks, node by node in an order it can apply.
    ///
    /// Per node: nothing when the peer holds all of this replica's heads. When this
    /// replica's history is one chain: the chain after the peer's seq if the peer is behind
    /// on that chain; nothing if the peer is ahead (it extends this chain, or it forked and
    /// will see this replica's head as unknown and send its own branch, after which the
    /// next rule applies). Otherwise the histories diverge: everything past the longest
    /// prefix the peer provably holds (a head on this chain proves its whole chain) is sent,
    /// with every branch event. Receivers drop duplicates, and forks are rare, so extra
    /// bytes appear only when a fork does; two exchanges always converge.
    public func eventsMissing(from peer: HistorySummary) -> [Event] {
        var out: [Event] = []
        for node in history.nodeIDs {
            let peerHeads = peer.heads[node] ?? []
            let myHeads = history.heads(of: node)
            if Set(myHeads).isSubset(of: peerHeads) { continue }
            let peerSeq = peer.versionVector[node]
            if myHeads.count == 1, let head = myHeads.first {
                if peerHeads.allSatisfy({ history.linearHistoryContains($0) }), peerSeq < head.dot.seq {
                    out.append(contentsOf: history.events(of: node, after: peerSeq))
                    continue
                }
                if peerSeq > head.dot.seq { continue }
            }
            let provenPrefix = peerHeads.filter { history.chainContains($0) }.map(\.dot.seq).max() ?? 0
            out.append(contentsOf: history.events(of: node, after: provenPrefix))
            out.append(contentsOf: history.branchEvents(of: node).filter { $0.dot.seq <= provenPrefix })
        }
        return out
    }
}
