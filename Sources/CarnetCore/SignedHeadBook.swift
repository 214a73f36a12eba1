/// The signed heads a replica keeps: enough to forward every chain it holds with the
/// signatures that vouch for it, without one signature per commit in memory.
///
/// Per node it keeps the highest head of each 1,024-seq bucket and every head that is
/// still the newest of its branch. A sender that must cut a long range of another node's
/// events into several batches cuts at kept heads, so no two cut points are more than
/// about 2,048 events apart; its own events it can sign at any point.
public struct SignedHeadBook: Sendable, Equatable {
    public static let bucketSize: UInt64 = 1_024
    private var byNode: [NodeID: [SignedHead]] = [:]

    public init() {}

    /// Every head kept, node by node in id order, each node's by seq.
    public var all: [SignedHead] {
        byNode.keys.sorted().flatMap { byNode[$0]! }
    }

    public var count: Int { byNode.values.reduce(0) { $0 + $1.count } }

    /// The heads kept for `node`, by seq (then hash).
    public func heads(of node: NodeID) -> [SignedHead] { byNode[node] ?? [] }

    /// The kept head over exactly this event, if any. A sender asks for every event it
    /// might cut after, and an adopted format-1 chain of a million events keeps a
    /// thousand heads: a binary search by seq, not a scan.
    public func head(at id: EventID) -> SignedHead? {
        guard let heads = byNode[id.dot.node] else { return nil }
        var low = 0, high = heads.count
        while low < high {
            let middle = (low + high) / 2
            if heads[middle].seq < id.dot.seq { low = middle + 1 } else { high = middle }
        }
        while low < heads.count, heads[low].seq == id.dot.seq {
            if heads[low].hash == id.hash { return heads[low] }
            low += 1
        }
        return nil
    }

    /// Keeps `head` (already verified by the caller), then drops what it makes redundant:
    /// lower heads of its bucket that are no longer the newest of their branch.
    /// `isBranchTip` says whether an event is still a head of its node's history.
    public mutating func keep(_ head: SignedHead, isBranchTip: (EventID) -> Bool) {
        var heads = byNode[head.node] ?? []
        guard !heads.contains(where: { $0.eventID == head.eventID }) else { return }
        let position = heads.firstIndex { ($0.seq, $0.hash) > (head.seq, head.hash) } ?? heads.count
        heads.insert(head, at: position)
        let bucket = head.seq / Self.bucketSize
        heads.removeAll { other in
            other.seq / Self.bucketSize == bucket && other.seq < head.seq && !isBranchTip(other.eventID)
        }
        byNode[head.node] = heads
    }
}
