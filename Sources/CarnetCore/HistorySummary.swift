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
        let plan = missingPlan(from: peer)
        var out: [Event] = []
        for range in plan.ranges {
            out += history.chainEvents(of: range.node, after: range.after, max: Int(range.through - range.after))
        }
        return out + plan.branchEvents
    }

    /// The same difference as `eventsMissing(from:)`, described without copying events:
    /// ranges of each node's first branch, and the (rare) events of other branches. A
    /// server with hundreds of sessions holds these instead of hundreds of event arrays,
    /// and each session reads its batches from the store as it sends them.
    public func missingPlan(from peer: HistorySummary) -> MissingPlan {
        var plan = MissingPlan()
        // The peer's heads this history's chains hold, the cold ones read back together.
        let onChains = history.chainsContaining(peer.heads.values.joined())
        for node in history.nodeIDs {
            let peerHeads = peer.heads[node] ?? []
            let myHeads = history.heads(of: node)
            if Set(myHeads).isSubset(of: peerHeads) { continue }
            let peerSeq = peer.versionVector[node]
            let chainLength = history.chainLength(of: node)
            if myHeads.count == 1, let head = myHeads.first {
                if !history.branchedNodes.contains(node), peerHeads.allSatisfy(onChains.contains), peerSeq < head.dot.seq {
                    plan.add(ChainRange(node: node, after: peerSeq, through: chainLength))
                    plan.branchEvents += history.branchEvents(of: node).filter { $0.dot.seq > peerSeq }
                    continue
                }
                if peerSeq > head.dot.seq { continue }
            }
            let provenPrefix = peerHeads.filter(onChains.contains).map(\.dot.seq).max() ?? 0
            plan.add(ChainRange(node: node, after: provenPrefix, through: chainLength))
            plan.branchEvents += history.branchEvents(of: node)
        }
        return plan
    }
}

/// Events of one node's first branch: seqs `after + 1 ... through`.
public struct ChainRange: Hashable, Sendable {
    public var node: NodeID
    public var after: UInt64
    public var through: UInt64

    public init(node: NodeID, after: UInt64, through: UInt64) {
        self.node = node
        self.after = after
        self.through = through
    }

    public var count: UInt64 { through > after ? through - after : 0 }
}

/// What a peer lacks: ranges of first branches and the other branches' events.
public struct MissingPlan: Hashable, Sendable {
    public var ranges: [ChainRange] = []
    public var branchEvents: [Event] = []

    public init() {}

    mutating func add(_ range: ChainRange) {
        if range.count > 0 { ranges.append(range) }
    }

    public var eventCount: Int { ranges.reduce(0) { $0 + Int($1.count) } + branchEvents.count }
    public var isEmpty: Bool { ranges.isEmpty && branchEvents.isEmpty }
}
