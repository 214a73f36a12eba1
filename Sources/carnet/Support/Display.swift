import CarnetCore
import CarnetLedger

/// How values look to people, the same in every table: `42,5 kg`, `120,50 €`, ISO dates,
/// clocks in UTC.
enum Display {
    static func quantity(_ amount: Int64?, _ unit: QuantityUnit?) -> String {
        guard let amount else { return "" }
        return unit.map { QuantityText.format(amount, $0) } ?? String(amount)
    }

    static func money(_ cents: Int64?) -> String {
        cents.map { Money(cents: $0).description } ?? ""
    }

    /// A catalog price: cents per kg, litre or piece.
    static func price(_ cents: Int64?, unit: QuantityUnit?) -> String {
        guard let cents else { return "" }
        return Money(cents: cents).description + (unit.map { "/" + $0.priceBasisName } ?? "")
    }

    /// Basis points as a percentage with a decimal comma: 550 → `5,5 %`.
    static func percent(_ basisPoints: Int64) -> String {
        let whole = basisPoints / 100, fraction = abs(basisPoints % 100)
        guard fraction != 0 else { return "\(whole) %" }
        var digits = fraction < 10 ? "0\(fraction)" : "\(fraction)"
        if digits.hasSuffix("0") { digits.removeLast() }
        return "\(whole),\(digits) %"
    }

    /// `ferme-du-col laptop (1a2b3c4d)`, or the short id alone when no label is known.
    static func node(_ node: NodeID, labels: some WriterLabels) -> String {
        labels.label(of: node).map { "\($0) (\(node.short))" } ?? node.short
    }

    /// A register value as the field means it: a price in euros, a unit by name (the unit
    /// a product is sold by, `kg` for one stored in grams, as `product list` shows it).
    static func fieldValue(_ value: Value, field: String, unit: QuantityUnit?) -> String {
        switch (field, value) {
        case let ("price", .int(cents)): price(cents, unit: unit)
        case let ("vat", .int(basisPoints)): percent(basisPoints)
        case let ("unit", .text(text)): QuantityUnit(rawValue: text)?.priceBasisName ?? text
        case let (_, .text(text)): text
        case let (_, .day(days)): CalendarDay(daysSinceEpoch: days).iso
        default: value.description
        }
    }
}

/// JSON forms shared by several commands, so a field has one name everywhere.
enum JSONForms {
    static func value(_ value: Value) -> JSON {
        switch value {
        case let .int(number): .int(number)
        case let .text(text): .string(text)
        case let .bool(flag): .bool(flag)
        case let .day(days): .string(CalendarDay(daysSinceEpoch: days).iso)
        }
    }

    /// The writer and time of an event: `node` (hex), `label` (or null), `clock` (UTC,
    /// readable), `clockMillis`, `clockAhead` (stamped more than 5 minutes ahead of this
    /// machine's clock: `ClockMark`), `event` (`node:seq#hash`).
    static func writer(_ event: EventID, clock: HLCTimestamp, labels: some WriterLabels) -> [String: JSON] {
        let fields = WriterFields(event, clock: clock, labels: labels)
        return ["node": fields.node, "label": fields.label, "clock": fields.clock, "clockMillis": fields.clockMillis,
                "clockAhead": fields.clockAhead, "event": fields.event]
    }

    /// The values of `writer`'s fields, for an object that places them among its own.
    struct WriterFields {
        var node, label, clock, clockMillis, clockAhead, event: JSON

        init(_ event: EventID, clock: HLCTimestamp, labels: some WriterLabels) {
            let hex = event.dot.node.hex
            node = .string(hex)
            label = .optional(labels.label(of: event.dot.node))
            self.clock = .string(clock.readable)
            clockMillis = .int(clock.physical)
            clockAhead = .bool(ClockMark.isAhead(clock))
            self.event = .string("\(hex):\(event.dot.seq)#\(event.hash.short)")
        }
    }

    static func entry(_ record: LedgerRecord, state: LedgerState, replica: Replica) -> JSON {
        entry(record, voidedBy: state.voidingReversal(of: record), labels: replica, standing: EntryStanding(record, in: state))
    }

    /// An entry as `show --json` prints it (an object it adds fields to): `entryFields`.
    static func entry(_ record: LedgerRecord, voidedBy: LedgerRecord?, labels: some WriterLabels,
                      standing: EntryStanding? = nil) -> JSON {
        .object(Dictionary(uniqueKeysWithValues: entryFields(record, voidedBy: voidedBy, labels: labels, standing: standing)
            .map { ($0.key, $0.value) }))
    }

    /// An entry as `log --json` and `show --json` print it, its fields in key order (what
    /// `log` writes a million of: `JSON.fields`); `voidedBy`: the reversal that cancels
    /// it, if any (from the ledger state, or from the entry index); `standing`: in a
    /// ledger with members, whether it counts and its writer's roles. The fields are
    /// listed here in the order of their keys (as bytes: capitals first); a debug build
    /// checks it when they are written.
    static func entryFields(_ record: LedgerRecord, voidedBy: LedgerRecord?, labels: some WriterLabels,
                            standing: EntryStanding? = nil) -> [JSON.Field] {
        let entry = record.entry
        let writer = WriterFields(record.event, clock: record.clock, labels: labels)
        var fields: [JSON.Field] = []
        fields.reserveCapacity(34)
        func add(_ key: String, _ value: JSON) { fields.append(JSON.Field(key, value)) }
        // Signed ledgers with members: format-1 history the creator adopted (SPEC §9.7).
        if let standing { add("adopted", .bool(standing.adopted)) }
        add("amountCents", .optional(entry.amount))
        if entry.kind == .sale || entry.kind == .purchase || entry.refKind == .sale || entry.refKind == .purchase {
            add("amountExclVatCents", .optional(entry.amountExcludingVAT))
        }
        add("clock", writer.clock)
        add("clockAhead", writer.clockAhead)
        add("clockMillis", writer.clockMillis)
        // Signed ledgers with members (SPEC §9.5): whether it counts, and the writer's roles.
        if let standing { add("counts", .bool(standing.verdict == .counts)) }
        add("date", .string(entry.date.iso))
        add("event", writer.event)
        add("family", .optional(entry.family))
        add("id", .string(entry.id))
        add("kind", .string(entry.kind.rawValue))
        add("label", writer.label)
        if let labels = entry.labels { add("labels", .array(labels.split(separator: ",").map { .string(String($0)) })) }
        let order = entry.order.flatMap { order in entry.line.map { (order, $0) } }
        if let order { add("line", .int(order.1)) }
        add("lot", .optional(entry.lot))
        add("method", .optional(entry.method))
        add("node", writer.node)
        add("note", .optional(entry.note))
        if let order { add("order", .string(order.0)) }
        add("party", .optional(entry.party))
        add("producer", .string(entry.producer))
        add("product", .optional(entry.product))
        add("quantity", .optional(entry.quantity))
        add("reason", .optional(entry.reason))
        add("ref", .optional(entry.ref))
        if let event = entry.refEvent { add("refEvent", .string(event.hex)) }
        add("refKind", .optional(entry.refKind?.rawValue))
        if let sides = entry.sides { add("sides", .array(sides.map { .string($0.hex) })) }
        add("unit", .optional(entry.unit?.rawValue))
        add("vatRate", .optional(entry.vat))
        if let standing { add("verdict", .string(standing.verdict.name)) }
        add("voided", .bool(voidedBy != nil))
        add("voidedBy", .optional(voidedBy?.entry.id))
        if let standing { add("writerRoles", .optional(standing.writerRoles?.description)) }
        return fields
    }
}
