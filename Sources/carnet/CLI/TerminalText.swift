/// Text from peers and files, made safe to show on a terminal.
///
/// Entry notes, labels, ledger names and a peer's error message are written by someone
/// else: raw, an escape sequence in them could move the cursor, retitle the window, hide
/// or fake lines (a fake "synced with hub"), and a bidi override could make text read
/// backwards. Every line of human output passes through here (`Output.line`, `warn`,
/// `error`, `Table` cells), so no command has to remember: each C0 control, DEL, C1
/// control and bidi override or isolate (U+202A–U+202E, U+2066–U+2069) becomes a visible
/// escape (`\n`, `\u{1B}`), so that the text stays readable and the trick stays visible.
/// JSON output keeps the exact strings; its own escaping handles them (`JSON.quote`).
enum TerminalText {
    /// Whether a scalar must not reach a terminal as it is.
    static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    /// One line: nothing in it can act on the terminal, nor start a line of its own.
    static func sanitized(_ text: String) -> String {
        sanitized(text, keepingStyle: false, keepingLeadingBreaks: false)
    }

    /// `keepingStyle`: keeps the colour sequences `Output` makes itself (bold, dim, red,
    /// green, yellow, reset: they change how text looks, never where it goes), for text
    /// that went through `Output`'s styling. `keepingLeadingBreaks`: keeps line breaks at
    /// the very start (`"\nversion vector:"`), which a caller uses for a blank line.
    static func sanitized(_ text: String, keepingStyle: Bool, keepingLeadingBreaks: Bool) -> String {
        guard containsUnsafe(text), text.unicodeScalars.contains(where: isUnsafe) else { return text }
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var index = 0
        if keepingLeadingBreaks {
            while index < scalars.count, scalars[index] == "\n" {
                out.append("\n")
                index += 1
            }
        }
        while index < scalars.count {
            let scalar = scalars[index]
            if keepingStyle, scalar == "\u{1B}", let length = styleSequenceLength(scalars, at: index) {
                out.append(contentsOf: scalars[index..<(index + length)])
                index += length
                continue
            }
            if isUnsafe(scalar) {
                out.append(contentsOf: escaped(scalar).unicodeScalars)
            } else {
                out.append(scalar)
            }
            index += 1
        }
        return String(out)
    }

    /// Whether the UTF-8 of `text` holds an unsafe scalar (`isUnsafe`), read as bytes: one
    /// below 0x20, DEL, C2 80–9F (the C1 controls), E2 80 AA–AE and E2 81 A6–A9 (the bidi
    /// controls). A byte scan, where decoding the scalars of every cell was a tenth of
    /// `stock --by-lot`'s time at 250,000 lines; `→`, `€` and the narrow space between
    /// thousands pass without a second look.
    static func containsUnsafe(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { containsUnsafe(utf8: $0) }
    }

    static func containsUnsafe(utf8 bytes: ArraySlice<UInt8>) -> Bool {
        bytes.withUnsafeBufferPointer { containsUnsafe(utf8: $0) }
    }

    static func containsUnsafe(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var previous: UInt8 = 0, beforePrevious: UInt8 = 0
        for byte in bytes {
            if byte < 0x20 || byte == 0x7F { return true }
            if previous == 0xC2, byte >= 0x80, byte <= 0x9F { return true }
            if beforePrevious == 0xE2,
               previous == 0x80 && byte >= 0xAA && byte <= 0xAE || previous == 0x81 && byte >= 0xA6 && byte <= 0xA9 {
                return true
            }
            beforePrevious = previous
            previous = byte
        }
        return false
    }

    /// The length of `ESC [ n m` at `index` when `n` is one of `Output`'s own styles.
    private static func styleSequenceLength(_ scalars: [Unicode.Scalar], at index: Int) -> Int? {
        for code in ["0", "1", "2", "31", "32", "33"] {
            let sequence = Array("\u{1B}[\(code)m".unicodeScalars)
            if index + sequence.count <= scalars.count, Array(scalars[index..<(index + sequence.count)]) == sequence {
                return sequence.count
            }
        }
        return nil
    }

    private static func escaped(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\n": "\\n"
        case "\r": "\\r"
        case "\t": "\\t"
        default: "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
        }
    }
}
