/// The canonical digest of a replica: of the accepted events it has admitted, named by
/// each node's version and heads (protocol/SPEC.md §5, `"carnet-state/3"`). Equal on two
/// replicas exactly when they have admitted the same accepted events.
///
/// Why the heads are enough: an event is accepted only when its predecessor is (§4), so
/// every accepted event lies on the `previous` hash chain below one of its node's heads,
/// and a head's hash commits to that whole chain. The registers and entries are functions
/// of the accepted set, so version 2, which hashed them too (every entry id sorted),
/// distinguished nothing more and cost the whole history on every write. This costs the
/// number of nodes and heads.
///
/// Events held aside (pending: a gap, or a previous hash no held event has) are left out.
/// They change no state and no session sends them, so counting them would let one peer's
/// broken or hostile event keep a node's digest apart from every other node's forever
/// (I2), and change the digest of a node that refused them as state (T5). The store
/// reports their number beside the digest.
///
/// Nodes are hashed in id order and each node's heads in (seq, hash) order: no dictionary
/// order reaches the digest.
extension Replica {
    public var digest: SHA256Digest {
        StateDigest.of(nodes: history.nodeIDs, seq: { history.versionVector[$0] }, heads: { history.heads(of: $0) })
    }
}

extension HistorySummary {
    /// The state digest of the replica this summary describes (its heads name every
    /// accepted event, above): what a writer that never loads the replica (`StoreAppender`)
    /// keeps the status file's digest with. Equal to the replica's while no event waits: a
    /// node of waiting events alone is in the replica's digest, with no heads, and not in
    /// a summary read back (`SummaryCoding` keeps nodes with heads).
    public var stateDigest: SHA256Digest {
        StateDigest.of(nodes: heads.keys.sorted(), seq: { versionVector[$0] }, heads: { heads[$0] ?? [] })
    }
}

/// The bytes of the digest, written once for a replica and for a summary.
enum StateDigest {
    static func of(nodes: [NodeID], seq: (NodeID) -> UInt64, heads: (NodeID) -> [EventID]) -> SHA256Digest {
        var hasher = SHA256()
        var writer = ByteWriter(capacity: 4096)
        func flush(_ force: Bool = false) {
            if force || writer.count >= 4096 {
                writer.bytes.withUnsafeBytes { hasher.update($0) }
                writer = ByteWriter(capacity: 4096)
            }
        }
        writer.raw(Array("carnet-state/3".utf8))
        writer.varint(UInt64(nodes.count))
        for node in nodes {
            writer.nodeID(node)
            writer.varint(seq(node))
            let heads = heads(node)
            writer.varint(UInt64(heads.count))
            for head in heads { writer.canonicalEventID(head) }
            flush()
        }
        flush(true)
        return hasher.finalize()
    }
}
