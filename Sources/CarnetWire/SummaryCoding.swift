import CarnetCore

/// The binary form of a `HistorySummary`, shared by the session's summary message and the
/// store's status file (layout in protocol/SPEC.md, "Summaries"):
///
///     summary = varint(n) n × ( node(16) varint(seq) varint(h) h × ( varint(seq) hash(32) ) )
///
/// Nodes in id order, heads in id order: equal summaries encode to equal bytes.
public enum SummaryCoding {
    /// At most this many nodes in one summary: a session's bound (`SummaryParts.maxEntries`),
    /// so that the status file and a peer's remembered summary hold whatever a session
    /// takes in; far above any consortium, and a count the bytes cannot hold is refused.
    public static let maxNodes = SummaryParts.maxEntries
    /// Heads per node: one without a fork, two or three with one.
    public static let maxHeadsPerNode = 64

    public static func encode(_ summary: HistorySummary, into writer: inout ByteWriter) {
        let nodes = Set(summary.versionVector.nodes).union(summary.heads.keys).sorted()
        writer.varint(UInt64(nodes.count))
        for node in nodes {
            writer.nodeID(node)
            writer.varint(summary.versionVector[node])
            let heads = (summary.heads[node] ?? []).sorted()
            writer.varint(UInt64(heads.count))
            for head in heads {
                writer.varint(head.dot.seq)
                writer.digest(head.hash)
            }
        }
    }

    public static func encode(_ summary: HistorySummary) -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        encode(summary, into: &writer)
        return writer.bytes
    }

    public static func decode(from reader: inout ByteReader) throws(WireError) -> HistorySummary {
        let count = try reader.count(limit: maxNodes, "summary node count")
        var versionVector = VersionVector()
        var heads: [NodeID: [EventID]] = [:]
        var previous: NodeID?
        for _ in 0..<count {
            let at = reader.offset
            let node = try reader.nodeID()
            if let previous, !(previous < node) { throw .malformed("summary nodes out of order", at: at) }
            previous = node
            versionVector[node] = try reader.varint()
            let headCount = try reader.count(limit: maxHeadsPerNode, "head count")
            var nodeHeads: [EventID] = []
            nodeHeads.reserveCapacity(headCount)
            for _ in 0..<headCount {
                let seq = try reader.varint()
                guard seq >= 1 else { throw .malformed("head at seq 0", at: reader.offset) }
                let head = EventID(dot: Dot(node: node, seq: seq), hash: try reader.digest())
                // Sorted as the encoder writes them: one summary, one encoding.
                if let last = nodeHeads.last, !(last < head) { throw .malformed("summary heads out of order", at: reader.offset) }
                nodeHeads.append(head)
            }
            if !nodeHeads.isEmpty { heads[node] = nodeHeads }
        }
        return HistorySummary(versionVector: versionVector, heads: heads)
    }

    public static func decode(_ bytes: [UInt8]) throws(WireError) -> HistorySummary {
        var reader = ByteReader(bytes)
        let summary = try decode(from: &reader)
        guard reader.isAtEnd else { throw .malformed("\(reader.remaining) unexpected bytes after the summary", at: reader.offset) }
        return summary
    }
}
