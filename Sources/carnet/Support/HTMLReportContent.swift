import CarnetLedger

/// Everything the HTML report shows, computed once from one reading of the ledger by the
/// very functions behind `carnet report egalim | flows | producers | losses` and `carnet
/// stock`, so that the page and the commands cannot disagree on a figure.
struct HTMLReportContent {
    /// Where and when the ledger was read: the page says it at the top.
    var ledger: String
    var node: String
    var day: CalendarDay
    /// The EGalim year, and the days of the other reports.
    var year: Int
    var from: CalendarDay
    var to: CalendarDay

    var egalim: [EgalimFigures]
    /// `report flows --by week --from FROM --to TO`.
    var flows: [FlowLine]
    var producers: [ProducerLine]
    var losses: [LossLine]
    var stock: [FamilyStock]
    var catalog: Catalog

    /// Stock of one family in one unit, every actor and lot together (a family mixes
    /// kilograms and pieces, which do not add up).
    struct FamilyStock: Equatable {
        var family: ProductFamily?
        var unit: QuantityUnit?
        var quantity: Int64
    }

    init(view: LedgerView, ledger: String, node: String, day: CalendarDay, year: Int, from: CalendarDay, to: CalendarDay) {
        (self.ledger, self.node, self.day, self.year, self.from, self.to) = (ledger, node, day, year, from, to)
        catalog = view.catalog
        egalim = EgalimReport.figures(state: view.state, catalog: view.catalog, year: year)
        let facts = SalesReports.facts(state: view.state, catalog: view.catalog, from: from, to: to)
        flows = SalesReports.flows(facts, byMonth: false)
        producers = SalesReports.producers(facts)
        losses = LossReport.lines(state: view.state, from: from, to: to)
        // The stock the views file keeps (`LedgerViews.stock` is this same fold), taken
        // from this reading so that every figure on the page comes from one moment.
        stock = Self.byFamily(view.state.stock(), catalog: view.catalog)
    }

    /// Stock lines summed by the product's family of today and the line's unit (the
    /// catalog's when the line has none, as `carnet stock` does); families at zero left out.
    static func byFamily(_ lines: [StockLine], catalog: Catalog) -> [FamilyStock] {
        var sums: [FamilyKey: Int64] = [:]
        for line in lines {
            let key = FamilyKey(family: catalog.family(of: line.product), unit: line.unit ?? catalog.unit(of: line.product))
            sums[key, default: 0] &+= line.quantity
        }
        return sums.filter { $0.value != 0 }.map { FamilyStock(family: $0.key.family, unit: $0.key.unit, quantity: $0.value) }
            .sorted { FamilyKey(family: $0.family, unit: $0.unit) < FamilyKey(family: $1.family, unit: $1.unit) }
    }

    /// Weekly totals by route, for the flows chart and the table under it: the sums of
    /// the flow lines of each week.
    var weeklyRoutes: [(week: CalendarDay, byRoute: [SaleFact.Route: Int64])] {
        var weeks: [(week: CalendarDay, byRoute: [SaleFact.Route: Int64])] = []
        for line in flows {  // in week order
            if weeks.last?.week != line.period { weeks.append((line.period, [:])) }
            weeks[weeks.count - 1].byRoute[line.route, default: 0] &+= line.excludingVAT
        }
        return weeks
    }

    /// The routes that carried something in the period, in their usual order.
    var routes: [SaleFact.Route] {
        SaleFact.Route.allCases.filter { route in flows.contains { $0.route == route } }
    }
}

/// Families in the catalog's order (no family last), then units in theirs (none last).
private struct FamilyKey: Hashable, Comparable {
    var family: ProductFamily?
    var unit: QuantityUnit?

    private static func rank<T: CaseIterable & Equatable>(_ value: T?) -> Int {
        value.flatMap { Array(T.allCases).firstIndex(of: $0) } ?? Int.max
    }

    static func < (lhs: FamilyKey, rhs: FamilyKey) -> Bool {
        (rank(lhs.family), rank(lhs.unit)) < (rank(rhs.family), rank(rhs.unit))
    }
}
