import CarnetCore
import CarnetLedger

/// `carnet order list [--open] [--json]`: every order with its lines, what fulfilled
/// each, and whether it is open, fulfilled, not collected or cancelled.
struct OrderListCommand: Command {
    static let spec = CommandSpec(
        path: ["order", "list"], summary: "the orders: lines, what fulfilled them, and their status",
        options: [.json, .flag("--open", "only orders still waiting for something")],
        discussion: """
        Status: open (a line is not fulfilled), fulfilled, not-collected, cancelled (every
        line voided). JSON: an array of {id, date, seller, buyer, status, note, lines:
        [{line, id, product, quantity, unit, amountCents, fulfilled, fulfilledBy}],
        uncollectedBy}; quantities in the unit's smallest step (g, ml, pc).
        """,
        examples: ["carnet order list --open", "carnet order list --json"]
    )

    var json: Bool
    var openOnly: Bool

    init(_ invocation: Invocation) throws {
        json = invocation.flag("--json")
        openOnly = invocation.flag("--open")
    }

    /// An order as listed: from the book, or cancelled (every line voided, so out of it).
    struct Listed {
        var id: String
        var date: CalendarDay
        var seller: String
        var buyer: String
        var status: String
        var note: String?
        var lines: [(number: Int64, id: String, entry: LedgerEntry, fulfilled: Int64, by: [String])]
        var uncollectedBy: String?
    }

    static func listed(_ state: LedgerState) -> [Listed] {
        var all = state.orders.orders().map { order in
            Listed(id: order.id, date: order.date ?? CalendarDay(daysSinceEpoch: 0), seller: order.seller, buyer: order.buyer,
                   status: order.status, note: order.lines.first?.line.entry.note,
                   lines: order.lines.map { ($0.number, $0.id, $0.line.entry, $0.fulfilled, $0.fulfilments.map(\.entry.id)) },
                   uncollectedBy: order.uncollected.first?.entry.id)
        }
        let listedIDs = Set(all.map { ExactString($0.id) })
        var cancelled: [ExactString: [LedgerRecord]] = [:]
        for record in state.records where record.entry.kind == .order {
            guard let order = record.entry.order.map(ExactString.init), !listedIDs.contains(order) else { continue }
            cancelled[order, default: []].append(record)
        }
        for (order, records) in cancelled {
            let lines = records.sorted { ($0.entry.line ?? 0) < ($1.entry.line ?? 0) }
            all.append(Listed(id: order.text, date: lines[0].entry.date, seller: lines[0].entry.producer, buyer: lines[0].entry.party ?? "",
                              status: "cancelled", note: lines.first { $0.entry.line == 1 }?.entry.note,
                              lines: lines.map { ($0.entry.line ?? 0, $0.entry.id, $0.entry, 0, []) }, uncollectedBy: nil))
        }
        return all.sorted { ($0.date, ExactString($0.id)) < ($1.date, ExactString($1.id)) }
    }

    func run(in context: Context) throws {
        let view = try LedgerView.read(context)
        let orders = Self.listed(view.state).filter { !openOnly || $0.status == "open" }
        if json {
            context.output.json(.array(orders.map { order in
                .object([
                    "id": .string(order.id), "date": .string(order.date.iso), "seller": .string(order.seller),
                    "buyer": .string(order.buyer), "status": .string(order.status), "note": .optional(order.note),
                    "uncollectedBy": .optional(order.uncollectedBy),
                    "lines": .array(order.lines.map { line in
                        .object([
                            "line": .int(line.number), "id": .string(line.id), "product": .optional(line.entry.product),
                            "quantity": .optional(line.entry.quantity), "unit": .optional(line.entry.unit?.rawValue),
                            "amountCents": .optional(line.entry.amount), "fulfilled": .int(line.fulfilled),
                            "fulfilledBy": .array(line.by.map(JSON.string)),
                        ])
                    }),
                ])
            }))
            return
        }
        guard !orders.isEmpty else {
            context.output.line(openOnly ? "no open order" : "no orders yet; record one with `carnet order create`")
            return
        }
        var table = Table([("date", .left), ("order", .left), ("seller", .left), ("buyer", .left), ("line", .left),
                           ("ordered", .right), ("fulfilled", .right), ("amount", .right), ("status", .left)])
        for order in orders {
            for (index, line) in order.lines.enumerated() {
                table.add([index == 0 ? order.date.iso : "", index == 0 ? order.id : "", index == 0 ? order.seller : "",
                           index == 0 ? order.buyer : "", "\(line.number). \(line.entry.product ?? "")",
                           Display.quantity(line.entry.quantity, line.entry.unit),
                           Display.quantity(line.fulfilled, line.entry.unit), Display.money(line.entry.amount),
                           index == 0 ? order.status : ""])
            }
        }
        table.print(context.output)
    }
}
