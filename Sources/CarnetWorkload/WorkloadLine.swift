// The typed model of one line of a "producer-ledger-workload/1" file, and its compact
// JSON encoding (keys in the order the format gives, so a generator built on it writes
// byte-reproducible files).

/// A catalog field value: the format has integers, strings and booleans only.
public enum WorkloadValue: Sendable, Equatable {
    case int(Int64)
    case string(String)
    case bool(Bool)

    public var intValue: Int64? {
        if case .int(let v) = self { return v }
        return nil
    }

    public var stringValue: String? {
        if case .string(let v) = self { return v }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let v) = self { return v }
        return nil
    }
}

/// The `meta` line (always line 1).
public struct WorkloadMeta: Sendable, Equatable {
    /// The only schema this reader accepts.
    public static let schemaName = "producer-ledger-workload/1"

    public var schema: String
    public var seed: Int
    public var farms: Int
    public var days: Int
    public var products: Int
    /// Number of `entry` lines in the file.
    public var entries: Int
    /// Date of day 0, "YYYY-MM-DD".
    public var start: String
    /// Actor id of the hub ("HUB").
    public var hub: String
    /// Hub first, then the farms in order; the order of actors within a day.
    public var actors: [String]
    /// Key `counts`: number of `entry`, `cat`, `sync` lines, in file order (empty if absent).
    public var counts: [(name: String, count: Int)]
    /// Key `kinds`: entries per kind, in file order (empty if absent).
    public var kinds: [(name: String, count: Int)]
    /// Key `conflict_groups` (nil if absent).
    public var conflictGroups: Int?

    public init(
        schema: String = WorkloadMeta.schemaName, seed: Int, farms: Int, days: Int,
        products: Int, entries: Int, start: String, hub: String, actors: [String],
        counts: [(name: String, count: Int)] = [], kinds: [(name: String, count: Int)] = [],
        conflictGroups: Int? = nil
    ) {
        self.schema = schema
        self.seed = seed
        self.farms = farms
        self.days = days
        self.products = products
        self.entries = entries
        self.start = start
        self.hub = hub
        self.actors = actors
        self.counts = counts
        self.kinds = kinds
        self.conflictGroups = conflictGroups
    }

    /// The value of `counts[name]`, if present.
    public func count(of name: String) -> Int? {
        counts.first { $0.name == name }?.count
    }

    /// The value of `kinds[name]`, if present.
    public func count(ofKind name: String) -> Int? {
        kinds.first { $0.name == name }?.count
    }

    public static func == (a: WorkloadMeta, b: WorkloadMeta) -> Bool {
        a.schema == b.schema && a.seed == b.seed && a.farms == b.farms && a.days == b.days
            && a.products == b.products && a.entries == b.entries && a.start == b.start
            && a.hub == b.hub && a.actors == b.actors && a.conflictGroups == b.conflictGroups
            && a.counts.elementsEqual(b.counts, by: { $0.name == $1.name && $0.count == $1.count })
            && a.kinds.elementsEqual(b.kinds, by: { $0.name == $1.name && $0.count == $1.count })
    }
}

/// A `cat` line: one actor's write of some fields of one product.
public struct CatalogWrite: Sendable, Equatable {
    public var actor: String
    /// "YYYY-MM-DD".
    public var date: String
    /// "P" + 4 digits.
    public var product: String
    /// The `set` object's members, in file order.
    public var fields: [(name: String, value: WorkloadValue)]

    public init(actor: String, date: String, product: String, fields: [(name: String, value: WorkloadValue)]) {
        self.actor = actor
        self.date = date
        self.product = product
        self.fields = fields
    }

    /// The value written to field `name`, if this write sets it.
    public subscript(field name: String) -> WorkloadValue? {
        fields.first { $0.name == name }?.value
    }

    public static func == (a: CatalogWrite, b: CatalogWrite) -> Bool {
        a.actor == b.actor && a.date == b.date && a.product == b.product
            && a.fields.elementsEqual(b.fields, by: { $0.name == $1.name && $0.value == $1.value })
    }
}

/// An `entry` line: a ledger entry appended by a farm (the line minus `t`).
public struct WorkloadEntry: Sendable, Equatable {
    public var id: String
    public var farm: String
    public var date: String
    /// harvest, delivery, sale, payment or reversal.
    public var kind: String
    public var product: String?
    public var qty: Int64?
    public var unit: String?
    public var lot: String?
    public var to: String?
    public var party: String?
    public var amount: Int64?
    public var method: String?
    public var ref: String?
    /// JSON key "ref_kind".
    public var refKind: String?
    public var reason: String?
    public var note: String?

    public init(
        id: String, farm: String, date: String, kind: String,
        product: String? = nil, qty: Int64? = nil, unit: String? = nil, lot: String? = nil,
        to: String? = nil, party: String? = nil, amount: Int64? = nil, method: String? = nil,
        ref: String? = nil, refKind: String? = nil, reason: String? = nil, note: String? = nil
    ) {
        self.id = id
        self.farm = farm
        self.date = date
        self.kind = kind
        self.product = product
        self.qty = qty
        self.unit = unit
        self.lot = lot
        self.to = to
        self.party = party
        self.amount = amount
        self.method = method
        self.ref = ref
        self.refKind = refKind
        self.reason = reason
        self.note = note
    }

    /// The kinds the format defines, in the order of its table.
    public static let kinds = ["harvest", "delivery", "sale", "payment", "reversal"]
}

/// One line of a workload file.
public enum WorkloadLine: Sendable, Equatable {
    case meta(WorkloadMeta)
    case catalog(CatalogWrite)
    case entry(WorkloadEntry)
    /// End of day `day` (from 0).
    case sync(day: Int)

    /// The line's `t` value.
    public var typeName: String {
        switch self {
        case .meta: "meta"
        case .catalog: "cat"
        case .entry: "entry"
        case .sync: "sync"
        }
    }

    /// The line as compact JSON, without the trailing newline.
    public func encoded() -> String {
        var out: [UInt8] = []
        out.reserveCapacity(192)
        appendEncoded(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the line as compact JSON to `out`, without the trailing newline. Keys come
    /// in the order of the format, so a line read from a generated file encodes back to
    /// the same bytes.
    public func appendEncoded(to out: inout [UInt8]) {
        var w = LineWriter(out: out)
        out = []  // keep `w.out` uniquely referenced while it grows
        switch self {
        case .meta(let m):
            w.begin("meta")
            w.string("schema", m.schema)
            w.int("seed", Int64(m.seed))
            w.int("farms", Int64(m.farms))
            w.int("days", Int64(m.days))
            w.int("products", Int64(m.products))
            w.int("entries", Int64(m.entries))
            w.string("start", m.start)
            w.string("hub", m.hub)
            w.key("actors")
            w.out.append(UInt8(ascii: "["))
            for (i, actor) in m.actors.enumerated() {
                if i > 0 { w.out.append(UInt8(ascii: ",")) }
                JSONEncoding.appendString(actor, to: &w.out)
            }
            w.out.append(UInt8(ascii: "]"))
            if !m.counts.isEmpty { w.countObject("counts", m.counts) }
            if !m.kinds.isEmpty { w.countObject("kinds", m.kinds) }
            if let groups = m.conflictGroups { w.int("conflict_groups", Int64(groups)) }
        case .catalog(let c):
            w.begin("cat")
            w.string("actor", c.actor)
            w.string("date", c.date)
            w.string("product", c.product)
            w.key("set")
            w.out.append(UInt8(ascii: "{"))
            for (i, field) in c.fields.enumerated() {
                if i > 0 { w.out.append(UInt8(ascii: ",")) }
                JSONEncoding.appendString(field.name, to: &w.out)
                w.out.append(UInt8(ascii: ":"))
                switch field.value {
                case .int(let v): JSONEncoding.appendInt(v, to: &w.out)
                case .string(let s): JSONEncoding.appendString(s, to: &w.out)
                case .bool(let b): JSONEncoding.appendLiteral(b ? "true" : "false", to: &w.out)
                }
            }
            w.out.append(UInt8(ascii: "}"))
        case .entry(let e):
            w.begin("entry")
            w.string("id", e.id)
            w.string("farm", e.farm)
            w.string("date", e.date)
            w.string("kind", e.kind)
            if e.kind == "reversal" {
                // reversal: id, farm, date, kind, ref, ref_kind, reason, amount | qty
                w.string("ref", e.ref)
                w.string("ref_kind", e.refKind)
                w.string("reason", e.reason)
                w.int("amount", e.amount)
                w.int("qty", e.qty)
                w.string("product", e.product)
                w.string("unit", e.unit)
                w.string("lot", e.lot)
                w.string("to", e.to)
                w.string("party", e.party)
                w.string("method", e.method)
            } else {
                // harvest:  product, qty, unit, lot
                // delivery: product, qty, unit, lot, to
                // sale:     product, qty, unit, lot, party, amount
                // payment:  party, amount, method, ref
                w.string("product", e.product)
                w.int("qty", e.qty)
                w.string("unit", e.unit)
                w.string("lot", e.lot)
                w.string("to", e.to)
                w.string("party", e.party)
                w.int("amount", e.amount)
                w.string("method", e.method)
                w.string("ref", e.ref)
                w.string("ref_kind", e.refKind)
                w.string("reason", e.reason)
            }
            w.string("note", e.note)
        case .sync(let day):
            w.begin("sync")
            w.int("day", Int64(day))
        }
        w.out.append(UInt8(ascii: "}"))
        out = w.out
    }
}

/// Appends `"key":value` members after the opening `{"t":"…"`.
private struct LineWriter {
    var out: [UInt8]

    mutating func begin(_ type: StaticString) {
        out.append(UInt8(ascii: "{"))
        JSONEncoding.appendLiteral("\"t\":\"", to: &out)
        JSONEncoding.appendLiteral(type, to: &out)
        out.append(UInt8(ascii: "\""))
    }

    mutating func key(_ name: StaticString) {
        out.append(UInt8(ascii: ","))
        out.append(UInt8(ascii: "\""))
        JSONEncoding.appendLiteral(name, to: &out)
        out.append(UInt8(ascii: "\""))
        out.append(UInt8(ascii: ":"))
    }

    mutating func string(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        JSONEncoding.appendString(value, to: &out)
    }

    mutating func int(_ name: StaticString, _ value: Int64?) {
        guard let value else { return }
        key(name)
        JSONEncoding.appendInt(value, to: &out)
    }

    mutating func countObject(_ name: StaticString, _ pairs: [(name: String, count: Int)]) {
        key(name)
        out.append(UInt8(ascii: "{"))
        for (i, pair) in pairs.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONEncoding.appendString(pair.name, to: &out)
            out.append(UInt8(ascii: ":"))
            JSONEncoding.appendInt(Int64(pair.count), to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }
}
