import Foundation
import Testing

/// Issue 20, item 7: `carnet report --html FILE`, the page the consortium looks at. On a
/// scripted consortium (`HTMLReportScenario`): its tables hold the figures of `carnet report
/// egalim | flows | producers | losses --json` and `carnet stock --json`, written as the
/// command line writes them; names typed by people are escaped; nothing outside the page is
/// referenced; `--lang en` is English; bad paths and options write nothing.
struct HTMLReportTests {
    /// The names of the routes, as the page writes them in each language.
    static let routes = ["fr": ["hub": "par la plateforme", "wholesale": "par le réseau de gros", "direct": "en direct",
                                "supply": "approvisionnement"],
                         "en": ["hub": "through the hub", "wholesale": "through wholesale", "direct": "direct", "supply": "supply"]]

    /// Every table of `html` against the JSON reports of the same year and days.
    static func expectTablesMatchReports(_ html: String, _ box: borrowing Sandbox, language: String = "fr", year: String = "2026",
                                         from: String = "2026-01-01", to: String = "2026-12-31",
                                         sourceLocation: SourceLocation = #_sourceLocation) throws {
        typealias F = CLIFormats
        func object(_ any: Any?) -> [String: Any] { any as? [String: Any] ?? [:] }
        func int(_ any: Any?) -> Int { any as? Int ?? Int.min }

        let egalim = try #require(try box.json(["report", "egalim", "--year", year]) as? [[String: Any]])
        let egalimRows = try #require(PageTables.rows(html, id: "egalim-table"), "no EGalim table", sourceLocation: sourceLocation)
        #expect(egalimRows.count == egalim.count, sourceLocation: sourceLocation)
        for (row, figures) in zip(egalimRows, egalim) {
            func share(_ name: String) -> String {
                let share = object(figures[name])
                guard int(share["ofCents"]) > 0 else { return "–" }
                return F.percent(int(share["shareBasisPoints"])) + ((share["met"] as? Bool) == true ? " ✓" : " ✗")
            }
            let meat = object(figures["meatAndFish"])
            let expected = [
                "\(figures["buyer"]!) (\(figures["name"]!))", String(int(figures["purchases"])), F.money(int(figures["totalExclVatCents"])),
                F.money(int(object(figures["quality"])["cents"])), share("quality"), F.money(int(object(figures["organic"])["cents"])),
                share("organic"), F.money(int(meat["ofCents"])), F.money(int(meat["cents"])), share("meatAndFish"),
                F.money(int(figures["localCents"])),
            ]
            #expect(row == expected, sourceLocation: sourceLocation)
        }

        let period = ["--from", from, "--to", to]
        let flows = try #require(try box.json(["report", "flows", "--by", "week"] + period) as? [[String: Any]])
        let flowRows = try #require(PageTables.rows(html, id: "flows-table"), "no flows table", sourceLocation: sourceLocation)
        #expect(flowRows.count == flows.count, sourceLocation: sourceLocation)
        for (row, line) in zip(flowRows, flows) {
            let quantities = ["g", "ml", "pc"].compactMap { unit in object(line["quantities"])[unit].map { F.quantity(int($0), unit) } }
            let family = HTMLReportScenario.familiesByCode[language]?[line["family"] as? String ?? ""]
            #expect(row.count == 7 && row[0] == line["period"] as? String && row[1] == routes[language]?[line["route"] as? String ?? ""]
                    && row[2] == family
                    && row[3] == (line["territory"] as? String ?? "") && row[4] == F.money(int(line["exclVatCents"]))
                    && row[5] == String(int(line["sales"])) && row[6] == quantities.joined(separator: ", "),
                    "\(row) against \(line)", sourceLocation: sourceLocation)
        }
        // The chart's table: per week, the sum of that week's lines by route, and the total.
        let weekRows = try #require(PageTables.rows(html, id: "flows-weeks-table"), sourceLocation: sourceLocation)
        let weeks = Array(Set(flows.compactMap { $0["period"] as? String })).sorted()
        let routes = ["hub", "wholesale", "direct", "supply"].filter { route in flows.contains { $0["route"] as? String == route } }
        #expect(weekRows.map { $0.first ?? "" } == weeks, sourceLocation: sourceLocation)
        for (row, week) in zip(weekRows, weeks) {
            let lines = flows.filter { $0["period"] as? String == week }
            let sums = routes.map { route in lines.filter { $0["route"] as? String == route }.reduce(0) { $0 + int($1["exclVatCents"]) } }
            #expect(row == [week] + sums.map(F.money) + [F.money(sums.reduce(0, +))], sourceLocation: sourceLocation)
        }

        let producers = try #require(try box.json(["report", "producers"] + period) as? [[String: Any]])
        let producerRows = try #require(PageTables.rows(html, id: "producers-table"), sourceLocation: sourceLocation)
        #expect(producerRows.count == producers.count, sourceLocation: sourceLocation)
        for (row, line) in zip(producerRows, producers) {
            let unit = line["unit"] as? String ?? ""
            let basis = ["g": "kg", "ml": "l", "pc": "pc"][unit] ?? ""
            #expect(row.count == 7 && row[0].hasPrefix("\(line["actor"]!) (") && row[1] == line["channel"] as? String
                    && row[2].hasPrefix("\(line["product"]!) (") && row[3] == F.quantity(int(line["quantity"]), unit)
                    && row[4] == F.money(int(line["exclVatCents"])) && row[5] == F.money(int(line["averagePriceCents"])) + "/" + basis
                    && row[6] == String(int(line["sales"])), "\(row) against \(line)", sourceLocation: sourceLocation)
        }

        let losses = try #require(try box.json(["report", "losses"] + period) as? [[String: Any]])
        let lossRows = try #require(PageTables.rows(html, id: "losses-table"), sourceLocation: sourceLocation)
        #expect(lossRows.count == losses.count, sourceLocation: sourceLocation)
        for (row, line) in zip(lossRows, losses) {
            #expect(row.count == 5 && row[0].hasPrefix("\(line["actor"]!) (") && row[1].hasPrefix("\(line["product"]!) (")
                    && row[3] == F.quantity(int(line["quantity"]), line["unit"] as? String ?? "") && row[4] == String(int(line["entries"])),
                    "\(row) against \(line)", sourceLocation: sourceLocation)
        }

        // `carnet stock`, summed by family and unit.
        let stock = try #require(try box.json(["stock"]) as? [[String: Any]])
        var byFamily: [String: (unit: String, quantity: Int)] = [:]
        for line in stock {
            let family = HTMLReportScenario.families[language]?[line["product"] as? String ?? ""] ?? "?"
            byFamily[family, default: (line["unit"] as? String ?? "", 0)].quantity += int(line["quantity"])
        }
        let stockRows = try #require(PageTables.rows(html, id: "stock-table"), sourceLocation: sourceLocation)
        #expect(Set(stockRows.map { $0.first ?? "" }) == Set(byFamily.keys), sourceLocation: sourceLocation)
        for row in stockRows {
            let expected = byFamily[row[0]]
            #expect(row.last == expected.map { F.quantity($0.quantity, $0.unit) }, "\(row)", sourceLocation: sourceLocation)
        }
    }

    @Test func thePageHoldsTheReportsFiguresWithNothingFromOutside() throws {
        let box = try Sandbox()
        try HTMLReportScenario.build(box)
        let path = box.path("consortium.html")
        let out = try box.ok(["report", "--html", path, "--year", "2026"])
        #expect(out.hasPrefix("wrote \(path): EGalim 2026 for 2 canteen(s)"), "\(out)")
        let html = try String(contentsOfFile: path, encoding: .utf8)
        try Self.expectTablesMatchReports(html, box)

        // Hand-checked figures, so that the comparison above cannot pass on two empty sides.
        let egalim = try #require(PageTables.rows(html, id: "egalim-table"))
        #expect(egalim.first == ["cj (\(HTMLReportScenario.scriptName))", "4", "1\u{202F}335,00 €", "1\u{202F}250,00 €", "93,63 % ✓",
                                 "50,00 €", "3,75 % ✗", "1\u{202F}200,00 €", "1\u{202F}200,00 €", "100 % ✓", "1\u{202F}250,00 €"],
                "cj: bœuf 1 200 (label rouge, from the hub in Val), yaourt 50 (organic, col in Val), carotte 80 + 5 before VAT")
        #expect(try #require(PageTables.rows(html, id: "flows-weeks-table")).map { $0[0] } == ["2026-03-02", "2026-03-09"])
        #expect(try #require(PageTables.rows(html, id: "stock-table")).contains(["Fruits et légumes", "kg", "247,5 kg"]))
        #expect(try #require(PageTables.rows(html, id: "losses-table")).map { $0[2] } == ["abîmé", "périmé"])

        // French by default; every chart is an image with a name, a title and a description.
        #expect(html.contains("<html lang=\"fr\">"))
        #expect(html.contains("par la plateforme") && html.contains("Viandes et volailles"))
        let charts = html.components(separatedBy: "<svg ").dropFirst()
        #expect(charts.count == 5, "EGalim, flows, and stock in kg, l and pc")
        for chart in charts {
            #expect(chart.hasPrefix("role=\"img\" aria-label=\"") && chart.contains("<title>") && chart.contains("<desc>"))
        }
        #expect(html.components(separatedBy: "<caption>").count - 1 == 6)
        #expect(html.contains("<th scope=\"col\"") && html.contains("<th scope=\"row\""))

        // Names typed by people are text, never markup.
        #expect(!html.lowercased().contains("<script"), "the canteen's name must not become a script")
        #expect(html.contains("Cantine &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Jaurès"))
        #expect(html.contains("Bœuf &amp; veau &lt;b&gt;"))
        #expect(!html.contains("Bœuf & veau"))
        // Self-contained: no URL, no fetch of any kind, and a policy that forbids one.
        for outside in ["http://", "https://", "//", "src=", "href=", "<link", "@import", "url(", "<img", "<iframe"] {
            #expect(!html.contains(outside), "the page references \(outside)")
        }
        #expect(html.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"))
    }

    @Test func englishAndAnotherPeriodOnRequest() throws {
        let box = try Sandbox()
        try HTMLReportScenario.build(box)
        let path = box.path("report-en.html")
        try box.ok(["report", "--html", path, "--lang", "en", "--year", "2026", "--from", "2026-03-09", "--to", "2026-03-31"])
        let html = try String(contentsOfFile: path, encoding: .utf8)
        #expect(html.contains("<html lang=\"en\">"))
        #expect(html.contains("Weekly flows: through the hub or direct") && html.contains("Meat and poultry"))
        #expect(!html.contains("par la plateforme") && !html.contains("Semaine du"))
        #expect(html.contains("from 2026-03-09 to 2026-03-31 included; EGalim: year 2026"))
        try Self.expectTablesMatchReports(html, box, language: "en", from: "2026-03-09", to: "2026-03-31")
        #expect(try #require(PageTables.rows(html, id: "flows-weeks-table")).map { $0[0] } == ["2026-03-09"])

        // Without --year: this year (the sandbox runs in UTC), and its days for the other reports.
        func thisYear() -> Int { Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: Date()).year! }
        let before = thisYear()
        try box.ok(["report", "--html", path])
        let years = Set([before, thisYear()]).map { "du \($0)-01-01 au \($0)-12-31 inclus ; EGalim : année \($0)." }
        let current = try String(contentsOfFile: path, encoding: .utf8)
        #expect(years.contains { current.contains($0) }, "\(years)")
    }

    @Test func badPathsAndOptionsWriteNothing() throws {
        let box = try Sandbox()
        try HTMLReportScenario.build(box)
        let folder = box.path("pages")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        expectError(try box.run(["report", "--html", folder]), 73, "\(folder) is a directory: give the path of the page to write")
        expectError(try box.run(["report", "--html", box.path("none/page.html")]), 73,
                    "cannot write \(box.path("none/page.html")): the directory \(box.path("none")) does not exist")
        let file = box.path("plain.txt")
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        expectError(try box.run(["report", "--html", file + "/page.html"]), 73, "\(file) is not a directory")
        let page = box.path("page.html")
        expectError(try box.run(["report", "--html", page, "--lang", "de"]), 64, "--lang de is not a language of the report: fr or en")
        expectError(try box.run(["report", "--html", page, "--year", "26"]), 64, "--year 26 is not a year")
        expectError(try box.run(["report", "--html", page, "--year", "2026", "--from", "2027-01-01"]), 64,
                    "--from 2027-01-01 is after 2026-12-31 (31 December of 2026, the default --to; give --to or --year)")
        expectError(try box.run(["report", "--html", ""]), 64, "--html needs a file name")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: page))
        #expect(!FileManager.default.fileExists(atPath: box.path("none")))

        // The group keeps its subcommands: alone it lists them, a typo gets a guess.
        expectError(try box.run(["report"]), 64, "`carnet report` needs a subcommand: `carnet report egalim`")
        expectError(try box.run(["report"]), 64, "`carnet report --html FILE`")
        expectError(try box.run(["report", "egalimm", "--year", "2026"]), 64, "did you mean `carnet report egalim`?")
        let help = try box.ok(["report", "--help"])
        #expect(help.contains("carnet report --html FILE [--lang fr|en]") && help.contains("carnet report egalim --year Y"))
        #expect(try box.ok(["report", "--html", "--help"]).contains("Content-Security-Policy forbids every fetch"))
        #expect(try box.ok(["help"]).contains("--html FILE: one self-contained page"))
    }
}
