import CarnetLedger

/// `carnet report losses [--from D] [--to D] [--json | --csv]`: stock lost, by actor,
/// product and reason (unsold, damaged, expired, quality, other).
struct ReportLossesCommand: Command {
    static let spec = CommandSpec(
        path: ["report", "losses"], summary: "stock lost, by actor, product and reason",
        options: ReportPeriod.options + [
            .json,
            ReportFormat.csvOption,
        ],
        discussion: """
        Voided losses count for nothing. Losses recorded with a free-text reason (before the
        list existed) count as other. JSON: an array of {actor, product, name, reason,
        quantity, unit, entries}; quantity in g, ml or pc.
        """,
        examples: ["carnet report losses --from 2026-01-01 --to 2026-12-31 --csv"]
    )

    var period: ReportPeriod
    var format: ReportFormat

    init(_ invocation: Invocation) throws {
        period = try ReportPeriod(invocation)
        format = try ReportFormat(invocation)
    }

    func run(in context: Context) throws {
        let view = try LedgerView.read(context)
        let lines = LossReport.lines(state: view.state, from: period.from, to: period.to)
        if format == .json {
            context.output.json(.array(lines.map { line in
                .object(["actor": .string(line.actor), "product": .string(line.product),
                         "name": .optional(view.catalog.productName(line.product)), "reason": .string(line.reason.rawValue),
                         "quantity": .int(line.quantity), "unit": .optional(line.unit?.rawValue), "entries": .int(Int64(line.entries))])
            }))
            return
        }
        if format == .csv {
            context.output.csv([["actor", "product", "name", "reason", "quantity", "unit", "entries"]] + lines.map { line in
                [line.actor, line.product, view.catalog.productName(line.product) ?? "", line.reason.rawValue,
                 String(line.quantity), line.unit?.rawValue ?? "", String(line.entries)]
            })
            return
        }
        guard !lines.isEmpty else {
            context.output.line("no losses recorded\(period.isOpen ? "" : " in that period")")
            return
        }
        var table = Table([("actor", .left), ("product", .left), ("name", .left), ("reason", .left), ("quantity", .right), ("entries", .right)])
        for line in lines {
            table.add([line.actor, line.product, view.catalog.productName(line.product) ?? "", line.reason.rawValue,
                       Display.quantity(line.quantity, line.unit ?? view.catalog.unit(of: line.product)), String(line.entries)])
        }
        table.print(context.output)
    }
}
