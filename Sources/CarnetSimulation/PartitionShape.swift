import CarnetCore
import CarnetTestKit

/// A directed link: traffic from one node to another.
public struct DirectedLink: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var from: Int
    public var to: Int

    public init(from: Int, to: Int) {
        self.from = from
        self.to = to
    }

    public static func < (lhs: DirectedLink, rhs: DirectedLink) -> Bool { (lhs.from, lhs.to) < (rhs.from, rhs.to) }
    public var description: String { "\(from)→\(to)" }
}

/// Which links a partition cuts. Cut links stall rather than drop: TCP keeps
/// retransmitting, so what was sent arrives after the partition heals, unless a session
/// timed out first and its connection was closed.
///
/// Nodes are numbered hubs first (0, or 0 and 1), then farms.
public enum PartitionShape: Sendable, Equatable, CustomStringConvertible {
    /// Each listed node is cut from every other node (one farm, the hub, a clogged node,
    /// a farm offline for days).
    case isolate([Int])
    /// No traffic between nodes of different groups (minority/majority, halves). Nodes in
    /// no group form one more group.
    case split([[Int]])
    /// Each node reaches only its two neighbours in this cyclic order (Jepsen's ring).
    case ring([Int])
    /// Traffic from any of `from` to any of `to` is lost; the other way passes
    /// (an asymmetric partition: connections cannot be set up, open ones stall).
    case oneWay(from: [Int], to: [Int])

    /// The directed links this partition cuts, in order.
    public func blockedLinks(nodeCount: Int) -> [DirectedLink] {
        var out: [DirectedLink] = []
        func add(_ a: Int, _ b: Int) {
            guard a != b, a < nodeCount, b < nodeCount else { return }
            out.append(DirectedLink(from: a, to: b))
        }
        switch self {
        case let .isolate(nodes):
            for node in nodes {
                for other in 0..<nodeCount where other != node {
                    add(node, other)
                    if !nodes.contains(other) { add(other, node) }
                }
            }
        case let .split(groups):
            var group = [Int](repeating: groups.count, count: nodeCount)
            for (index, members) in groups.enumerated() {
                for member in members where member < nodeCount { group[member] = index }
            }
            for a in 0..<nodeCount {
                for b in 0..<nodeCount where group[a] != group[b] { add(a, b) }
            }
        case let .ring(order):
            var neighbours = [[Int]](repeating: [], count: nodeCount)
            for (index, node) in order.enumerated() where node < nodeCount {
                let next = order[(index + 1) % order.count]
                let previous = order[(index + order.count - 1) % order.count]
                neighbours[node] = [next, previous]
            }
            for a in 0..<nodeCount {
                for b in 0..<nodeCount where a != b && !neighbours[a].contains(b) { add(a, b) }
            }
        case let .oneWay(from, to):
            for a in from {
                for b in to { add(a, b) }
            }
        }
        return Array(Set(out)).sorted()
    }

    public var description: String {
        switch self {
        case let .isolate(nodes): "isolate \(nodes)"
        case let .split(groups): "split \(groups)"
        case let .ring(order): "ring \(order)"
        case let .oneWay(from, to): "one-way \(from) ↛ \(to)"
        }
    }
}
