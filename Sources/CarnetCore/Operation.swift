/// A mutable record: `product/P0042`, `party/cantine-jaures`, `setting/vat`.
public struct RecordKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var type: String
    public var id: String

    public init(type: String, id: String) {
        self.type = type
        self.id = id
    }

    public var description: String { "\(type)/\(id)" }

    // Byte-exact (see `ExactText`): these keys reach digests and orderings.
    public static func == (lhs: RecordKey, rhs: RecordKey) -> Bool {
        ExactText.equal(lhs.type, rhs.type) && ExactText.equal(lhs.id, rhs.id)
    }

    public func hash(into hasher: inout Hasher) {
        ExactText.hash(type, into: &hasher)
        ExactText.hash(id, into: &hasher)
    }

    public static func < (lhs: RecordKey, rhs: RecordKey) -> Bool {
        if !ExactText.equal(lhs.type, rhs.type) { return ExactText.less(lhs.type, rhs.type) }
        return ExactText.less(lhs.id, rhs.id)
    }
}

/// One field of one mutable record: the unit of conflict (a multi-value register).
public struct FieldKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var record: RecordKey
    public var field: String

    public init(record: RecordKey, field: String) {
        self.record = record
        self.field = field
    }

    public init(_ type: String, _ id: String, _ field: String) {
        self.init(record: RecordKey(type: type, id: id), field: field)
    }

    public var description: String { "\(record).\(field)" }

    public static func == (lhs: FieldKey, rhs: FieldKey) -> Bool {
        lhs.record == rhs.record && ExactText.equal(lhs.field, rhs.field)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(record)
        ExactText.hash(field, into: &hasher)
    }

    public static func < (lhs: FieldKey, rhs: FieldKey) -> Bool {
        if lhs.record != rhs.record { return lhs.record < rhs.record }
        return ExactText.less(lhs.field, rhs.field)
    }
}

/// A write to a multi-value register. It names the writes it has seen (and so replaces);
/// anything it does not name is concurrent and stays visible beside it.
public struct Assignment: Hashable, Sendable {
    public var key: FieldKey
    public var value: Value
    /// The register values this write replaces, sorted and without duplicates.
    public var supersedes: [EventID]

    public init(key: FieldKey, value: Value, supersedes: [EventID] = []) {
        self.key = key
        self.value = value
        self.supersedes = Array(Set(supersedes)).sorted()
    }
}

/// An immutable ledger entry. Never edited or deleted: a correction is another entry.
/// The core keeps entries opaque; their meaning (kinds, reversals) is the ledger's.
public struct Entry: Hashable, Sendable {
    /// The entry's id as people see it (`F18-000123`), unique per writer by construction.
    public var id: String
    public var kind: String
    public var fields: Fields

    public init(id: String, kind: String, fields: Fields) {
        self.id = id
        self.kind = kind
        self.fields = fields
    }
}

/// What one event does.
public enum Operation: Hashable, Sendable {
    case assign(Assignment)
    case append(Entry)
}
