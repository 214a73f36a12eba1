/// One JSON array written on stdout element by element, with the bytes `Output.json`
/// writes for the whole array: `log --json` of a million entries would otherwise build a
/// million values and one string of some 900 MB before writing a byte.
///
/// Elements are rendered into a buffer written out every 64 KB or so; `finish` closes
/// the array (an empty one is `[]`) and must be called once, after the last element.
struct JSONArrayStream {
    private let output: Output
    private var buffer: [UInt8] = []
    private var count = 0
    static let flushAt = 1 << 16
    private static let first = Array("[\n  ".utf8), next = Array(",\n  ".utf8)
    private static let empty = Array("[]\n".utf8), end = Array("\n]\n".utf8)

    /// Whether a byte was written: until then, the answer can still be given up (the
    /// index found damaged) and another printed instead.
    private(set) var wrote = false

    /// Whether everything is kept until `release`.
    private var holding: Bool

    /// `holding`: nothing is written before `release` (or `finish`), so that a caller can
    /// still give the answer up; `held` says how much waits.
    init(_ output: Output, holding: Bool = false) {
        self.output = output
        self.holding = holding
        buffer.reserveCapacity(Self.flushAt + 4_096)
    }

    /// The bytes made and not written yet.
    var held: Int { buffer.count }

    /// Writes what was held back, and from now on as the buffer fills.
    mutating func release() {
        holding = false
        flush()
    }

    mutating func append(_ element: JSON) {
        buffer += count == 0 ? Self.first : Self.next
        element.write(into: &buffer, indent: 2)
        appended()
    }

    /// Appends an element already written: `Self.write(element, into:)`, made elsewhere
    /// (on another core) from the same element, gives the bytes `append` writes.
    mutating func append(written element: ArraySlice<UInt8>) {
        buffer += count == 0 ? Self.first : Self.next
        buffer += element
        appended()
    }

    /// Appends an element's bytes as `append` writes them to `bytes`, for `append(written:)`.
    static func write(_ element: JSON, into bytes: inout [UInt8]) {
        element.write(into: &bytes, indent: 2)
    }

    private mutating func appended() {
        count += 1
        if !holding && buffer.count >= Self.flushAt { flush() }
    }

    mutating func finish() {
        buffer += count == 0 ? Self.empty : Self.end
        flush()
    }

    private mutating func flush() {
        output.jsonPart(buffer)
        wrote = true
        buffer.removeAll(keepingCapacity: true)
    }
}
