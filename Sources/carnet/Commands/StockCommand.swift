import CarnetLedger

/// `carnet stock [--json] [--producer P] [--by-lot]`: quantities on hand.
struct StockCommand: Command {
    static let spec = CommandSpec(
        path: ["stock"], summary: "quantities on hand, from the merged ledger",
        options: [
            .json,
            .value("--producer", "P", "only this producer's stock"),
            .flag("--by-lot", "one line per lot instead of per product"),
        ],
        discussion: """
        Harvests, productions, purchases and adjustments add; deliveries, sales and losses
        take away; voided entries count for nothing. Lines at zero are left out; a line
        below zero is a conflict (see `carnet conflicts`). JSON: an array of {producer,
        product, lot (with --by-lot), quantity, unit}; quantity in g, ml or pc.
        """,
        examples: ["carnet stock --by-lot", "carnet stock --producer col --json"]
    )

    var json: Bool
    var producer: String?
    var byLot: Bool

    init(_ invocation: Invocation) throws {
        json = invocation.flag("--json")
        producer = invocation.value("--producer")
        byLot = invocation.flag("--by-lot")
    }

    struct Line {
        var producer: String
        var product: String
        var lot: String?
        var quantity: Int64
        var unit: QuantityUnit?
    }

    func lines(_ views: LedgerViews) -> [Line] {
        var lines: [Line] = []
        for stock in views.stock where producer == nil || stock.producer == producer {
            let unit = stock.unit ?? views.catalog.unit(of: stock.product)
            if !byLot, let last = lines.last, last.producer == stock.producer, last.product == stock.product {
                lines[lines.count - 1].quantity &+= stock.quantity
                if lines[lines.count - 1].unit == nil { lines[lines.count - 1].unit = unit }
            } else {
                lines.append(Line(producer: stock.producer, product: stock.product, lot: byLot ? stock.lot : nil,
                                  quantity: stock.quantity, unit: unit))
            }
        }
        return lines.filter { $0.quantity != 0 }
    }

    func run(in context: Context) throws {
        let views = try ViewsAccess.read(context, parts: [.stock, .catalog])
        let lines = lines(views)
        if json {
            context.output.json(.array(lines.map { line in
                var object: [String: JSON] = [
                    "producer": .string(line.producer), "product": .string(line.product),
                    "quantity": .int(line.quantity), "unit": .optional(line.unit?.rawValue),
                ]
                if byLot { object["lot"] = .string(line.lot ?? "") }
                return .object(object)
            }))
            return
        }
        guard !lines.isEmpty else {
            context.output.line("no stock on hand")
            return
        }
        let output = context.output
        var columns: [(String, Table.Alignment)] = [("producer", .left), ("product", .left), ("name", .left)]
        if byLot { columns.append(("lot", .left)) }
        columns.append(("quantity", .right))
        var table = Table(columns)
        for line in lines {
            var row = [line.producer, line.product, views.catalog.productName(line.product) ?? ""]
            if byLot { row.append(line.lot.map { $0.isEmpty ? "(none)" : $0 } ?? "") }
            let quantity = Display.quantity(line.quantity, line.unit)
            row.append(line.quantity < 0 ? output.red(quantity) : quantity)
            table.add(row)
        }
        table.print(output)
    }
}
