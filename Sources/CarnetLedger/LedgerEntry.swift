import CarnetCore

/// What happened, in the vocabulary of the producers (see CLI.md, `record`).
public enum EntryKind: String, Sendable, CaseIterable, Hashable {
    case harvest, production, delivery, sale, purchase, payment, loss, adjust, reversal
    /// A person's verdict on a conflict that no entry can undo (a fork, a reversal of a
    /// reversal, ...): "seen, and right as it stands". It names the conflict and the sides
    /// it saw, so a side that arrives later opens the conflict again. Moves nothing.
    case review
    /// One line of an order: a buyer (`party`) asks a seller (`producer`) for a quantity
    /// of a product by a day, at an agreed amount. Moves nothing; sales, deliveries and
    /// purchases naming the line fulfil it.
    case order
    /// A drive basket or an order that was never picked up (`ref`: the order).
    case uncollected

    /// Whether entries of this kind move stock at all.
    public var movesStock: Bool { stockDirection != nil }

    /// Whether entries of this kind move stock, and in which direction (+1 in, -1 out).
    /// `adjust` carries its own sign.
    var stockDirection: Int64? {
        switch self {
        case .harvest, .production, .purchase, .adjust: 1
        case .delivery, .sale, .loss: -1
        case .payment, .reversal, .review, .order, .uncollected: nil
        }
    }
}

/// A payment method.
public enum PaymentMethod: String, Sendable, CaseIterable {
    case cash, card, transfer, cheque
}

/// A typed ledger entry. Immutable once written; a mistake is corrected by a reversal.
///
/// Quantities and money are integers in the smallest unit (grams, millilitres or pieces;
/// euro cents), never floating point.
public struct LedgerEntry: Hashable, Sendable {
    public var id: String
    public var kind: EntryKind
    /// The party (of kind farm) the entry belongs to.
    public var producer: String
    public var date: CalendarDay
    public var product: String?
    /// Signed quantity in `unit`; negative only in adjustments and reversals.
    public var quantity: Int64?
    public var unit: QuantityUnit?
    public var lot: String?
    /// The other side: who bought, received a delivery, sold to us or paid us.
    public var party: String?
    /// Euro cents, VAT included; negative only in reversals.
    public var amount: Int64?
    /// The VAT rate of `amount`, in basis points (550 is 5.5 %); nil when the entry says
    /// none (entries written before rates were recorded): `VAT.foodRate` is then assumed.
    public var vat: Int64?
    /// The product's labels and family as the catalog said when the sale or purchase was
    /// recorded (`QualityLabel.field`, `ProductFamily`): what the buyer bought, kept with
    /// the entry, so that a label the product gains or loses later does not rewrite a
    /// year already declared.
    public var labels: String?
    public var family: String?
    public var method: String?
    /// The entry this one settles (payment) or cancels (reversal).
    public var ref: String?
    public var refKind: EntryKind?
    /// A reversal that cancels one entry among several carrying its `ref` id: the hash of
    /// the event that carries it (two entries with one id are otherwise voided together).
    public var refEvent: SHA256Digest?
    /// A review: the hashes of the events that were the conflict's sides when it was seen.
    public var sides: [SHA256Digest]?
    /// An order line, or an entry that fulfils one: the order's id and the line's number.
    public var order: String?
    public var line: Int64?
    public var reason: String?
    public var note: String?

    public init(
        id: String, kind: EntryKind, producer: String, date: CalendarDay,
        product: String? = nil, quantity: Int64? = nil, unit: QuantityUnit? = nil, lot: String? = nil,
        party: String? = nil, amount: Int64? = nil, vat: Int64? = nil, labels: String? = nil, family: String? = nil,
        method: String? = nil,
        ref: String? = nil, refKind: EntryKind? = nil, refEvent: SHA256Digest? = nil, sides: [SHA256Digest]? = nil,
        order: String? = nil, line: Int64? = nil, reason: String? = nil, note: String? = nil
    ) {
        self.id = id; self.kind = kind; self.producer = producer; self.date = date
        self.product = product; self.quantity = quantity; self.unit = unit; self.lot = lot
        self.party = party; self.amount = amount; self.vat = vat
        self.labels = labels; self.family = family; self.method = method
        self.ref = ref; self.refKind = refKind; self.refEvent = refEvent; self.sides = sides
        self.order = order; self.line = line
        self.reason = reason; self.note = note
    }

    /// The order line this entry is (an `order`) or fulfils: `ORDER:LINE`.
    public var orderLineID: String? {
        guard let order, let line else { return nil }
        return OrderLineID.make(order: order, line: line)
    }

    /// The amount before VAT, at the entry's rate (or the food rate when it has none).
    public var amountExcludingVAT: Int64? { amount.map { VAT.excluding($0, rate: vat ?? VAT.foodRate) } }

    /// The core entry that carries this one in an event. Field order is fixed here, so the
    /// same entry always has the same bytes.
    public var coreEntry: Entry {
        var fields = Fields()
        // A review settles a conflict, which belongs to no actor: it has no producer.
        if kind != .review || !producer.isEmpty { fields.append(FieldName.producer, .text(producer)) }
        fields.append(FieldName.date, .day(date.daysSinceEpoch))
        if let product { fields.append(FieldName.product, .text(product)) }
        if let quantity { fields.append(FieldName.quantity, .int(quantity)) }
        if let unit { fields.append(FieldName.unit, .text(unit.rawValue)) }
        if let lot { fields.append(FieldName.lot, .text(lot)) }
        if let party { fields.append(FieldName.party, .text(party)) }
        if let amount { fields.append(FieldName.amount, .int(amount)) }
        if let vat { fields.append(FieldName.vat, .int(vat)) }
        if let labels { fields.append(FieldName.labels, .text(labels)) }
        if let family { fields.append(FieldName.family, .text(family)) }
        if let method { fields.append(FieldName.method, .text(method)) }
        if let ref { fields.append(FieldName.ref, .text(ref)) }
        if let refKind { fields.append(FieldName.refKind, .text(refKind.rawValue)) }
        if let refEvent { fields.append(FieldName.refEvent, .text(refEvent.hex)) }
        if let sides { fields.append(FieldName.sides, .text(sides.map(\.hex).joined(separator: ","))) }
        if let order { fields.append(FieldName.order, .text(order)) }
        if let line { fields.append(FieldName.line, .int(line)) }
        if let reason { fields.append(FieldName.reason, .text(reason)) }
        if let note { fields.append(FieldName.note, .text(note)) }
        return Entry(id: id, kind: kind.rawValue, fields: fields)
    }

    /// Reads a core entry back. Fails on an unknown kind or a field of the wrong type, so a
    /// newer writer's entries are reported rather than misread.
    public init(_ entry: Entry) throws(LedgerError) {
        guard let kind = EntryKind(rawValue: entry.kind) else {
            throw LedgerError("entry \(entry.id) has unknown kind \"\(entry.kind)\"")
        }
        let values = EntryField.lookup.values(in: entry.fields)
        func text(_ field: EntryField) throws(LedgerError) -> String? {
            guard let value = values[field.rawValue] else { return nil }
            guard case let .text(text) = value else { throw LedgerError("entry \(entry.id): field \(field.name) is not text") }
            return text
        }
        func int(_ field: EntryField) throws(LedgerError) -> Int64? {
            guard let value = values[field.rawValue] else { return nil }
            guard case let .int(number) = value else { throw LedgerError("entry \(entry.id): field \(field.name) is not a number") }
            return number
        }
        let producerText = try text(.producer)
        guard let producer = producerText ?? (kind == .review ? "" : nil) else { throw LedgerError("entry \(entry.id) has no producer") }
        guard case let .day(day)? = values[EntryField.date.rawValue] else { throw LedgerError("entry \(entry.id) has no date") }
        var unit: QuantityUnit?
        if let unitText = try text(.unit) {
            guard let parsed = QuantityUnit(rawValue: unitText) else { throw LedgerError("entry \(entry.id) has unknown unit \"\(unitText)\"") }
            unit = parsed
        }
        if let rate = try int(.vat), !(0...VAT.highestRate).contains(rate) {
            throw LedgerError("entry \(entry.id) has a VAT rate of \(rate) basis points, outside 0 to 10,000")
        }
        var refKind: EntryKind?
        if let refKindText = try text(.refKind) {
            guard let parsed = EntryKind(rawValue: refKindText) else { throw LedgerError("entry \(entry.id) reverses unknown kind \"\(refKindText)\"") }
            refKind = parsed
        }
        var refEvent: SHA256Digest?
        if let hex = try text(.refEvent) {
            guard let digest = SHA256Digest(lowercaseHex: hex) else {
                throw LedgerError("entry \(entry.id): ref_event is not an event hash (64 lowercase hex digits)")
            }
            refEvent = digest
        }
        var sides: [SHA256Digest]?
        if let list = try text(.sides) {
            let parsed = list.split(separator: ",", omittingEmptySubsequences: false).map { SHA256Digest(lowercaseHex: String($0)) }
            guard !parsed.isEmpty, !parsed.contains(nil) else {
                throw LedgerError("entry \(entry.id): sides is not a list of event hashes (64 lowercase hex digits, comma-separated)")
            }
            sides = parsed.compactMap { $0 }
        }
        let order = try text(.order), line = try int(.line)
        if (order == nil) != (line == nil) || line.map({ $0 < 1 }) == true {
            throw LedgerError("entry \(entry.id) names an order line without both the order and a line number from 1")
        }
        let product = try text(.product), quantity = try int(.quantity)
        if kind == .order, order == nil || product == nil || quantity == nil {
            throw LedgerError("entry \(entry.id) is an order line without its order, line, product or quantity")
        }
        if kind == .uncollected, try text(.ref) == nil {
            throw LedgerError("entry \(entry.id) says an order was not collected without naming it (ref)")
        }
        if kind == .review, try text(.ref) == nil || sides == nil {
            throw LedgerError("entry \(entry.id) is a review without the conflict it settles (ref) or the sides it saw (sides)")
        }
        self.init(
            id: entry.id, kind: kind, producer: producer, date: CalendarDay(daysSinceEpoch: day),
            product: try text(.product), quantity: try int(.quantity), unit: unit,
            lot: try text(.lot), party: try text(.party), amount: try int(.amount),
            vat: try int(.vat), labels: try text(.labels), family: try text(.family),
            method: try text(.method), ref: try text(.ref), refKind: refKind,
            refEvent: refEvent, sides: sides, order: order, line: line, reason: try text(.reason), note: try text(.note)
        )
    }

    /// The entry that cancels this one: same producer, the opposite quantity or amount.
    /// `event` names the event that carries this entry, when other entries share its id
    /// and only this one is cancelled.
    public func reversal(id: String, date: CalendarDay, reason: String, event: SHA256Digest? = nil) -> LedgerEntry {
        let movesMoney = kind == .sale || kind == .payment || kind == .purchase
        return LedgerEntry(
            id: id, kind: .reversal, producer: producer, date: date,
            quantity: movesMoney ? nil : quantity.map { -$0 },
            amount: movesMoney ? amount.map { -$0 } : nil, vat: movesMoney ? vat : nil,
            ref: self.id, refKind: kind, refEvent: event, reason: reason
        )
    }
}

/// Names of entry fields in events. Short on purpose: they are part of every event's
/// canonical bytes (the wire codec sends each name once per batch).
public enum FieldName {
    public static let producer = "producer"
    public static let date = "date"
    public static let product = "product"
    public static let quantity = "qty"
    public static let unit = "unit"
    public static let lot = "lot"
    public static let party = "party"
    public static let amount = "amount"
    /// Basis points of VAT in `amount` (sales and purchases).
    public static let vat = "vat"
    /// The product's labels and family when a sale or purchase was recorded.
    public static let labels = "labels"
    public static let family = "family"
    public static let method = "method"
    public static let ref = "ref"
    public static let refKind = "ref_kind"
    /// The event a reversal cancels, when entries share its `ref` id.
    public static let refEvent = "ref_event"
    /// The events a review saw as a conflict's sides.
    public static let sides = "sides"
    /// The order an order line belongs to, or that an entry fulfils, and the line.
    public static let order = "order"
    public static let line = "line"
    public static let reason = "reason"
    public static let note = "note"
}

/// The fields `LedgerEntry.init` reads, found in one pass over an entry's fields.
enum EntryField: Int, CaseIterable {
    case producer, date, product, quantity, unit, lot, party, amount, vat, labels, family, method
    case ref, refKind, refEvent, sides, order, line, reason, note

    static let lookup = FieldLookup(allCases.map(\.name))

    var name: String {
        switch self {
        case .producer: FieldName.producer
        case .date: FieldName.date
        case .product: FieldName.product
        case .quantity: FieldName.quantity
        case .unit: FieldName.unit
        case .lot: FieldName.lot
        case .party: FieldName.party
        case .amount: FieldName.amount
        case .vat: FieldName.vat
        case .labels: FieldName.labels
        case .family: FieldName.family
        case .method: FieldName.method
        case .ref: FieldName.ref
        case .refKind: FieldName.refKind
        case .refEvent: FieldName.refEvent
        case .sides: FieldName.sides
        case .order: FieldName.order
        case .line: FieldName.line
        case .reason: FieldName.reason
        case .note: FieldName.note
        }
    }
}

/// A ledger-level error: a message for a person.
public struct LedgerError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Order line ids: `ORDER:LINE`, the entry id of the line and what `--order` names.
public enum OrderLineID {
    public static func make(order: String, line: Int64) -> String { "\(order):\(line)" }

    /// Splits `ORDER:LINE` at its last colon; nil when what follows is not a line number.
    public static func parse(_ text: String) -> (order: String, line: Int64)? {
        guard let colon = text.lastIndex(of: ":"), let line = Int64(text[text.index(after: colon)...]), line >= 1,
              colon != text.startIndex else { return nil }
        return (String(text[..<colon]), line)
    }
}
