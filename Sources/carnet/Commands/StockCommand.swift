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

    /// Calls `body` with each line shown, in order, without keeping them: `--by-lot` shows
    /// every lot (250,000 at 1M events), walked twice for the table. Without it,
    /// `views.stock` may hold every lot (from the store) or the totals already (from the
    /// views file's section 9): summing gives the same lines either way.
    func forEachLine(_ views: LedgerViews, _ body: (Line) -> Void) {
        guard byLot else {
            let shown = views.stock.filter { producer == nil || $0.producer == producer }
            for total in StockTotals.of(shown, catalog: views.catalog) {
                body(Line(producer: total.producer, product: total.product, lot: nil, quantity: total.quantity, unit: total.unit))
            }
            return
        }
        // Lots come product by product: the catalog's unit is looked up once per run of one.
        var product: (sku: String, unit: QuantityUnit?)?
        for line in views.stock where line.quantity != 0 && (producer == nil || line.producer == producer) {
            var unit = line.unit
            if unit == nil {
                if product?.sku != line.product { product = (line.product, views.catalog.unit(of: line.product)) }
                unit = product?.unit
            }
            body(Line(producer: line.producer, product: line.product, lot: line.lot, quantity: line.quantity, unit: unit))
        }
    }

    func run(in context: Context) throws {
        let views = try ViewsAccess.read(context, parts: [byLot ? .stock : .stockTotals, .catalog])
        if json {
            // Keys in order, as `.object` writes them: lot, producer, product, quantity, unit.
            var stream = JSONArrayStream(context.output)
            forEachLine(views) { line in
                var fields: [JSON.Field] = []
                if byLot { fields.append(JSON.Field("lot", .string(line.lot ?? ""))) }
                fields += [JSON.Field("producer", .string(line.producer)), JSON.Field("product", .string(line.product)),
                           JSON.Field("quantity", .int(line.quantity)), JSON.Field("unit", .optional(line.unit?.rawValue))]
                stream.append(.fields(fields))
            }
            stream.finish()
            return
        }
        let output = context.output
        var columns: [(String, Table.Alignment)] = [("producer", .left), ("product", .left), ("name", .left)]
        if byLot { columns.append(("lot", .left)) }
        columns.append(("quantity", .right))
        // Names come product by product too.
        var named: (sku: String, name: String)?
        func name(_ line: Line) -> String {
            if named?.sku != line.product { named = (line.product, views.catalog.productName(line.product) ?? "") }
            return named?.name ?? ""
        }
        func lot(_ line: Line) -> String { line.lot.map { $0.isEmpty ? "(none)" : $0 } ?? "" }
        func quantityCell(_ line: Line, _ quantity: String) -> String { line.quantity < 0 ? output.red(quantity) : quantity }
        // Two walks, as `log` does (`StreamedTable`): the widths, then the lines. The
        // quantities are formatted once (most fit in a string's inline 15 bytes); the
        // first walk measures cell by cell, a product's cells once per run of its lots.
        var table = StreamedTable(columns)
        var quantities: [String] = []
        forEachLine(views) { line in
            let quantity = Display.quantity(line.quantity, line.unit)
            quantities.append(quantity)
            table.measure(line.producer, column: 0)
            if named?.sku != line.product {
                table.measure(line.product, column: 1)
                table.measure(name(line), column: 2)
            }
            if byLot { table.measure(lot(line), column: 3) }
            table.measure(quantityCell(line, quantity), column: columns.count - 1)
        }
        guard !quantities.isEmpty else {
            output.line("no stock on hand")
            return
        }
        var stream = LineStream(output)
        table.printHeader(into: &stream, output)
        var index = 0
        forEachLine(views) { line in
            var row = [line.producer, line.product, name(line)]
            if byLot { row.append(lot(line)) }
            row.append(quantityCell(line, quantities[index]))
            table.print(row, into: &stream)
            index += 1
        }
        stream.finish()
    }
}
