/// The canonical digest of a replica: of the events it has admitted (per-node version and
/// heads) and of the state materialized from them (every register's live values, every
/// entry's id). Equal on two replicas exactly when they have admitted the same events.
///
/// Events held aside (pending: a gap, or a previous hash no held event has) are left out.
/// They change no state and no session sends them, so counting them would let one peer's
/// broken or hostile event keep a node's digest apart from every other node's forever
/// (I2), and change the digest of a node that refused them as state (T5). The store
/// reports their number beside the digest.
///
/// Everything is sorted before it is hashed: no dictionary order reaches the digest.
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
        writer.raw(Array("carnet-state/2".utf8))
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
        let keys = registers.keys.sorted()
        writer.varint(UInt64(keys.count))
        for key in keys {
            writer.string(key.record.type)
            writer.string(key.record.id)
            writer.string(key.field)
            let values = registers[key]!.values
            writer.varint(UInt64(values.count))
            for value in values {
                writer.canonicalEventID(value.id)
                writer.canonicalValue(value.value)
            }
            flush()
        }
        var entries: [(id: String, event: EventID)] = []
        entries.reserveCapacity(history.count)
        history.forEachEvent { event in
            if case let .append(entry) = event.operation { entries.append((entry.id, event.id)) }
        }
        entries.sort { lhs, rhs in
            switch ExactText.unicodeOrderIfASCII(lhs.id, rhs.id) {
            case let order?: order != 0 ? order < 0 : lhs.event < rhs.event
            case nil: (lhs.id, lhs.event) < (rhs.id, rhs.event)
            }
        }
        writer.varint(UInt64(entries.count))
        for entry in entries {
            writer.string(entry.id)
            writer.canonicalEventID(entry.event)
            flush()
        }
        flush(true)
        return hasher.finalize()
    }
}
