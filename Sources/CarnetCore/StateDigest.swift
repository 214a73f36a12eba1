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
        var hasher = SHA256()
        var writer = ByteWriter(capacity: 4096)
        func flush(_ force: Bool = false) {
            if force || writer.count >= 4096 {
                writer.bytes.withUnsafeBytes { hasher.update($0) }
                writer = ByteWriter(capacity: 4096)
            }
        }
        writer.raw(Array("carnet-state/3".utf8))
        let nodes = history.nodeIDs
        writer.varint(UInt64(nodes.count))
        for node in nodes {
            writer.nodeID(node)
            writer.varint(history.versionVector[node])
            let heads = history.heads(of: node)
            writer.varint(UInt64(heads.count))
            for head in heads { writer.canonicalEventID(head) }
            flush()
        }
        flush(true)
        return hasher.finalize()
    }
}
