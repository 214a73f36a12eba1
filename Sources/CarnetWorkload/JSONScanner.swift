// A small, strict JSON parser over UTF-8 bytes. Standard library only.
//
// Strict means: RFC 8259 grammar, with the restrictions of the workload format on top:
// every number is an integer (fractions and exponents are rejected with their own
// message), strings must be valid UTF-8 (no overlong forms, no encoded surrogates),
// `\u` escapes must pair surrogates correctly, and nesting is bounded. Any input, however
// malformed, produces either a value or a `JSONError` carrying the byte offset of the
// fault; the parser never traps.
//
// Two layers live here:
//   * `JSONCursor` (internal): a pull parser over a byte range, used directly by the
//     typed workload reader so that keys are matched as bytes and only the values that
//     are needed get decoded into Strings.
//   * `JSONScanner` / `JSONValue` (public): a generic tree parser and a compact encoder.

/// A JSON syntax error, or an error raised by a typed consumer of the JSON (a missing
/// field, a wrong type), with the byte offset where it was found.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte offset of the fault, counted from the start of the parsed buffer.
    public var offset: Int
    /// A sentence describing the fault, without the offset.
    public var message: String
    /// True for grammar errors; false for errors raised by a typed consumer.
    public var isSyntaxError: Bool

    public init(offset: Int, message: String, isSyntaxError: Bool = true) {
        self.offset = offset
        self.message = message
        self.isSyntaxError = isSyntaxError
    }

    public var description: String { "byte \(offset): \(message)" }
}

/// A parsed JSON value. Numbers are integers only (the workload format has no others).
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case string(String)
    case array([JSONValue])
    /// Members in document order; duplicate keys are kept as they appear.
    case object([JSONMember])

    /// The value of the first member named `key`, if this is an object that has one.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        for member in members where member.key == key { return member.value }
        return nil
    }

    /// Compact JSON text for this value (no spaces, non-ASCII characters literal).
    public func encoded() -> String {
        var out: [UInt8] = []
        appendEncoded(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends compact JSON text for this value to `out`.
    public func appendEncoded(to out: inout [UInt8]) {
        switch self {
        case .null: JSONScanner.appendLiteral("null", to: &out)
        case .bool(let b): JSONScanner.appendLiteral(b ? "true" : "false", to: &out)
        case .int(let v): JSONScanner.appendInt(v, to: &out)
        case .string(let s): JSONScanner.appendString(s, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                item.appendEncoded(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, member) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONScanner.appendString(member.key, to: &out)
                out.append(UInt8(ascii: ":"))
                member.value.appendEncoded(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}

/// One `"key": value` member of a JSON object.
public struct JSONMember: Sendable, Equatable {
    public var key: String
    public var value: JSONValue
    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

/// Entry points of the generic parser and the compact encoder.
public enum JSONScanner {
    /// Default bound on nesting of arrays and objects.
    public static let defaultMaxDepth = 32

    /// Parses one JSON document (surrounding whitespace allowed, nothing else after it).
    public static func parse(
        _ bytes: [UInt8], maxDepth: Int = defaultMaxDepth
    ) throws(JSONError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { (buffer) throws(JSONError) -> JSONValue in
            var cursor = JSONCursor(buffer, from: 0, to: buffer.count, maxDepth: maxDepth, lineMode: false)
            let value = try cursor.parseValue()
            try cursor.expectEnd()
            return value
        }
    }

    /// Parses one JSON document given as text.
    public static func parse(_ text: String, maxDepth: Int = defaultMaxDepth) throws(JSONError) -> JSONValue {
        try parse(Array(text.utf8), maxDepth: maxDepth)
    }

    /// Checks that `bytes` hold exactly one well-formed JSON document, without building it.
    public static func validate(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(JSONError) {
        try bytes.withUnsafeBufferPointer { (buffer) throws(JSONError) -> Void in
            var cursor = JSONCursor(buffer, from: 0, to: buffer.count, maxDepth: maxDepth, lineMode: false)
            try cursor.skipValue()
            try cursor.expectEnd()
        }
    }

    /// Appends `s` as a JSON string literal: `"` and `\` escaped, control characters as
    /// `\n`, `\t`, ... or `\u00xx`, everything else (including non-ASCII) literal.
    public static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(0x22)
        for byte in s.utf8 {
            switch byte {
            case 0x22: out.append(0x5C); out.append(0x22)
            case 0x5C: out.append(0x5C); out.append(0x5C)
            case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
            case 0x08: out.append(0x5C); out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(0x5C); out.append(UInt8(ascii: "f"))
            case 0..<0x20:
                out.append(0x5C); out.append(UInt8(ascii: "u"))
                out.append(UInt8(ascii: "0")); out.append(UInt8(ascii: "0"))
                out.append(hexDigit(byte >> 4)); out.append(hexDigit(byte & 0xF))
            default: out.append(byte)
            }
        }
        out.append(0x22)
    }

    /// Appends the decimal form of `v`.
    public static func appendInt(_ v: Int64, to out: inout [UInt8]) {
        if v < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = v.magnitude
        if magnitude == 0 { out.append(UInt8(ascii: "0")); return }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { raw in
            while magnitude > 0 {
                raw[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            }
            while count > 0 {
                count -= 1
                out.append(raw[count])
            }
        }
    }

    static func appendLiteral(_ s: StaticString, to out: inout [UInt8]) {
        s.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    static func hexDigit(_ v: UInt8) -> UInt8 {
        v < 10 ? UInt8(ascii: "0") + v : UInt8(ascii: "a") + v - 10
    }
}
