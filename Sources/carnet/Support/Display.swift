import CarnetCore
import CarnetLedger

/// How values look to people, the same in every table: `42,5 kg`, `120,50 €`, ISO dates,
/// clocks in UTC.
enum Display {
    static func quantity(_ amount: Int64?, _ unit: QuantityUnit?) -> String {
        guard let amount else { return "" }
        return unit.map { Quantity(amount, $0).description } ?? String(amount)
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

    /// The writer and time of an event (with room for `room` fields): `node` (hex), `label` (or null), `clock` (UTC,
    /// readable), `clockMillis`, `clockAhead` (stamped more than 5 minutes ahead of this
    /// machine's clock: `ClockMark`), `event` (`node:seq#hash`).
    static func writer(_ event: EventID, clock: HLCTimestamp, labels: some WriterLabels, room: Int = 6) -> [String: JSON] {
        var object = [String: JSON](minimumCapacity: room)
        let node = event.dot.node.hex
        object["node"] = .string(node)
        object["label"] = .optional(labels.label(of: event.dot.node))
        object["clock"] = .string(clock.readable)
        object["clockMillis"] = .int(clock.physical)
        object["clockAhead"] = .bool(ClockMark.isAhead(clock))
        object["event"] = .string("\(node):\(event.dot.seq)#\(event.hash.short)")
        return object
    }

    static func entry(_ record: LedgerRecord, state: LedgerState, replica: Replica) -> JSON {
        entry(record, voidedBy: state.voidingReversal(of: record), labels: replica, standing: EntryStanding(record, in: state))
    }

    /// An entry as `log --json` and `show --json` print it; `voidedBy`: the reversal that
    /// cancels it, if any (from the ledger state, or from the entry index); `standing`: in
    /// a ledger with members, whether it counts and its writer's roles.
    static func entry(_ record: LedgerRecord, voidedBy: LedgerRecord?, labels: some WriterLabels,
                      standing: EntryStanding? = nil) -> JSON {
        let entry = record.entry
        // Room for every field at once: `log --json` makes a million of these, and growing
        // the dictionary field by field was a tenth of its time.
        var object = writer(record.event, clock: record.clock, labels: labels, room: 32)
        object["id"] = .string(entry.id)
        object["kind"] = .string(entry.kind.rawValue)
        object["producer"] = .string(entry.producer)
        object["date"] = .string(entry.date.iso)
        object["product"] = .optional(entry.product)
        object["quantity"] = .optional(entry.quantity)
        object["unit"] = .optional(entry.unit?.rawValue)
        object["lot"] = .optional(entry.lot)
        object["party"] = .optional(entry.party)
        object["amountCents"] = .optional(entry.amount)
        object["vatRate"] = .optional(entry.vat)
        if let labels = entry.labels { object["labels"] = .array(labels.split(separator: ",").map { .string(String($0)) }) }
        object["family"] = .optional(entry.family)
        if entry.kind == .sale || entry.kind == .purchase || entry.refKind == .sale || entry.refKind == .purchase {
            object["amountExclVatCents"] = .optional(entry.amountExcludingVAT)
        }
        object["method"] = .optional(entry.method)
        object["ref"] = .optional(entry.ref)
        object["refKind"] = .optional(entry.refKind?.rawValue)
        object["reason"] = .optional(entry.reason)
        object["note"] = .optional(entry.note)
        if let event = entry.refEvent { object["refEvent"] = .string(event.hex) }
        if let sides = entry.sides { object["sides"] = .array(sides.map { .string($0.hex) }) }
        if let order = entry.order, let line = entry.line {
            object["order"] = .string(order)
            object["line"] = .int(line)
        }
        object["voided"] = .bool(voidedBy != nil)
        object["voidedBy"] = .optional(voidedBy?.entry.id)
        if let standing {
            // Signed ledgers with members (SPEC §9.5): whether it counts, and the writer's roles.
            object["counts"] = .bool(standing.verdict == .counts)
            object["verdict"] = .string(standing.verdict.name)
            object["writerRoles"] = .optional(standing.writerRoles?.description)
        }
        return .object(object)
    }
}
