import CarnetCore

/// Seqs of one node that an OFFER names and a GRANT reserves (SPEC 8.1, 8.3 rule 8):
/// `first...last` of the node whose compact prefix is `node`. The prefix, as in a compact
/// summary, because the receiver looks it up among the nodes it holds, and a node it does
/// not hold needs no full id to be granted (it holds none of its events).
///
/// In an OFFER, `lastHash` is the first 8 bytes of the hash of the range's last event, as
/// a compact summary names heads: the receiver holds the range when it holds that event
/// (on whichever branch). Seqs alone cannot say it: after a fork two events share a seq,
/// and a receiver that judged by the length of its chain would refuse the other branch,
/// the very events that reveal the fork. A GRANT's held ranges name their last event's
/// hash the same way, for the sender to check; its granted ranges carry none.
public struct GrantRange: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var node: UInt64
    public var first: UInt64
    public var last: UInt64
    public var lastHash: UInt64

    public init(node: UInt64, first: UInt64, last: UInt64, lastHash: UInt64 = 0) {
        precondition(first >= 1 && first <= last, "a range holds at least one seq from 1")
        self.node = node
        self.first = first
        self.last = last
        self.lastHash = lastHash
    }

    public var count: UInt64 { last - first + 1 }

    public func contains(_ seq: UInt64) -> Bool { first <= seq && seq <= last }

    public static func < (lhs: GrantRange, rhs: GrantRange) -> Bool {
        (lhs.node, lhs.first, lhs.last, lhs.lastHash) < (rhs.node, rhs.first, rhs.last, rhs.lastHash)
    }

    public var description: String { String(node, radix: 16) + ":\(first)-\(last)" }
}

/// The bodies of OFFER and GRANT: ranges in ascending order of node prefix, then first seq.
///
/// ```
/// OFFER = varint(count) { u64be(node prefix) varint(first) varint(last - first) u64be(last event's hash prefix) }
/// GRANT = varint(count) { u64be(node prefix) varint(first) varint(last - first) }     granted
///         varint(count) { u64be(node prefix) varint(first) varint(last - first) u64be(last event's hash prefix) }     held
/// ```
///
/// About 20 bytes an offered or held range, 11 a granted one: a farm's daily push is one. Ranges may overlap
/// (a forked node's branches share seqs); a receiver takes their union.
public enum GrantRanges {
    /// Most ranges in one list: far above any real offer (one range per node that
    /// changed), and with at most 36 bytes a range, within a frame. A sender with more
    /// offers them in several messages.
    public static let maxRanges = 16_384

    /// The highest seq a range may name: far above any chain.
    public static let maxSeq: UInt64 = 1 << 62

    public static func encode(_ ranges: [GrantRange], hashes: Bool, into writer: inout ByteWriter) {
        writer.varint(UInt64(ranges.count))
        for range in ranges {
            writer.uint64BigEndian(range.node)
            writer.varint(range.first)
            writer.varint(range.last - range.first)
            if hashes { writer.uint64BigEndian(range.lastHash) }
        }
    }

    /// Decodes and checks: a count within `maxRanges`, every first seq from 1, no range
    /// past `maxSeq`, ascending order.
    public static func decode(from reader: inout ByteReader, hashes: Bool) throws(WireError) -> [GrantRange] {
        let count = try reader.count(limit: maxRanges, "ranges")
        var ranges: [GrantRange] = []
        ranges.reserveCapacity(count)
        for _ in 0..<count {
            let start = reader.offset
            let node = try reader.uint64BigEndian()
            let first = try reader.varint()
            let span = try reader.varint()
            guard first >= 1, first <= maxSeq, span <= maxSeq - first else {
                throw .malformed("a range of seqs \(first) + \(span) (seqs run from 1 to 2^62)", at: start)
            }
            let range = GrantRange(node: node, first: first, last: first + span, lastHash: hashes ? try reader.uint64BigEndian() : 0)
            if let previous = ranges.last, (range.node, range.first) < (previous.node, previous.first) {
                throw .malformed("ranges out of order (\(range) after \(previous))", at: start)
            }
            ranges.append(range)
        }
        return ranges
    }
}
