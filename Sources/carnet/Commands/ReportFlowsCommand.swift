import CarnetLedger

/// `carnet report flows [--from D] [--to D] [--by week|month] [--json | --csv]`: how
/// much food went through the hub and the wholesale network against direct sales, by
/// period, family and the buyer's territory.
struct ReportFlowsCommand: Command {
    static let spec = CommandSpec(
        path: ["report", "flows"], summary: "values and volumes through the hub and wholesale vs direct, by period, family and territory",
        options: ReportPeriod.options + [
            .value("--by", "week|month", "the period of each line (default: week, starting on Monday)"),
            .json,
            ReportFormat.csvOption,
        ],
        discussion: """
        Each sale that counts goes one route: hub (a hub or a drive sold it), wholesale (the
        wholesale network sold it), direct (a producer sold to a buyer that does not trade),
        or supply (a producer sold to a hub or another trader: shown apart, so that food
        bought by the hub and sold on is not counted twice). Values are before VAT;
        quantities by unit. The family is the product's when the sale was recorded, the
        territory the buyer's. JSON: an array of {period, route, family, territory,
        exclVatCents, sales, quantities: {g, ml, pc}}.
        """,
        examples: ["carnet report flows --from 2026-01-01 --to 2026-03-31 --by month"]
    )

    var period: ReportPeriod
    var byMonth: Bool
    var format: ReportFormat

    init(_ invocation: Invocation) throws {
        period = try ReportPeriod(invocation)
        switch invocation.value("--by") {
        case nil, "week": byMonth = false
        case "month": byMonth = true
        case let other?: throw CLIError.usage("--by \(other) is not a period: week or month")
        }
        format = try ReportFormat(invocation)
    }

    func run(in context: Context) throws {
        let view = try LedgerView.read(context)
        let lines = SalesReports.flows(SalesReports.facts(state: view.state, catalog: view.catalog, from: period.from, to: period.to),
                                       byMonth: byMonth)
        if format == .json {
            context.output.json(.array(lines.map { line in
                var quantities: [String: JSON] = [:]
                for (unit, quantity) in line.quantities { quantities[unit.rawValue] = .int(quantity) }
                return .object(["period": .string(line.period.iso), "route": .string(line.route.rawValue),
                                "family": .optional(line.family?.rawValue), "territory": .optional(line.territory),
                                "exclVatCents": .int(line.excludingVAT), "sales": .int(Int64(line.sales)),
                                "quantities": .object(quantities)])
            }))
            return
        }
        if format == .csv {
            context.output.csv([["period", "route", "family", "territory", "excl_vat_eur", "sales", "g", "ml", "pc"]] + lines.map { line in
                [line.period.iso, line.route.rawValue, line.family?.rawValue ?? "", line.territory ?? "",
                 ReportFormat.euros(line.excludingVAT), String(line.sales)]
                    + QuantityUnit.allCases.map { line.quantities[$0].map(String.init) ?? "" }
            })
            return
        }
        guard !lines.isEmpty else {
            context.output.line("no sales\(period.isOpen ? "" : " in that period")")
            return
        }
        var table = Table([(byMonth ? "month" : "week of", .left), ("route", .left), ("family", .left), ("territory", .left),
                           ("excl. VAT", .right), ("sales", .right), ("quantities", .left)])
        for line in lines {
            let quantities = QuantityUnit.allCases.compactMap { unit in line.quantities[unit].map { Display.quantity($0, unit) } }
            table.add([line.period.iso, line.route.rawValue, line.family?.rawValue ?? "", line.territory ?? "",
                       Display.money(line.excludingVAT), String(line.sales), quantities.joined(separator: ", ")])
        }
        table.print(context.output)
    }
}
