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

    static func int(_ value: Int) -> JSON { .int(Int64(value)) }
    static func int(_ value: UInt64) -> JSON { .int(Int64(clamping: value)) }

    /// `.null` for nil.
    static func optional(_ text: String?) -> JSON { text.map(JSON.string) ?? .null }
    static func optional(_ number: Int64?) -> JSON { number.map(JSON.int) ?? .null }

    /// Pretty-printed with two-space indentation.
    func rendered() -> String {
        var out = ""
        write(into: &out, indent: 0)
        return out
    }

    /// Appends the value as `rendered` writes it at `indent` spaces (the indentation of the
    /// line it begins on): an element of an array written piece by piece (`JSONArrayStream`).
    func write(into out: inout String, indent: Int) {
        switch self {
        case .null: out += "null"
        case let .bool(flag): out += flag ? "true" : "false"
        case let .int(number): out += String(number)
        case let .string(text): Self.quote(text, into: &out)
        case let .array(items):
            guard !items.isEmpty else { out += "[]"; return }
            out += "[\n"
            for (index, item) in items.enumerated() {
                out += String(repeating: " ", count: indent + 2)
                item.write(into: &out, indent: indent + 2)
                out += index == items.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: " ", count: indent) + "]"
        case let .object(fields):
            guard !fields.isEmpty else { out += "{}"; return }
            out += "{\n"
            let keys = fields.keys.sorted()
            for (index, key) in keys.enumerated() {
                out += String(repeating: " ", count: indent + 2)
                Self.quote(key, into: &out)
                out += ": "
                fields[key]!.write(into: &out, indent: indent + 2)
                out += index == keys.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: " ", count: indent) + "}"
        }
    }

    static func quote(_ text: String, into out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                // C1 controls and bidi overrides too: the value stays exact, and a JSON
                // document shown on a terminal (`cat`) cannot act on it.
                if TerminalText.isUnsafe(scalar) {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
