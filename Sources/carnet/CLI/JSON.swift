/// A JSON document, written by our own small writer: keys sorted (stable output a script
/// can diff), integers exact (money in cents, quantities in grams never pass through a
/// floating-point number), non-ASCII text literal.
enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case string(String)
    case array([JSON])
    case object([String: JSON])
    /// An object whose fields are already in key order, each key once: written exactly as
    /// `.object` of the same fields, without the hashing and sorting that were a third of
    /// `log --json`'s time at a million entries (`JSONForms.entryFields`). Equal only to
    /// another `.fields`.
    case fields([Field])

    struct Field: Sendable, Equatable {
        var key: String
        var value: JSON

        init(_ key: String, _ value: JSON) {
            self.key = key
            self.value = value
        }
    }

    static func int(_ value: Int) -> JSON { .int(Int64(value)) }
    static func int(_ value: UInt64) -> JSON { .int(Int64(clamping: value)) }

    /// `.null` for nil.
    static func optional(_ text: String?) -> JSON { text.map(JSON.string) ?? .null }
    static func optional(_ number: Int64?) -> JSON { number.map(JSON.int) ?? .null }

    /// Pretty-printed with two-space indentation.
    func rendered() -> String {
        var out: [UInt8] = []
        write(into: &out, indent: 0)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the value's UTF-8 as `rendered` writes it at `indent` spaces (the indentation
    /// of the line it begins on): also an element of an array written piece by piece
    /// (`JSONArrayStream`). Bytes, not a `String`: `log --json` writes a million entries,
    /// and appending to a string cost more than building them.
    func write(into out: inout [UInt8], indent: Int) {
        switch self {
        case .null: out += Self.nullBytes
        case let .bool(flag): out += flag ? Self.trueBytes : Self.falseBytes
        case let .int(number): Self.decimal(number, into: &out)
        case let .string(text): Self.quote(text, into: &out)
        case let .array(items):
            guard !items.isEmpty else { out += Self.emptyArray; return }
            out.append(UInt8(ascii: "["))
            out.append(UInt8(ascii: "\n"))
            for (index, item) in items.enumerated() {
                Self.spaces(indent + 2, into: &out)
                item.write(into: &out, indent: indent + 2)
                if index < items.count - 1 { out.append(UInt8(ascii: ",")) }
                out.append(UInt8(ascii: "\n"))
            }
            Self.spaces(indent, into: &out)
            out.append(UInt8(ascii: "]"))
        case let .object(fields):
            Self.write(fields.sorted { $0.key < $1.key }.map { Field($0.key, $0.value) }, into: &out, indent: indent)
        case let .fields(fields):
            assert(zip(fields, fields.dropFirst()).allSatisfy { $0.key < $1.key }, "fields out of key order")
            Self.write(fields, into: &out, indent: indent)
        }
    }

    // The punctuation is appended a byte at a time: appending a constant array cost more
    // than the byte (its lazy global, its retain), some 60 times an entry in `log --json`.
    private static func write(_ fields: [Field], into out: inout [UInt8], indent: Int) {
        guard !fields.isEmpty else { out += emptyObject; return }
        out.append(UInt8(ascii: "{"))
        out.append(UInt8(ascii: "\n"))
        for (index, field) in fields.enumerated() {
            spaces(indent + 2, into: &out)
            quote(field.key, into: &out)
            out.append(UInt8(ascii: ":"))
            out.append(UInt8(ascii: " "))
            field.value.write(into: &out, indent: indent + 2)
            if index < fields.count - 1 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\n"))
        }
        spaces(indent, into: &out)
        out.append(UInt8(ascii: "}"))
    }

    private static let nullBytes = Array("null".utf8), trueBytes = Array("true".utf8), falseBytes = Array("false".utf8)
    private static let emptyArray = Array("[]".utf8), emptyObject = Array("{}".utf8)

    private static func spaces(_ count: Int, into out: inout [UInt8]) {
        for _ in 0..<count { out.append(UInt8(ascii: " ")) }
    }

    /// `String(number)`'s digits, with no string made: a million entries have several
    /// numbers each.
    private static func decimal(_ number: Int64, into out: inout [UInt8]) {
        if number < 0 { out.append(UInt8(ascii: "-")) }
        let start = out.count
        var rest = number.magnitude
        repeat {
            out.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        } while rest > 0
        out[start...].reverse()
    }

    static func quote(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most text is printable ASCII with nothing to escape: its bytes as they are.
        var text = text
        let plain = text.withUTF8 { bytes in
            guard bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") })
            else { return false }
            out.append(contentsOf: bytes)
            return true
        }
        // Text with accents, `€` or `→` and nothing to escape: its bytes too, where going
        // scalar by scalar was a tenth of `conflicts --json` (every sale's detail has a `€`).
        if !plain, !text.utf8.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }),
           !TerminalText.containsUnsafe(text) {
            out.append(contentsOf: text.utf8)
        } else if !plain {
            quoteScalars(text, into: &out)
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func quoteScalars(_ text: String, into out: inout [UInt8]) {
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += Array("\\\"".utf8)
            case "\\": out += Array("\\\\".utf8)
            case "\n": out += Array("\\n".utf8)
            case "\r": out += Array("\\r".utf8)
            case "\t": out += Array("\\t".utf8)
            default:
                // C1 controls and bidi overrides too: the value stays exact, and a JSON
                // document shown on a terminal (`cat`) cannot act on it.
                if TerminalText.isUnsafe(scalar) {
                    let hex = String(scalar.value, radix: 16)
                    out += ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8
                } else {
                    out += UTF8.encode(scalar)!
                }
            }
        }
    }
}
