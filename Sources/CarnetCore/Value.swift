/// A field value. Deliberately small: integers (money in cents, quantities in grams,
/// millilitres or pieces), text, booleans and calendar days. No floating point, ever.
public enum Value: Hashable, Sendable, Comparable, CustomStringConvertible {
    case int(Int64)
    case text(String)
    case bool(Bool)
    /// Days since 1970-01-01 (proleptic Gregorian).
    case day(Int32)

    /// Byte-exact for text (see `ExactText`): two spellings of one word are two values.
    public static func == (lhs: Value, rhs: Value) -> Bool {
        switch (lhs, rhs) {
        case let (.int(a), .int(b)): a == b
        case let (.text(a), .text(b)): ExactText.equal(a, b)
        case let (.bool(a), .bool(b)): a == b
        case let (.day(a), .day(b)): a == b
        default: false
        }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(typeRank)
        switch self {
        case let .int(v): hasher.combine(v)
        case let .text(v): ExactText.hash(v, into: &hasher)
        case let .bool(v): hasher.combine(v)
        case let .day(v): hasher.combine(v)
        }
    }

    /// Canonical order: by type first, then by value (text by UTF-8 bytes).
    public static func < (lhs: Value, rhs: Value) -> Bool {
        switch (lhs, rhs) {
        case let (.int(a), .int(b)): return a < b
        case let (.text(a), .text(b)): return ExactText.less(a, b)
        case let (.bool(a), .bool(b)): return !a && b
        case let (.day(a), .day(b)): return a < b
        default: return lhs.typeRank < rhs.typeRank
        }
    }

    var typeRank: UInt8 {
        switch self {
        case .int: 0
        case .text: 1
        case .bool: 2
        case .day: 3
        }
    }

    public var intValue: Int64? { if case let .int(v) = self { v } else { nil } }
    public var textValue: String? { if case let .text(v) = self { v } else { nil } }
    public var boolValue: Bool? { if case let .bool(v) = self { v } else { nil } }
    public var dayValue: Int32? { if case let .day(v) = self { v } else { nil } }

    public var description: String {
        switch self {
        case let .int(v): "\(v)"
        case let .text(v): v
        case let .bool(v): v ? "true" : "false"
        case let .day(v): "day \(v)"
        }
    }
}

/// One named value of an entry.
public struct Field: Hashable, Sendable {
    public var name: String
    public var value: Value

    public init(_ name: String, _ value: Value) {
        self.name = name
        self.value = value
    }
}

/// The fields of an entry, in the order the writer gave them (that order is part of the
/// event's bytes, so it must not depend on a dictionary).
public struct Fields: Hashable, Sendable, RandomAccessCollection, ExpressibleByArrayLiteral {
    public private(set) var items: [Field]

    public init(_ items: [Field] = []) { self.items = items }
    public init(arrayLiteral elements: Field...) { self.items = elements }

    public var startIndex: Int { items.startIndex }
    public var endIndex: Int { items.endIndex }
    public subscript(position: Int) -> Field { items[position] }

    /// The value of the first field with this name, compared as bytes like every name
    /// of the protocol (SPEC §1): `String ==` would also take a canonically equivalent
    /// spelling (a Kelvin sign for a K), and costs a Unicode comparison per field.
    public subscript(name: String) -> Value? {
        for field in items where ExactText.equal(field.name, name) { return field.value }
        return nil
    }

    public mutating func append(_ name: String, _ value: Value) {
        items.append(Field(name, value))
    }
}
