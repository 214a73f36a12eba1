import CarnetLedger

/// `carnet report producers [--from D] [--to D] [--json | --csv]`: what each producer
/// (each actor) sold, through which channel, at what average price.
struct ReportProducersCommand: Command {
    static let spec = CommandSpec(
        path: ["report", "producers"], summary: "per producer, channel and product: quantity, value before VAT, average price",
        options: ReportPeriod.options + [
            .json,
            ReportFormat.csvOption,
        ],
        discussion: """
        Every sale that counts (voided ones do not), grouped by its actor, the buyer's kind
        (the channel: hub, drive, wholesale, canteen-public, shop, customer, ...) and the
        product. Values are before VAT; the average price is per kg, litre or piece.
        JSON: an array of {actor, channel, product, quantity, unit, exclVatCents,
        averagePriceCents, sales}.
        """,
        examples: ["carnet report producers --from 2026-01-01 --to 2026-06-30"]
    )

    var period: ReportPeriod
    var format: ReportFormat

    init(_ invocation: Invocation) throws {
        period = try ReportPeriod(invocation)
        format = try ReportFormat(invocation)
    }

    func run(in context: Context) throws {
        let view = try LedgerView.read(context)
        let lines = SalesReports.producers(SalesReports.facts(state: view.state, catalog: view.catalog, from: period.from, to: period.to))
        if format == .json {
            context.output.json(.array(lines.map { line in
                .object(["actor": .string(line.actor), "channel": .string(line.channel), "product": .string(line.product),
                         "quantity": .int(line.quantity), "unit": .optional(line.unit?.rawValue), "exclVatCents": .int(line.excludingVAT),
                         "averagePriceCents": .optional(line.averagePrice), "sales": .int(Int64(line.sales))])
            }))
            return
        }
        if format == .csv {
            context.output.csv([["actor", "channel", "product", "quantity", "unit", "excl_vat_eur", "average_price_eur", "sales"]]
                + lines.map { line in
                    [line.actor, line.channel, line.product, String(line.quantity), line.unit?.rawValue ?? "",
                     ReportFormat.euros(line.excludingVAT), line.averagePrice.map(ReportFormat.euros) ?? "",
                     String(line.sales)]
                })
            return
        }
        guard !lines.isEmpty else {
            context.output.line("no sales\(period.isOpen ? "" : " in that period")")
            return
        }
        var table = Table([("actor", .left), ("channel", .left), ("product", .left), ("quantity", .right),
                           ("excl. VAT", .right), ("average", .right), ("sales", .right)])
        for line in lines {
            table.add([line.actor, line.channel, line.product, Display.quantity(line.quantity, line.unit), Display.money(line.excludingVAT),
                       Display.price(line.averagePrice, unit: line.unit), String(line.sales)])
        }
        table.print(context.output)
    }
}
