/// Reads structure out of fuzz bytes without ever failing, like LLVM's
/// `FuzzedDataProvider`: past the end, numbers read as 0 and byte runs come back short.
/// Every input then means something, so the fuzzer wastes no executions on inputs the
/// harness itself refuses.
struct FuzzInput {
    let bytes: [UInt8]
    private(set) var offset: Int

    init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = min(offset, bytes.count)
    }

    var isAtEnd: Bool { offset >= bytes.count }
    var remaining: Int { bytes.count - offset }

    mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// Up to `count` bytes (fewer at the end).
    mutating func take(_ count: Int) -> [UInt8] {
        let end = offset + min(max(0, count), remaining)
        defer { offset = end }
        return Array(bytes[offset..<end])
    }

    /// Exactly `count` bytes, zero-padded at the end.
    mutating func takePadded(_ count: Int) -> [UInt8] {
        let taken = take(count)
        return taken + [UInt8](repeating: 0, count: count - taken.count)
    }

    mutating func rest() -> [UInt8] { take(remaining) }

    /// A length of 0...32767 in one byte (below 0x80) or two: short for the usual small
    /// runs, and a single mutated byte still gives a sensible length.
    mutating func length() -> Int {
        let first = Int(byte())
        guard first >= 0x80 else { return first }
        return (first & 0x7F) << 8 | Int(byte())
    }

    mutating func uint64() -> UInt64 {
        takePadded(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Writes `count` in the form `length()` reads (at most 32767).
    static func lengthPrefix(_ count: Int) -> [UInt8] {
        precondition(count >= 0 && count < 0x8000, "a fuzz length is 0...32767")
        return count < 0x80 ? [UInt8(count)] : [UInt8(0x80 | count >> 8), UInt8(count & 0xFF)]
    }
}
