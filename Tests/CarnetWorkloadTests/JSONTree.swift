// A JSON tree parser and compact encoder for the tests: the grammar tests
// (JSONScannerTests) drive the product's strict pull parser, `JSONCursor`, through it, and
// the reader's random-input test checks that whatever parses re-encodes to the same tree.
// Test equipment: `carnet import` streams lines through `JSONCursor` and never builds a
// tree, so the tree lives here rather than in the shipped CarnetWorkload.
@testable import CarnetWorkload

/// A parsed JSON value. Numbers are integers only (the workload format has no others).
enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case string(String)
    case array([JSONValue])
    /// Members in document order; duplicate keys are kept as they appear.
    case object([JSONMember])

    /// The value of the first member named `key`, if this is an object that has one.
    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        for member in members where member.key == key { return member.value }
        return nil
    }

    /// Compact JSON text for this value (no spaces, non-ASCII characters literal).
    func encoded() -> String {
        var out: [UInt8] = []
        appendEncoded(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends compact JSON text for this value to `out`.
    func appendEncoded(to out: inout [UInt8]) {
        switch self {
        case .null: JSONEncoding.appendLiteral("null", to: &out)
        case .bool(let b): JSONEncoding.appendLiteral(b ? "true" : "false", to: &out)
        case .int(let v): JSONEncoding.appendInt(v, to: &out)
        case .string(let s): JSONEncoding.appendString(s, to: &out)
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
                JSONEncoding.appendString(member.key, to: &out)
                out.append(UInt8(ascii: ":"))
                member.value.appendEncoded(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}

/// One `"key": value` member of a JSON object.
struct JSONMember: Sendable, Equatable {
    var key: String
    var value: JSONValue
    init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

/// Entry points of the tree parser.
enum JSONScanner {
    /// Default bound on nesting of arrays and objects: the reader's.
    static let defaultMaxDepth = JSONCursor.defaultMaxDepth

    /// Parses one JSON document (surrounding whitespace allowed, nothing else after it).
    static func parse(
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
    static func parse(_ text: String, maxDepth: Int = defaultMaxDepth) throws(JSONError) -> JSONValue {
        try parse(Array(text.utf8), maxDepth: maxDepth)
    }

    /// Checks that `bytes` hold exactly one well-formed JSON document, without building it
    /// (the way the reader skips the values of keys it does not know).
    static func validate(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(JSONError) {
        try bytes.withUnsafeBufferPointer { (buffer) throws(JSONError) -> Void in
            var cursor = JSONCursor(buffer, from: 0, to: buffer.count, maxDepth: maxDepth, lineMode: false)
            try cursor.skipValue()
            try cursor.expectEnd()
        }
    }
}

extension JSONCursor {
    /// Parses the next value into a tree.
    mutating func parseValue() throws(JSONError) -> JSONValue {
        switch peekKind() {
        case .string: return .string(try readString())
        case .number: return .int(try readInt())
        case .bool: return .bool(try readBool())
        case .null:
            try readNull()
            return .null
        case .object:
            try enterObject()
            var members: [JSONMember] = []
            var first = true
            while let key = try nextKey(first: &first) {
                let name = string(key)
                members.append(JSONMember(name, try parseValue()))
            }
            return .object(members)
        case .array:
            try enterArray()
            var items: [JSONValue] = []
            var first = true
            while try nextElement(first: &first) { items.append(try parseValue()) }
            return .array(items)
        case .end, .invalid:
            throw unexpected("a value")
        }
    }
}
