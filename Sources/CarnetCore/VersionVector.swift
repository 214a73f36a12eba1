/// For each node, the highest seq up to which a replica holds every seq.
///
/// Events are stored and sent in seq order per node, so this is an exact summary of what a
/// replica holds (apart from fork branches, which heads describe), and the delta to send a
/// peer is "for each node, the events after the peer's seq".
public struct VersionVector: Hashable, Sendable, CustomStringConvertible {
    private var seqs: [NodeID: UInt64] = [:]

    public init() {}

    public init(_ entries: [NodeID: UInt64]) {
        for (node, seq) in entries where seq > 0 { seqs[node] = seq }
    }

    public subscript(node: NodeID) -> UInt64 {
        get { seqs[node] ?? 0 }
        set {
            if newValue == 0 { seqs[node] = nil } else { seqs[node] = newValue }
        }
    }

    /// Nodes in id order: the only order that may reach an encoding, a digest or output.
    public var sortedEntries: [(node: NodeID, seq: UInt64)] {
        seqs.sorted { $0.key < $1.key }.map { (node: $0.key, seq: $0.value) }
    }

    public var nodes: [NodeID] { seqs.keys.sorted() }
    public var isEmpty: Bool { seqs.isEmpty }
    /// Total number of seqs covered: the number of events held when there is no fork.
    public var total: UInt64 { seqs.values.reduce(0, &+) }

    public func contains(_ dot: Dot) -> Bool { dot.seq <= self[dot.node] }

    /// Pointwise maximum.
    public mutating func merge(with other: VersionVector) {
        for (node, seq) in other.seqs where seq > self[node] { seqs[node] = seq }
    }

    public func merged(with other: VersionVector) -> VersionVector {
        var copy = self
        copy.merge(with: other)
        return copy
    }

    /// True when every seq in `other` is also covered here.
    public func dominates(_ other: VersionVector) -> Bool {
        other.seqs.allSatisfy { self[$0.key] >= $0.value }
    }

    public var description: String {
        "[" + sortedEntries.map { "\($0.node.short):\($0.seq)" }.joined(separator: ", ") + "]"
    }
}
