/// The length of an event's canonical bytes (protocol/SPEC.md §2.1), computed without
/// building them.
///
/// The limits on the work a batch may cause are stated in canonical bytes (§3.2): they
/// are what the receiver hashes, and what a text reference in a batch multiplies. A
/// decoder adds these sizes up piece by piece as it reads, so that it refuses a hostile
/// batch before it concatenates or hashes anything; a writer checks them before it stores
/// an event no peer would accept.
public enum CanonicalSize {
    /// "CEv1", the node id and the previous hash.
    public static let fixedHeader = 4 + 16 + 32

    @inline(__always)
    public static func varint(_ value: UInt64) -> Int {
        value == 0 ? 1 : (64 - value.leadingZeroBitCount + 6) / 7
    }

    @inline(__always)
    public static func signed(_ value: Int64) -> Int {
        varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    /// A `string` of `utf8Count` bytes: its length prefix and its bytes.
    @inline(__always)
    public static func string(utf8Count: Int) -> Int {
        varint(UInt64(utf8Count)) + utf8Count
    }

    @inline(__always)
    public static func string(_ text: String) -> Int { string(utf8Count: text.utf8.count) }

    /// Everything before the operation: magic, node, seq, clock, previous.
    public static func header(seq: UInt64, clock: HLCTimestamp) -> Int {
        fixedHeader + varint(seq) + varint(clock.physical) + varint(UInt64(clock.logical))
    }

    public static func value(_ value: Value) -> Int {
        switch value {
        case let .int(number): 1 + signed(number)
        case let .text(text): 1 + string(text)
        case .bool: 2
        case let .day(day): 1 + signed(Int64(day))
        }
    }

    public static func eventID(_ id: EventID) -> Int { 16 + varint(id.dot.seq) + 32 }

    public static func operation(_ operation: Operation) -> Int {
        switch operation {
        case let .assign(assignment):
            var size = 1 + string(assignment.key.record.type) + string(assignment.key.record.id)
                + string(assignment.key.field) + value(assignment.value) + varint(UInt64(assignment.supersedes.count))
            for superseded in assignment.supersedes { size += eventID(superseded) }
            return size
        case let .append(entry):
            var size = 1 + string(entry.id) + string(entry.kind) + varint(UInt64(entry.fields.count))
            for field in entry.fields { size += string(field.name) + value(field.value) }
            return size
        }
    }
}

extension Event {
    /// `canonicalBytes.count`, without building them.
    public var canonicalSize: Int {
        CanonicalSize.header(seq: dot.seq, clock: clock) + CanonicalSize.operation(operation)
    }
}
