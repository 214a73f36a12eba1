/// Lines for stdout, with the bytes `Output.line` writes for each, gathered and written
/// every 64 KB or so. `conflicts` prints some 90,000 lines at 1M events and `stock
/// --by-lot` 250,000: a `print` per line (the stream locked, a `String` made) was a large
/// part of their time. Call `finish` once, after the last line.
struct LineStream {
    private let colour: Bool
    private let write: ([UInt8]) -> Void
    private var buffer: [UInt8] = []
    static let flushAt = 1 << 16

    init(_ output: Output) {
        self.init(colour: output.colour, write: output.lines)
    }

    /// Lines for `write` instead of stdout, as `Output.line` would make them with `colour`
    /// (the tests compare the two).
    init(colour: Bool, write: @escaping ([UInt8]) -> Void) {
        self.colour = colour
        self.write = write
        buffer.reserveCapacity(Self.flushAt + 4_096)
    }

    /// What `output.line(text)` writes.
    mutating func line(_ text: String = "") {
        buffer += TerminalText.sanitized(text, keepingStyle: colour, keepingLeadingBreaks: true).utf8
        end()
    }

    /// What `output.line(String(decoding: bytes, as: UTF8.self))` writes, without making
    /// the string when no byte needs a look (`TerminalText.containsUnsafe`).
    mutating func line(bytes: [UInt8]) {
        if TerminalText.containsUnsafe(utf8: bytes[...]) {
            line(String(decoding: bytes, as: UTF8.self))
            return
        }
        buffer += bytes
        end()
    }

    /// What `line(bytes:)` writes for the bytes `make` appends to the buffer it is given
    /// (the stream's own: nothing is allocated per line). `make` returns true when it knows
    /// the bytes hold no unsafe scalar (`TerminalText.containsUnsafe`), so they are not
    /// scanned again.
    mutating func line(making make: (inout [UInt8]) -> Bool) {
        let start = buffer.count
        let safe = make(&buffer)
        if !safe, TerminalText.containsUnsafe(utf8: buffer[start...]) {
            let text = String(decoding: buffer[start...], as: UTF8.self)
            buffer.removeSubrange(start...)
            line(text)
            return
        }
        end()
    }

    mutating func finish() {
        write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    private mutating func end() {
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count >= Self.flushAt { finish() }
    }
}
