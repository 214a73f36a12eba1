import CarnetLedger

/// The five sections of the HTML report, each a heading, a chart where one helps, and a
/// table of the same figures written as the command line writes them (`Display`), in the
/// order of the matching `carnet report ... --json` array.
struct HTMLReportSections {
    var content: HTMLReportContent
    var wording: HTMLReportWording

    /// Okabe and Ito's palette: told apart by readers with any common colour blindness.
    static let palette = ["#0072b2", "#009e73", "#e69f00", "#cc79a7", "#56b4e9"]

    private func section(_ id: String, _ heading: String, intro: String? = nil, _ body: String) -> String {
        var out = "<section id=\"\(id)\" aria-labelledby=\"\(id)-heading\">\n"
        out += "<h2 id=\"\(id)-heading\">\(HTMLText.escape(heading))</h2>\n"
        if let intro { out += "<p>\(HTMLText.escape(intro))</p>\n" }
        return out + body + "</section>\n"
    }

    private func paragraph(_ text: String) -> String { "<p class=\"empty\">\(HTMLText.escape(text))</p>\n" }

    /// `cj (Cantine Jaurès)`, as `report egalim` names a buyer; the code alone without a name.
    private func party(_ id: String) -> String { content.catalog.partyName(id).map { "\(id) (\($0))" } ?? id }
    private func product(_ sku: String) -> String { content.catalog.productName(sku).map { "\(sku) (\($0))" } ?? sku }

    var egalim: String {
        let year = content.year
        guard !content.egalim.isEmpty else {
            return section("egalim", wording.egalimHeading, intro: wording.egalimIntro, paragraph(wording.noCanteen(year)))
        }
        let shares = content.egalim.map(ReportEgalimCommand.shares)
        func cell(_ share: ReportEgalimCommand.Share) -> String {
            guard share.of > 0 else { return "–" }
            return Display.percent(share.basisPoints) + (share.met ? " ✓" : " ✗")
        }
        func bar(_ share: ReportEgalimCommand.Share) -> SVGBarChart.Bar? {
            share.of > 0 ? SVGBarChart.Bar(value: Double(share.basisPoints) / 100, text: Display.percent(share.basisPoints)) : nil
        }
        let chart = SVGBarChart(
            title: wording.egalimChartTitle(year), description: wording.egalimChartDescription,
            series: [.init(name: wording.quality, colour: Self.palette[0]), .init(name: wording.organic, colour: Self.palette[1])],
            groups: zip(content.egalim, shares).map { figures, share in
                SVGBarChart.Group(label: party(figures.buyer), bars: [bar(share.quality), bar(share.organic)])
            },
            references: [.init(value: Double(EgalimFigures.qualityTarget), label: wording.qualityTarget),
                         .init(value: Double(EgalimFigures.organicTarget), label: wording.organicTarget)],
            maximum: 100)
        var table = HTMLTable(id: "egalim-table", caption: wording.egalimCaption(year), columns: [
            (wording.buyer, false), (wording.purchases, true), (wording.totalExclVAT, true), (wording.quality, true),
            (wording.qualityShare, true), (wording.organic, true), (wording.organicShare, true), (wording.meatAndFish, true),
            (wording.meatAndFishQuality, true), (wording.meatAndFishShare, true), (wording.local, true),
        ])
        for (figures, share) in zip(content.egalim, shares) {
            table.add([party(figures.buyer), String(figures.purchases), Display.money(figures.total), Display.money(figures.quality),
                       cell(share.quality), Display.money(figures.organic), cell(share.organic), Display.money(figures.meatAndFish),
                       Display.money(figures.meatAndFishQuality), cell(share.meatAndFish), Display.money(figures.local)])
        }
        return section("egalim", wording.egalimHeading, intro: wording.egalimIntro, chart.svg + table.html)
    }

    var flows: String {
        guard !content.flows.isEmpty else {
            return section("flows", wording.flowsHeading, intro: wording.flowsIntro, paragraph(wording.noSales))
        }
        let routes = content.routes, weeks = content.weeklyRoutes
        let chart = SVGBarChart(
            title: wording.flowsChartTitle, description: wording.flowsChartDescription,
            series: routes.enumerated().map { .init(name: wording.route($1), colour: Self.palette[$0 % Self.palette.count]) },
            groups: weeks.map { week in
                SVGBarChart.Group(label: week.week.iso, bars: routes.map { route in
                    week.byRoute[route].map { SVGBarChart.Bar(value: Double($0), text: Display.money($0)) }
                })
            })
        var perWeek = HTMLTable(id: "flows-weeks-table", caption: wording.flowsWeeksCaption,
                                columns: [(wording.weekOf, false)] + routes.map { (wording.route($0), true) } + [(wording.total, true)])
        for week in weeks {
            let total = week.byRoute.values.reduce(Int64(0), &+)
            perWeek.add([week.week.iso] + routes.map { Display.money(week.byRoute[$0] ?? 0) } + [Display.money(total)])
        }
        var lines = HTMLTable(id: "flows-table", caption: wording.flowsLinesCaption, columns: [
            (wording.weekOf, false), (wording.route, false), (wording.family, false), (wording.territory, false),
            (wording.exclVAT, true), (wording.sales, true), (wording.quantities, true),
        ])
        for line in content.flows {
            let quantities = QuantityUnit.allCases.compactMap { unit in line.quantities[unit].map { Display.quantity($0, unit) } }
            lines.add([line.period.iso, wording.route(line.route), line.family.map(wording.family) ?? "", line.territory ?? "",
                       Display.money(line.excludingVAT), String(line.sales), quantities.joined(separator: ", ")])
        }
        return section("flows", wording.flowsHeading, intro: wording.flowsIntro, chart.svg + perWeek.html + lines.html)
    }

    var stock: String {
        guard !content.stock.isEmpty else {
            return section("stock", wording.stockHeading, intro: wording.stockIntro, paragraph(wording.noStock))
        }
        var body = ""
        // One chart per unit: kilograms and pieces do not share an axis.
        for unit in QuantityUnit.allCases.map(Optional.some) + [nil] {
            let lines = content.stock.filter { $0.unit == unit }
            guard !lines.isEmpty else { continue }
            let chart = SVGBarChart(
                title: wording.stockChartTitle(unit?.priceBasisName ?? "?"), description: wording.stockChartDescription,
                series: [.init(name: wording.stockSeries, colour: Self.palette[2])],
                groups: lines.map { line in
                    SVGBarChart.Group(label: wording.family(line.family),
                                      bars: [SVGBarChart.Bar(value: Double(line.quantity), text: Display.quantity(line.quantity, line.unit))])
                })
            body += chart.svg
        }
        var table = HTMLTable(id: "stock-table", caption: wording.stockCaption,
                              columns: [(wording.family, false), (wording.unit, false), (wording.quantity, true)])
        for line in content.stock {
            table.add([wording.family(line.family), line.unit?.priceBasisName ?? "", Display.quantity(line.quantity, line.unit)])
        }
        return section("stock", wording.stockHeading, intro: wording.stockIntro, body + table.html)
    }

    var producers: String {
        guard !content.producers.isEmpty else { return section("producers", wording.producersHeading, paragraph(wording.noSales)) }
        var table = HTMLTable(id: "producers-table", caption: wording.producersCaption, columns: [
            (wording.producer, false), (wording.channel, false), (wording.product, false), (wording.quantity, true),
            (wording.exclVAT, true), (wording.averagePrice, true), (wording.sales, true),
        ])
        for line in content.producers {
            table.add([party(line.actor), line.channel, product(line.product), Display.quantity(line.quantity, line.unit),
                       Display.money(line.excludingVAT), Display.price(line.averagePrice, unit: line.unit), String(line.sales)])
        }
        return section("producers", wording.producersHeading, table.html)
    }

    var losses: String {
        guard !content.losses.isEmpty else { return section("losses", wording.lossesHeading, paragraph(wording.noLosses)) }
        var table = HTMLTable(id: "losses-table", caption: wording.lossesCaption, columns: [
            (wording.actor, false), (wording.product, false), (wording.reason, false), (wording.quantity, true), (wording.entries, true),
        ])
        for line in content.losses {
            table.add([party(line.actor), product(line.product), wording.reason(line.reason),
                       Display.quantity(line.quantity, line.unit ?? content.catalog.unit(of: line.product)), String(line.entries)])
        }
        return section("losses", wording.lossesHeading, table.html)
    }
}
