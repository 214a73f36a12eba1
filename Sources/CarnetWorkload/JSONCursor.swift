// The streaming JSON reader under the typed workload reader (`carnet import`). Standard
// library only.
//
// A pull parser over UTF-8 bytes: the workload reader walks each line with it, matching
// keys as bytes and decoding into Strings only the values it keeps, so no tree is ever
// built (the tree parser the grammar tests use lives with them, in
// Tests/CarnetWorkloadTests/JSONTree.swift).
//
// Strict means: RFC 8259 grammar, with the restrictions of the workload format on top:
// every number is an integer (fractions and exponents are rejected with their own
// message), strings must be valid UTF-8 (no overlong forms, no encoded surrogates),
// `\u` escapes must pair surrogates correctly, and nesting is bounded. Any input, however
// malformed, produces either a value or a `JSONError` carrying the byte offset of the
// fault; the parser never traps.

// MARK: - Pull parser

/// The kind of the next value, judged from its first byte.
enum JSONKind: Equatable {
    case object, array, string, number, bool, null, end, invalid

    var phrase: String {
        switch self {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        case .end: "nothing"
        case .invalid: "an invalid value"
        }
    }
}

/// A string token: the byte range between the quotes, and whether it holds escapes.
struct JSONStringSpan {
    var start: Int
    var end: Int
    var escaped: Bool
    var count: Int { end - start }
}

/// A pull parser over `base[from..<to]`. Offsets are indices into `base`.
/// Only valid while the buffer it was made from is alive (used inside
/// `withUnsafeBufferPointer`). Every read of `base` is preceded by a check against `end`.
struct JSONCursor {
    /// Default bound on nesting of arrays and objects.
    static let defaultMaxDepth = 32

    let base: UnsafeBufferPointer<UInt8>
    var pos: Int
    let end: Int
    var depth = 0
    let maxDepth: Int
    /// When parsing one line of a file, the end of the range is the end of a line.
    let lineMode: Bool

    init(_ base: UnsafeBufferPointer<UInt8>, from: Int, to: Int, maxDepth: Int, lineMode: Bool) {
        self.base = base
        self.pos = from
        self.end = min(to, base.count)
        self.maxDepth = maxDepth
        self.lineMode = lineMode
    }

    // MARK: Errors

    func syntax(_ message: String, at offset: Int) -> JSONError {
        JSONError(offset: offset, message: message, isSyntaxError: true)
    }

    /// "expected X, found Y" at the current position.
    func unexpected(_ expected: String) -> JSONError {
        syntax("expected \(expected), found \(describeByte(at: pos))", at: pos)
    }

    func describeByte(at offset: Int) -> String {
        guard offset < end else { return lineMode ? "the end of the line" : "the end of the input" }
        return JSONCursor.describe(base[offset])
    }

    static func describe(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        if byte == 0x20 { return "a space" }
        let hex = String(byte, radix: 16, uppercase: true)
        return "byte 0x\(hex.count == 1 ? "0" + hex : hex)"
    }

    // MARK: Whitespace and structure

    @inline(__always)
    mutating func skipWhitespace() {
        while pos < end {
            let b = base[pos]
            guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else { return }
            pos += 1
        }
    }

    /// After the last value: only whitespace may remain.
    mutating func expectEnd() throws(JSONError) {
        skipWhitespace()
        if pos < end {
            throw syntax("unexpected \(describeByte(at: pos)) after the end of the JSON value", at: pos)
        }
    }

    /// The kind of the next value (after whitespace), without consuming it.
    mutating func peekKind() -> JSONKind {
        skipWhitespace()
        guard pos < end else { return .end }
        switch base[pos] {
        case 0x7B: return .object
        case 0x5B: return .array
        case 0x22: return .string
        case 0x2D, 0x30...0x39: return .number
        case 0x74, 0x66: return .bool
        case 0x6E: return .null
        default: return .invalid
        }
    }

    private mutating func enter(_ open: UInt8, _ what: String) throws(JSONError) {
        skipWhitespace()
        guard pos < end, base[pos] == open else { throw unexpected(what) }
        guard depth < maxDepth else {
            throw syntax("nesting is deeper than \(maxDepth) levels", at: pos)
        }
        depth += 1
        pos += 1
    }

    /// Consumes `{`.
    mutating func enterObject() throws(JSONError) { try enter(0x7B, "'{'") }

    /// Consumes `[`.
    mutating func enterArray() throws(JSONError) { try enter(0x5B, "'['") }

    /// Moves to the next member of the current object and returns its key, with the `:`
    /// consumed; returns nil after consuming the closing `}`. `first` must be true for
    /// the first call after `enterObject`.
    mutating func nextKey(first: inout Bool) throws(JSONError) -> JSONStringSpan? {
        skipWhitespace()
        guard pos < end else { throw unexpected(first ? "a string key or '}'" : "',' or '}'") }
        let b = base[pos]
        if b == 0x7D {
            pos += 1
            depth -= 1
            first = false
            return nil
        }
        if first {
            first = false
        } else {
            guard b == 0x2C else { throw unexpected("',' or '}' after an object member") }
            pos += 1
            skipWhitespace()
        }
        guard pos < end, base[pos] == 0x22 else { throw unexpected("a string key") }
        let key = try scanString()
        skipWhitespace()
        guard pos < end, base[pos] == 0x3A else { throw unexpected("':' after an object key") }
        pos += 1
        return key
    }

    /// Moves to the next element of the current array: true if there is one (positioned
    /// before it), false after consuming the closing `]`.
    mutating func nextElement(first: inout Bool) throws(JSONError) -> Bool {
        skipWhitespace()
        guard pos < end else { throw unexpected(first ? "a value or ']'" : "',' or ']'") }
        let b = base[pos]
        if b == 0x5D {
            pos += 1
            depth -= 1
            first = false
            return false
        }
        if first {
            first = false
            return true
        }
        guard b == 0x2C else { throw unexpected("',' or ']' after an array element") }
        pos += 1
        return true
    }

    // MARK: Strings

    /// Scans a string token starting at `pos` (which must be `"`), validating escapes and
    /// UTF-8, and leaves `pos` after the closing quote.
    mutating func scanString() throws(JSONError) -> JSONStringSpan {
        skipWhitespace()
        guard pos < end, base[pos] == 0x22 else { throw unexpected("a string") }
        let open = pos
        var i = pos + 1
        var escaped = false
        let raw = UnsafeRawPointer(base.baseAddress)
        while true {
            // Skip plain printable ASCII eight bytes at a time: stop at the first byte that
            // may be '"', '\\', a control character or non-ASCII (then examined below).
            if let raw {
                while i + 8 <= end {
                    let w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                    let q = w ^ 0x2222_2222_2222_2222
                    let s = w ^ 0x5C5C_5C5C_5C5C_5C5C
                    let flags = (((w &- 0x2020_2020_2020_2020) & ~w) | ((q &- 0x0101_0101_0101_0101) & ~q)
                        | ((s &- 0x0101_0101_0101_0101) & ~s) | w) & 0x8080_8080_8080_8080
                    if flags != 0 {
                        i += flags.trailingZeroBitCount >> 3
                        break
                    }
                    i += 8
                }
            }
            guard i < end else {
                throw syntax("unterminated string (reached \(describeByte(at: i)))", at: open)
            }
            let b = base[i]
            if b == 0x22 { break }
            if b == 0x5C {
                escaped = true
                i = try scanEscape(at: i)
            } else if b < 0x20 {
                throw syntax("control character \(JSONCursor.describe(b)) in a string must be escaped", at: i)
            } else if b < 0x80 {
                i += 1
            } else {
                i = try scanUTF8(at: i)
            }
        }
        pos = i + 1
        return JSONStringSpan(start: open + 1, end: i, escaped: escaped)
    }

    /// Validates the escape at `i` (a backslash) and returns the index after it.
    private func scanEscape(at i: Int) throws(JSONError) -> Int {
        guard i + 1 < end else { throw syntax("unterminated escape sequence", at: i) }
        switch base[i + 1] {
        case 0x22, 0x5C, 0x2F, 0x62, 0x66, 0x6E, 0x72, 0x74:
            return i + 2
        case 0x75:
            let unit = try hex4(at: i + 2, escapeAt: i)
            switch unit {
            case 0xD800...0xDBFF:
                // A high surrogate must be followed by an escaped low surrogate.
                guard i + 7 < end, base[i + 6] == 0x5C, base[i + 7] == 0x75 else {
                    throw syntax("unpaired high surrogate \\u\(hexString(unit)) in a string", at: i)
                }
                let low = try hex4(at: i + 8, escapeAt: i + 6)
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw syntax("high surrogate \\u\(hexString(unit)) is not followed by a low surrogate", at: i)
                }
                return i + 12
            case 0xDC00...0xDFFF:
                throw syntax("unpaired low surrogate \\u\(hexString(unit)) in a string", at: i)
            default:
                return i + 6
            }
        default:
            throw syntax("invalid escape sequence '\\' followed by \(describeByte(at: i + 1))", at: i)
        }
    }

    private func hexString(_ v: UInt32) -> String {
        let s = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }

    /// Four hex digits at `at...at+3` as a value.
    private func hex4(at: Int, escapeAt: Int) throws(JSONError) -> UInt32 {
        guard at + 4 <= end else { throw syntax("incomplete \\u escape", at: escapeAt) }
        var v: UInt32 = 0
        for k in at..<(at + 4) {
            let b = base[k]
            let d: UInt8
            switch b {
            case 0x30...0x39: d = b - 0x30
            case 0x41...0x46: d = b - 0x41 + 10
            case 0x61...0x66: d = b - 0x61 + 10
            default: throw syntax("invalid hex digit \(JSONCursor.describe(b)) in a \\u escape", at: k)
            }
            v = v << 4 | UInt32(d)
        }
        return v
    }

    /// Validates one multi-byte UTF-8 sequence starting at `i`; returns the index after it.
    private func scanUTF8(at i: Int) throws(JSONError) -> Int {
        let b0 = base[i]
        let length: Int
        var lo: UInt8 = 0x80
        var hi: UInt8 = 0xBF
        switch b0 {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lo = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; hi = 0x9F  // excludes encoded surrogates
        case 0xF0: length = 4; lo = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; hi = 0x8F  // nothing above U+10FFFF
        default:
            throw syntax("invalid UTF-8 lead byte \(JSONCursor.describe(b0)) in a string", at: i)
        }
        guard i + length <= end else { throw syntax("truncated UTF-8 sequence in a string", at: i) }
        let b1 = base[i + 1]
        guard b1 >= lo && b1 <= hi else { throw syntax("invalid UTF-8 sequence in a string", at: i) }
        var k = i + 2
        while k < i + length {
            guard base[k] & 0xC0 == 0x80 else { throw syntax("invalid UTF-8 sequence in a string", at: i) }
            k += 1
        }
        return i + length
    }

    /// The String for a scanned span (decoding escapes if it has any).
    func string(_ span: JSONStringSpan) -> String {
        guard span.escaped else {
            return String(decoding: UnsafeBufferPointer(rebasing: base[span.start..<span.end]), as: UTF8.self)
        }
        return String(decoding: unescapedBytes(span), as: UTF8.self)
    }

    /// The UTF-8 bytes a scanned, escaped span stands for. The span was validated by
    /// `scanString`, but every access is still bounds-checked against `span.end`.
    func unescapedBytes(_ span: JSONStringSpan) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(span.count)
        var i = span.start
        let stop = span.end
        while i < stop {
            let b = base[i]
            guard b == 0x5C, i + 1 < stop else {
                out.append(b)
                i += 1
                continue
            }
            let e = base[i + 1]
            i += 2
            switch e {
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0C)
            case 0x6E: out.append(0x0A)
            case 0x72: out.append(0x0D)
            case 0x74: out.append(0x09)
            case 0x75:
                var scalar = hexValue(at: i, stop: stop)
                i += 4
                if (0xD800...0xDBFF).contains(scalar), i + 6 <= stop {
                    let low = hexValue(at: i + 2, stop: stop)
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + ((low &- 0xDC00) & 0x3FF)
                    i += 6
                }
                appendUTF8(scalar, to: &out)
            default: out.append(e)  // " \ /
            }
        }
        return out
    }

    private func hexValue(at: Int, stop: Int) -> UInt32 {
        var v: UInt32 = 0
        var k = at
        while k < at + 4 && k < stop {
            let b = base[k]
            let d: UInt32 = b <= 0x39 ? UInt32(b &- 0x30) : UInt32((b | 0x20) &- 0x61 &+ 10)
            v = v << 4 | (d & 0xF)
            k += 1
        }
        return v
    }

    private func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        let s = Unicode.Scalar(scalar) ?? "\u{FFFD}"
        for unit in UTF8.encode(s)! { out.append(unit) }
    }

    /// Whether the span's (unescaped) bytes equal `literal`.
    func spanEquals(_ span: JSONStringSpan, _ literal: StaticString) -> Bool {
        if span.escaped {
            return unescapedBytes(span).withUnsafeBufferPointer { JSONCursor.bytesEqual($0, literal) }
        }
        return JSONCursor.bytesEqual(UnsafeBufferPointer(rebasing: base[span.start..<span.end]), literal)
    }

    /// Calls `body` with the span's (unescaped) bytes.
    func withSpanBytes<R>(_ span: JSONStringSpan, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if span.escaped {
            return unescapedBytes(span).withUnsafeBufferPointer { body($0) }
        }
        return body(UnsafeBufferPointer(rebasing: base[span.start..<span.end]))
    }

    @inline(__always)
    static func bytesEqual(_ a: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard a.count == n else { return false }
        let p = literal.utf8Start
        var i = 0
        while i < n {
            if a[i] != p[i] { return false }
            i += 1
        }
        return true
    }

    /// Reads a string value.
    mutating func readString() throws(JSONError) -> String {
        string(try scanString())
    }

    // MARK: Numbers and literals

    /// Reads an integer value. Fractions, exponents, leading zeros and values outside the
    /// range of Int64 are errors.
    mutating func readInt() throws(JSONError) -> Int64 {
        skipWhitespace()
        let start = pos
        var i = pos
        var negative = false
        if i < end && base[i] == 0x2D {
            negative = true
            i += 1
        }
        guard i < end, base[i] &- 0x30 < 10 else {
            pos = i
            throw unexpected(negative ? "a digit after '-'" : "a number")
        }
        let limit: UInt64 = negative ? UInt64(1) << 63 : UInt64(Int64.max)
        var magnitude: UInt64 = 0
        if base[i] == 0x30 {
            i += 1
            if i < end && base[i] &- 0x30 < 10 {
                throw syntax("leading zeros are not allowed in numbers", at: start)
            }
        } else {
            while i < end {
                let d = base[i] &- 0x30
                guard d < 10 else { break }
                guard magnitude <= (limit - UInt64(d)) / 10 else {
                    throw syntax("integer is out of range", at: start)
                }
                magnitude = magnitude * 10 + UInt64(d)
                i += 1
            }
        }
        if i < end {
            switch base[i] {
            case 0x2E:
                throw syntax("fractional numbers are not allowed: every number must be an integer", at: start)
            case 0x65, 0x45:
                throw syntax("numbers with exponents are not allowed: every number must be an integer", at: start)
            default: break
            }
        }
        pos = i
        if negative {
            return magnitude == UInt64(1) << 63 ? Int64.min : -Int64(magnitude)
        }
        return Int64(magnitude)
    }

    /// Reads `true` or `false`.
    mutating func readBool() throws(JSONError) -> Bool {
        skipWhitespace()
        if matchLiteral("true") { return true }
        if matchLiteral("false") { return false }
        throw unexpected("true or false")
    }

    /// Reads `null`.
    mutating func readNull() throws(JSONError) {
        guard matchLiteral("null") else { throw unexpected("a value") }
    }

    /// Consumes `literal` if it is next.
    private mutating func matchLiteral(_ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard end - pos >= n else { return false }
        let p = literal.utf8Start
        for k in 0..<n where base[pos + k] != p[k] { return false }
        pos += n
        return true
    }

    // MARK: Whole values

    /// Validates and skips the next value.
    mutating func skipValue() throws(JSONError) {
        switch peekKind() {
        case .string: _ = try scanString()
        case .number: _ = try readInt()
        case .bool: _ = try readBool()
        case .null: try readNull()
        case .object:
            try enterObject()
            var first = true
            while try nextKey(first: &first) != nil { try skipValue() }
        case .array:
            try enterArray()
            var first = true
            while try nextElement(first: &first) { try skipValue() }
        case .end, .invalid:
            throw unexpected("a value")
        }
    }
}
