import CarnetCore

/// A summary as it travels in a session: node ids and head hashes cut to their first 8
/// bytes (protocol/SPEC.md, "Compact summaries"). 21 nodes take about 430 bytes instead of
/// 1,200, which matters on a 64 kbit/s link.
///
/// Cutting is safe because each side only ever looks prefixes up among what it holds: a
/// node it does not hold needs no name (it has nothing to send of it), and a head it does
/// not hold stays unknown, which is what the difference rule needs. Two of one side's own
/// nodes sharing a prefix (odds 2^-64 per pair) would make that side refuse to sync with a
/// clear error rather than guess.
public struct CompactSummary: Hashable, Sendable {
    public struct Entry: Hashable, Sendable {
        public var node: UInt64
        public var seq: UInt64
        /// (seq, first 8 bytes of the hash), in ascending order.
        public var heads: [Head]

        public init(node: UInt64, seq: UInt64, heads: [Head]) {
            self.node = node
            self.seq = seq
            self.heads = heads
        }
    }

    public struct Head: Hashable, Sendable, Comparable {
        public var seq: UInt64
        public var hash: UInt64

        public init(seq: UInt64, hash: UInt64) {
            self.seq = seq
            self.hash = hash
        }

        public static func < (lhs: Head, rhs: Head) -> Bool { (lhs.seq, lhs.hash) < (rhs.seq, rhs.hash) }
    }

    /// By node prefix, ascending; no two entries share one.
    public private(set) var entries: [Entry]

    public init(entries: [Entry]) {
        var byNode: [UInt64: Entry] = [:]
        for entry in entries { byNode[entry.node] = entry }
        self.entries = byNode.keys.sorted().map { byNode[$0]! }
    }

    public init(_ summary: HistorySummary) {
        let nodes = Set(summary.versionVector.nodes).union(summary.heads.keys)
        self.init(entries: nodes.map { node in
            Entry(node: node.high, seq: summary.versionVector[node],
                  heads: (summary.heads[node] ?? []).map { Head(seq: $0.dot.seq, hash: $0.hash.w0) }.sorted())
        })
    }

    /// Binary search (entries are sorted): `delta(against:)` looks up every node of a
    /// peer's summary, up to `maxEntries` of them, and a linear search made that quadratic.
    public subscript(node: UInt64) -> Entry? {
        var low = 0, high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].node < node { low = middle + 1 } else { high = middle }
        }
        return low < entries.count && entries[low].node == node ? entries[low] : nil
    }

    /// The entries of `self` that differ from `base`, and an empty entry (seq 0, no heads)
    /// for each node of `base` that `self` lacks: what turns `base` into `self`.
    public func delta(against base: CompactSummary) -> CompactSummary {
        var changed = entries.filter { base[$0.node] != $0 }
        for entry in base.entries where self[entry.node] == nil {
            changed.append(Entry(node: entry.node, seq: 0, heads: []))
        }
        return CompactSummary(entries: changed)
    }

    /// `self` with the entries of `changed` put in (replacing those of the same node):
    /// one merge of two sorted lists, so that a peer's holdings, brought forward after
    /// every batch, cost the batch's nodes and one pass rather than a sort of 60,000.
    public func replacing(_ changed: [UInt64: Entry]) -> CompactSummary {
        guard !changed.isEmpty else { return self }
        let incoming = changed.keys.sorted()
        var merged: [Entry] = []
        merged.reserveCapacity(entries.count + incoming.count)
        var next = 0
        for entry in entries {
            while next < incoming.count, incoming[next] < entry.node {
                merged.append(changed[incoming[next]]!)
                next += 1
            }
            if next < incoming.count, incoming[next] == entry.node {
                merged.append(changed[incoming[next]]!)
                next += 1
            } else {
                merged.append(entry)
            }
        }
        for node in incoming[next...] { merged.append(changed[node]!) }
        var result = CompactSummary(entries: [])
        result.entries = merged
        return result
    }

    /// `self` with `delta` applied (the inverse of `delta(against:)`).
    public func applying(_ delta: CompactSummary) -> CompactSummary {
        var byNode: [UInt64: Entry] = [:]
        for entry in entries { byNode[entry.node] = entry }
        for entry in delta.entries {
            byNode[entry.node] = entry.seq == 0 && entry.heads.isEmpty ? nil : entry
        }
        return CompactSummary(entries: Array(byNode.values))
    }

    // MARK: - Encoding

    /// At most this many entries: far above any consortium; bounds a hostile count.
    public static let maxEntries = 65_536

    ///     compact = varint(n) n × ( u64be(node) varint(seq) varint(h) h × ( varint(zigzag(head seq − seq)) u64be(hash) ) )
    public func encode(into writer: inout ByteWriter) {
        writer.varint(UInt64(entries.count))
        for entry in entries {
            writer.uint64BigEndian(entry.node)
            writer.varint(entry.seq)
            writer.varint(UInt64(entry.heads.count))
            for head in entry.heads {
                let difference = Int64(bitPattern: head.seq &- entry.seq)
                writer.varint(UInt64(bitPattern: (difference << 1) ^ (difference >> 63)))
                writer.uint64BigEndian(head.hash)
            }
        }
    }

    public var encoded: [UInt8] {
        var writer = ByteWriter(capacity: 16 + entries.count * 24)
        encode(into: &writer)
        return writer.bytes
    }

    public static func decode(from reader: inout ByteReader) throws(WireError) -> CompactSummary {
        let count = try reader.count(limit: maxEntries, "summary entry count")
        // Each entry takes at least 10 bytes (node, seq, head count): a count the bytes
        // cannot hold is refused before anything is reserved for it.
        guard count <= reader.remaining / 10 else { throw .limitExceeded("summary entry count", at: reader.offset) }
        var entries: [Entry] = []
        entries.reserveCapacity(count)
        var previous: UInt64?
        for _ in 0..<count {
            let at = reader.offset
            let node = try reader.uint64BigEndian()
            if let previous, previous >= node { throw .malformed("summary entries out of order", at: at) }
            previous = node
            let seq = try reader.varint()
            let headCount = try reader.count(limit: SummaryCoding.maxHeadsPerNode, "head count")
            var heads: [Head] = []
            for _ in 0..<headCount {
                let zigzag = try reader.varint()
                let difference = Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1)
                let headSeq = seq &+ UInt64(bitPattern: difference)
                guard headSeq >= 1 else { throw .malformed("head at seq 0", at: reader.offset) }
                heads.append(Head(seq: headSeq, hash: try reader.uint64BigEndian()))
            }
            entries.append(Entry(node: node, seq: seq, heads: heads))
        }
        return CompactSummary(entries: entries)
    }
}

extension Replica {
    /// This replica's summary in compact form.
    public var compactSummary: CompactSummary { CompactSummary(summary) }

    /// A peer's compact summary in full, as far as this replica can name it: prefixes of
    /// nodes it holds become their ids, heads it holds become their ids; a head it does
    /// not hold becomes an id no event has (so it stays unknown, as it should); nodes it
    /// does not hold are left out (it has nothing of them to send).
    public func expand(_ compact: CompactSummary) -> HistorySummary {
        var byPrefix: [UInt64: NodeID] = [:]
        for node in history.nodeIDs { byPrefix[node.high] = node }
        var versionVector = VersionVector()
        var heads: [NodeID: [EventID]] = [:]
        for entry in compact.entries {
            guard let node = byPrefix[entry.node] else { continue }
            versionVector[node] = entry.seq
            heads[node] = entry.heads.map { head in
                let dot = Dot(node: node, seq: head.seq)
                if let event = history.events(of: node, at: head.seq).first(where: { $0.hash.w0 == head.hash }) {
                    return event.id
                }
                return EventID(dot: dot, hash: SHA256Digest(head.hash, 0, 0, 0))
            }
        }
        return HistorySummary(versionVector: versionVector, heads: heads)
    }

    /// True when two of this replica's nodes share a compact prefix (then compact
    /// summaries cannot name them apart).
    public var hasAmbiguousNodePrefixes: Bool {
        let nodes = history.nodeIDs
        return Set(nodes.map(\.high)).count != nodes.count
    }
}
