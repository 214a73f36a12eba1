import CarnetCore

/// Orders as the entries that count say: each line (an `order` entry), what fulfilled it
/// (sales, deliveries and purchases naming it), and which orders were not collected.
///
/// Kept by adding and removing the entries that count, so `LedgerState` (adding every
/// effective entry) and `LedgerFold` (adding and removing as events and voids arrive)
/// hold the same book whatever the order of arrival; the conflicts and `order list` are
/// read from it alike.
public struct OrderBook: Sendable, Equatable {
    /// Line id (`ORDER:LINE`) → the line and its fulfilments.
    private(set) var lines: [ExactString: OrderLineCell] = [:]
    /// Order id → the `uncollected` entries naming it.
    private(set) var uncollected: [ExactString: [LedgerRecord]] = [:]

    public init() {}

    public var isEmpty: Bool { lines.isEmpty && uncollected.isEmpty }

    /// Takes an entry that counts into account (sign 1) or one no longer counting (-1).
    public mutating func apply(_ record: LedgerRecord, sign: Int) {
        let entry = record.entry
        switch entry.kind {
        case .order:
            guard let key = entry.orderLineID.map(ExactString.init) else { return }
            lines[key, default: OrderLineCell()].lines.update(record, adding: sign > 0)
            prune(key)
        case .uncollected:
            guard let order = entry.ref.map(ExactString.init) else { return }
            uncollected[order, default: []].update(record, adding: sign > 0)
            if uncollected[order]?.isEmpty == true { uncollected[order] = nil }
        case .sale, .delivery, .purchase:
            guard let key = entry.orderLineID.map(ExactString.init) else { return }
            lines[key, default: OrderLineCell()].fulfilments.update(record, adding: sign > 0)
            prune(key)
        default:
            return
        }
    }

    private mutating func prune(_ key: ExactString) {
        if let cell = lines[key], cell.lines.isEmpty, cell.fulfilments.isEmpty { lines[key] = nil }
    }

    /// Every order, by id, with its lines in line order.
    public func orders() -> [Order] {
        var byOrder: [ExactString: [OrderLineStatus]] = [:]
        for (key, cell) in lines {
            guard let line = cell.lines.first, let order = line.entry.order else { continue }
            byOrder[ExactString(order), default: []].append(OrderLineStatus(id: key.text, line: line, fulfilments: cell.fulfilments))
        }
        return byOrder.map { order, lines in
            Order(id: order.text, lines: lines.sorted { ($0.number, ExactString($0.id)) < ($1.number, ExactString($1.id)) },
                  uncollected: uncollected[order] ?? [])
        }.sorted { ExactString($0.id) < ExactString($1.id) }
    }

    /// The order with this id, if any line of it counts.
    public func order(_ id: String) -> Order? {
        orders().first { ExactString($0.id) == ExactString(id) }
    }

    /// The order conflicts (SPEC §10.5): a line fulfilled twice, more fulfilled than
    /// ordered (a cancelled line counts as nothing ordered), fulfilment of a line no one
    /// holds, and open orders beyond the stock the producers hold.
    /// `isHeld` says whether an entry with that line id is held at all (a held line that
    /// is not in the book was voided: its order was cancelled).
    public func conflicts(availability: [Availability], isHeld: (String) -> Bool) -> [ConflictReport] {
        var reports: [ConflictReport] = []
        for (key, cell) in lines.sorted(by: { $0.key < $1.key }) where !cell.fulfilments.isEmpty {
            let line = cell.lines.first
            if line == nil && !isHeld(key.text) {
                reports.append(OrderConflictReports.unknownLine(key.text, fulfilments: cell.fulfilments))
                continue
            }
            let ordered = line?.entry.quantity ?? 0
            let fulfilled = cell.fulfilled
            guard fulfilled > ordered else { continue }
            reports.append(OrderConflictReports.overfilled(key.text, line: line, ordered: ordered, fulfilled: fulfilled,
                                                           fulfilments: cell.fulfilments))
        }
        let held = Dictionary(availability.map { (ExactString($0.product), $0) }, uniquingKeysWith: { first, _ in first })
        for (product, open) in openByProduct().sorted(by: { $0.key < $1.key }) {
            guard let onHand = Self.shortfall(open: open.quantity, unit: open.unit, held: held[product]) else { continue }
            reports.append(OrderConflictReports.beyondAvailability(product.text, open: open.quantity, onHand: onHand,
                                                                   unit: open.unit ?? held[product]?.unit, lines: open.lines))
        }
        return reports
    }

    /// What the open order lines still ask of each product (those with nothing left open
    /// are left out), in the unit of the product's first line, and those lines: lines of
    /// another unit are not added (they cannot be compared).
    func openByProduct() -> [ExactString: (quantity: Int64, unit: QuantityUnit?, lines: [LedgerRecord])] {
        var open: [ExactString: (quantity: Int64, unit: QuantityUnit?, lines: [LedgerRecord])] = [:]
        for (_, cell) in lines.sorted(by: { $0.key < $1.key }) {
            guard let line = cell.lines.first, let ordered = line.entry.quantity, let product = line.entry.product,
                  let order = line.entry.order, uncollected[ExactString(order)] == nil else { continue }
            let fulfilled = cell.fulfilled
            guard fulfilled < ordered else { continue }
            var item = open[ExactString(product)] ?? (0, line.entry.unit, [])
            if item.unit == line.entry.unit {
                item.quantity &+= ordered &- fulfilled
                item.lines.append(line)
            }
            open[ExactString(product)] = item
        }
        return open.filter { $0.value.quantity > 0 }
    }

    /// What open orders ask of each product, without the lines: what the views keep so that
    /// an entry can be added to them without the book (`LedgerViews.appending`).
    public func openTotals() -> [OpenOrderTotal] {
        openByProduct().map { OpenOrderTotal(product: $0.key.text, unit: $0.value.unit, quantity: $0.value.quantity) }
            .sorted { ExactString.less($0.product, $1.product) }
    }

    /// The quantity the producers hold (never below zero) when open orders of `open` (in
    /// `unit`) ask more of a product than that: the orders-beyond-availability conflict.
    /// Nil when they do not, or when the units cannot be compared. `held`: the product's
    /// availability.
    static func shortfall(open: Int64, unit: QuantityUnit?, held: Availability?) -> Int64? {
        guard open > 0, held?.unit == nil || unit == nil || held?.unit == unit else { return nil }
        let onHand = max(0, held?.atProducers ?? 0)
        return open > onHand ? onHand : nil
    }
}

/// What the open order lines of one product still ask, in one unit.
public struct OpenOrderTotal: Hashable, Sendable {
    public var product: String
    public var unit: QuantityUnit?
    public var quantity: Int64

    public init(product: String, unit: QuantityUnit?, quantity: Int64) {
        self.product = product
        self.unit = unit
        self.quantity = quantity
    }
}

/// One line id's records: the line (one, or several when ids collide) and what fulfils it.
struct OrderLineCell: Sendable, Equatable {
    var lines: [LedgerRecord] = []
    var fulfilments: [LedgerRecord] = []

    var fulfilled: Int64 { fulfilments.reduce(Int64(0)) { $0 &+ ($1.entry.quantity ?? 0) } }
}

/// An order as `order list` shows it.
public struct Order: Sendable, Equatable {
    public var id: String
    public var lines: [OrderLineStatus]
    public var uncollected: [LedgerRecord]

    public var seller: String { lines.first?.line.entry.producer ?? "" }
    public var buyer: String { lines.first?.line.entry.party ?? "" }
    public var date: CalendarDay? { lines.first?.line.entry.date }
    public var isFulfilled: Bool { !lines.isEmpty && lines.allSatisfy { $0.fulfilled >= $0.ordered } }
    public var isUncollected: Bool { !uncollected.isEmpty }

    /// `fulfilled`, `not-collected`, `open`.
    public var status: String {
        if isUncollected { return "not-collected" }
        return isFulfilled ? "fulfilled" : "open"
    }
}

/// One line of an order, with what fulfilled it.
public struct OrderLineStatus: Sendable, Equatable {
    public var id: String
    public var line: LedgerRecord
    public var fulfilments: [LedgerRecord]

    public var number: Int64 { line.entry.line ?? 0 }
    public var ordered: Int64 { line.entry.quantity ?? 0 }
    public var fulfilled: Int64 { fulfilments.reduce(0) { $0 &+ ($1.entry.quantity ?? 0) } }
}

extension [LedgerRecord] {
    /// Adds or removes a record, keeping record order (clock, then event id).
    mutating func update(_ record: LedgerRecord, adding: Bool) {
        if let index = firstIndex(where: { $0.event == record.event }) {
            if !adding { remove(at: index) }
            return
        }
        guard adding else { return }
        let index = firstIndex { (record.clock, record.event) < ($0.clock, $0.event) } ?? endIndex
        insert(record, at: index)
    }
}

/// The wording of the order conflicts.
enum OrderConflictReports {
    static func side(_ record: LedgerRecord) -> ConflictSide { DomainConflictReports.side(record) }

    static func shown(_ quantity: Int64, _ unit: QuantityUnit?) -> String {
        unit.map { Quantity(quantity, $0).description } ?? "\(quantity)"
    }

    static func unknownLine(_ id: String, fulfilments: [LedgerRecord]) -> ConflictReport {
        ConflictReport(
            kind: .unknownReference, subject: "order/\(id)",
            summary: "\(fulfilments.count == 1 ? "an entry fulfils" : "entries fulfil") order line \(id), which this node does not hold",
            sides: fulfilments.map(side),
            suggestion: "sync with the node that took the order; if it never existed, "
                + DomainConflictReports.reviewCommand(.unknownReference, "order/\(id)")
        )
    }

    static func overfilled(_ id: String, line: LedgerRecord?, ordered: Int64, fulfilled: Int64,
                           fulfilments: [LedgerRecord]) -> ConflictReport {
        let unit = line?.entry.unit ?? fulfilments.first?.entry.unit
        let sides = (line.map { [$0] } ?? []) + fulfilments
        if let line, fulfilments.count > 1, fulfilments.allSatisfy({ ($0.entry.quantity ?? 0) >= ordered }) {
            return ConflictReport(
                kind: .orderFulfilledTwice, subject: "order/\(id)",
                summary: "order line \(id) (\(shown(ordered, unit)) of \(line.entry.product ?? "")) is fulfilled \(fulfilments.count) times",
                sides: sides.map(side),
                suggestion: "void the entry recorded twice (`carnet void ENTRY`)"
            )
        }
        let what = line == nil ? "cancelled order line \(id)" : "order line \(id)"
        return ConflictReport(
            kind: .orderOverfilled, subject: "order/\(id)",
            summary: "more fulfilled than ordered on \(what): \(shown(fulfilled, unit)) against \(shown(ordered, unit))",
            sides: sides.map(side),
            suggestion: line == nil
                ? "the order was cancelled after it was fulfilled: void the fulfilment, or order again"
                : "void the entry recorded in excess, or record a new order for the extra"
        )
    }

    static func beyondAvailability(_ product: String, open: Int64, onHand: Int64, unit: QuantityUnit?,
                                   lines: [LedgerRecord]) -> ConflictReport {
        let subject = "orders/\(product)"
        return ConflictReport(
            kind: .ordersBeyondAvailability, subject: subject,
            summary: "open orders ask \(shown(open, unit)) of \(product) but the producers hold \(shown(onHand, unit))",
            sides: lines.map(side),
            suggestion: "record the harvest or production that will fill them, cancel an order (`carnet order cancel ORDER`), "
                + "or accept it with " + DomainConflictReports.reviewCommand(.ordersBeyondAvailability, subject)
        )
    }
}
