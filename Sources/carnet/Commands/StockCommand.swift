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

    /// The lines shown. Without `--by-lot`, `views.stock` may hold every lot (from the
    /// store) or the totals already (from the views file's section 9): summing gives the
    /// same lines either way.
    func lines(_ views: LedgerViews) -> [Line] {
        let shown = views.stock.filter { producer == nil || $0.producer == producer }
        let stock = byLot ? shown.map { line in
            var line = line
            line.unit = line.unit ?? views.catalog.unit(of: line.product)
            return line
        }.filter { $0.quantity != 0 } : StockTotals.of(shown, catalog: views.catalog)
        return stock.map { Line(producer: $0.producer, product: $0.product, lot: byLot ? $0.lot : nil, quantity: $0.quantity,
                                unit: $0.unit) }
    }

    func run(in context: Context) throws {
        let views = try ViewsAccess.read(context, parts: [byLot ? .stock : .stockTotals, .catalog])
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
