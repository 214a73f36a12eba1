/// The canonical digest of a replica: of the event set it holds (per-node version, heads
/// and pending events) and of the state materialized from it (every register's live
/// values, every entry's id). Equal on two replicas exactly when they hold the same events.
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
        writer.raw(Array("carnet-state/1".utf8))
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
        let pending = history.pendingEvents
        writer.varint(UInt64(pending.count))
        for event in pending {
            writer.canonicalEventID(event.id)
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
        entries.sort { ($0.id, $0.event) < ($1.id, $1.event) }
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
