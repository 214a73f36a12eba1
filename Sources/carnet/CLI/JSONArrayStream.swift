/// One JSON array written on stdout element by element, with the bytes `Output.json`
/// writes for the whole array: `log --json` of a million entries would otherwise build a
/// million values and one string of some 900 MB before writing a byte.
///
/// Elements are rendered into a buffer written out every 64 KB or so; `finish` closes
/// the array (an empty one is `[]`) and must be called once, after the last element.
struct JSONArrayStream {
    private let output: Output
    private var buffer = ""
    private var count = 0
    private static let flushAt = 1 << 16

    init(_ output: Output) {
        self.output = output
        buffer.reserveCapacity(Self.flushAt + 4_096)
    }

    mutating func append(_ element: JSON) {
        buffer += count == 0 ? "[\n  " : ",\n  "
        element.write(into: &buffer, indent: 2)
        count += 1
        if buffer.utf8.count >= Self.flushAt { flush() }
    }

    mutating func finish() {
        buffer += count == 0 ? "[]\n" : "\n]\n"
        flush()
    }

    private mutating func flush() {
        output.jsonPart(buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}
