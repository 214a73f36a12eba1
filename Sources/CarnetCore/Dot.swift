/// The position of an event in its author's history: `(node, seq)`, seq counting from 1
/// with no gaps. A dot alone does not identify an event once a node has forked; see
/// `EventID`.
public struct Dot: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var node: NodeID
    public var seq: UInt64

    public init(node: NodeID, seq: UInt64) {
        self.node = node
        self.seq = seq
    }

    public var description: String { "\(node.short):\(seq)" }

    public static func < (lhs: Dot, rhs: Dot) -> Bool {
        (lhs.node, lhs.seq) < (rhs.node, rhs.seq)
    }
}

/// An event's full identity: its dot and its content hash. Two events at one dot (a fork)
/// have different ids, so both can be kept as evidence.
public struct EventID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var dot: Dot
    public var hash: SHA256Digest

    public init(dot: Dot, hash: SHA256Digest) {
        self.dot = dot
        self.hash = hash
    }

    public var description: String { "\(dot)#\(hash.short)" }

    public static func < (lhs: EventID, rhs: EventID) -> Bool {
        (lhs.dot, lhs.hash) < (rhs.dot, rhs.hash)
    }
}
