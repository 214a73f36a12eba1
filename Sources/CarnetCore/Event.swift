/// The unit of replication: one operation by one node, placed in that node's history.
///
/// `previous` is the hash of the same node's event at `seq - 1` (zero for seq 1), so each
/// node's events form a hash chain: tampering shows, and a node restored from backup that
/// reuses sequence numbers produces a second event at a dot already held — a fork.
public struct Event: Hashable, Sendable, CustomStringConvertible {
    public let dot: Dot
    public let clock: HLCTimestamp
    public let previous: SHA256Digest
    public let operation: Operation
    /// SHA-256 of the event's canonical bytes; computed once, at construction.
    public let hash: SHA256Digest

    public init(dot: Dot, clock: HLCTimestamp, previous: SHA256Digest, operation: Operation) {
        self.dot = dot
        self.clock = clock
        self.previous = previous
        self.operation = operation
        var writer = ByteWriter(capacity: 160)
        writer.canonicalEvent(dot: dot, clock: clock, previous: previous, operation: operation)
        self.hash = writer.bytes.withUnsafeBytes { buffer in
            var hasher = SHA256()
            hasher.update(buffer)
            return hasher.finalize()
        }
    }

    /// Rebuilds an event whose hash was computed before and kept under a checksum this
    /// node wrote itself (a store checkpoint). Never for bytes from a peer: those are
    /// re-hashed, which is what re-links their chains.
    public init(dot: Dot, clock: HLCTimestamp, previous: SHA256Digest, operation: Operation, trustedHash: SHA256Digest) {
        self.dot = dot
        self.clock = clock
        self.previous = previous
        self.operation = operation
        self.hash = trustedHash
    }

    public var id: EventID { EventID(dot: dot, hash: hash) }

    /// Whether this event is the next one of `event`'s chain: same node, next seq, and it
    /// names `event`'s hash. What makes consecutive events one run of a batch.
    public func follows(_ event: Event) -> Bool {
        dot.node == event.dot.node && dot.seq == event.dot.seq + 1 && previous == event.hash
    }

    /// The canonical bytes the hash covers (format described in protocol/SPEC.md).
    public var canonicalBytes: [UInt8] {
        var writer = ByteWriter(capacity: 160)
        writer.canonicalEvent(dot: dot, clock: clock, previous: previous, operation: operation)
        return writer.bytes
    }

    /// Two events are the same event exactly when their ids are equal: the hash covers
    /// every byte of the content.
    public static func == (lhs: Event, rhs: Event) -> Bool { lhs.id == rhs.id }
    public func hash(into hasher: inout Hasher) { hasher.combine(id) }

    public var description: String { "Event(\(id))" }
}

extension ByteWriter {
    /// The canonical encoding of an event: the bytes its hash is taken over.
    mutating func canonicalEvent(dot: Dot, clock: HLCTimestamp, previous: SHA256Digest, operation: Operation) {
        raw(canonicalEventMagic)
        nodeID(dot.node)
        varint(dot.seq)
        varint(clock.physical)
        varint(UInt64(clock.logical))
        digest(previous)
        canonicalOperation(operation)
    }

    public mutating func canonicalOperation(_ operation: Operation) {
        switch operation {
        case let .assign(assignment):
            byte(0)
            string(assignment.key.record.type)
            string(assignment.key.record.id)
            string(assignment.key.field)
            canonicalValue(assignment.value)
            varint(UInt64(assignment.supersedes.count))
            for superseded in assignment.supersedes { canonicalEventID(superseded) }
        case let .append(entry):
            byte(1)
            string(entry.id)
            string(entry.kind)
            varint(UInt64(entry.fields.count))
            for field in entry.fields {
                string(field.name)
                canonicalValue(field.value)
            }
        }
    }

    public mutating func canonicalValue(_ value: Value) {
        switch value {
        case let .int(v): byte(0); signed(v)
        case let .text(v): byte(1); string(v)
        case let .bool(v): byte(2); byte(v ? 1 : 0)
        case let .day(v): byte(3); signed(Int64(v))
        }
    }

    public mutating func canonicalEventID(_ id: EventID) {
        nodeID(id.dot.node)
        varint(id.dot.seq)
        digest(id.hash)
    }
}

/// "CEv1": marks the canonical event encoding, so a future version hashes differently.
private let canonicalEventMagic: [UInt8] = [0x43, 0x45, 0x76, 0x31]
