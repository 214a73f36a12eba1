import CarnetLedger
import Foundation

/// `carnet report egalim --year Y [--buyer B] [--json | --csv]`: each canteen's food
/// purchases of a year as the EGalim law counts them, in the "ma cantine" categories, so
/// that a canteen manager can copy the figures into the declaration.
struct ReportEgalimCommand: Command {
    static let spec = CommandSpec(
        path: ["report", "egalim"], summary: "per canteen: food purchases before VAT and the EGalim shares against their targets",
        options: [
            .value("--year", "Y", "the calendar year (by the entries' dates)", required: true),
            .value("--buyer", "B", "one buyer only (any party), even if it bought nothing"),
            .json,
            ReportFormat.csvOption,
        ],
        discussion: """
        A canteen's purchases are the sales recorded to it (parties of kind canteen-public,
        canteen-private or canteen), by any actor; voided sales count for nothing. Amounts
        are before VAT, at each entry's rate. Each sale counts with the labels and family its
        product had when it was recorded; a product with several labels counts in one
        category, the first in the declaration's order (organic, organic-conversion,
        label-rouge, aop, igp, stg, hve, ecolabel-peche, rup, commerce-equitable, fermier,
        externalites, performance, equivalents).
        quality: every category above (target 50 %); organic: organic and organic-conversion
        (20 %); meat and fish: among meat-poultry and seafood, the part with a category
        (60 %). local (labelled local, or sold by a party of the buyer's territory) is shown
        beside, never counted: the law does not count it.
        JSON: an array of {buyer, name, kind, year, purchases, totalExclVatCents, quality,
        organic, meatAndFish: {cents, ofCents, shareBasisPoints, targetPercent, met},
        localCents, categories: {ma cantine code: cents}, families: {code: cents},
        labelsFromCatalog}.
        """,
        examples: ["carnet report egalim --year 2026", "carnet report egalim --year 2026 --buyer cantine-jaures --csv"]
    )

    var year: Int
    var buyer: String?
    var format: ReportFormat

    init(_ invocation: Invocation) throws {
        let text = try invocation.required("--year")
        guard text.count == 4, let year = Int(text), year >= 1970 else {
            throw CLIError.usage("--year \(text) is not a year: write it with four digits, e.g. 2026")
        }
        self.year = year
        buyer = try invocation.nonEmpty("--buyer")
        format = try ReportFormat(invocation)
    }

    /// One share as the report shows it.
    struct Share {
        var cents: Int64
        var of: Int64
        var target: Int

        var basisPoints: Int64 { EgalimFigures.basisPoints(cents, of: of) }
        var met: Bool { of > 0 && basisPoints >= Int64(target) * 100 }

        var json: JSON {
            .object(["cents": .int(cents), "ofCents": .int(of), "shareBasisPoints": .int(basisPoints),
                     "targetPercent": .int(Int64(target)), "met": .bool(met)])
        }
    }

    static func shares(_ figures: EgalimFigures) -> (quality: Share, organic: Share, meatAndFish: Share) {
        (Share(cents: figures.quality, of: figures.total, target: EgalimFigures.qualityTarget),
         Share(cents: figures.organic, of: figures.total, target: EgalimFigures.organicTarget),
         Share(cents: figures.meatAndFishQuality, of: figures.meatAndFish, target: EgalimFigures.meatAndFishTarget))
    }

    func run(in context: Context) throws {
        let view = try LedgerView.read(context)
        if let buyer, view.catalog.party(buyer) == nil {
            let hint = Suggestion.closest(to: buyer, among: view.catalog.parties.map(\.key.id)).map { "; did you mean \($0)?" } ?? ""
            throw CLIError.data("unknown party \"\(buyer)\" (--buyer)\(hint)")
        }
        let report = EgalimReport.figures(state: view.state, catalog: view.catalog, year: year, buyer: buyer)
        if format == .json {
            context.output.json(.array(report.map { figures in
                let shares = Self.shares(figures)
                var categories: [String: JSON] = [:]
                for (label, cents) in figures.byCategory { categories[label.maCantineCode] = .int(cents) }
                var families: [String: JSON] = [:]
                for (family, cents) in figures.byFamily { families[family?.maCantineCode ?? "NON_RENSEIGNE"] = .int(cents) }
                return .object([
                    "buyer": .string(figures.buyer), "name": .optional(view.catalog.partyName(figures.buyer)),
                    "kind": .optional(view.catalog.party(figures.buyer)?.text(PartyField.kind.rawValue)),
                    "year": .int(Int64(figures.year)), "purchases": .int(Int64(figures.purchases)),
                    "totalExclVatCents": .int(figures.total), "quality": shares.quality.json, "organic": shares.organic.json,
                    "meatAndFish": shares.meatAndFish.json, "localCents": .int(figures.local),
                    "categories": .object(categories), "families": .object(families),
                    "labelsFromCatalog": .int(Int64(figures.labelsFromCatalog)),
                ])
            }))
            return
        }
        if format == .csv {
            var records = [["buyer", "name", "year", "purchases", "total_excl_vat_eur", "quality_eur", "quality_share",
                            "organic_eur", "organic_share", "meat_fish_eur", "meat_fish_quality_eur", "meat_fish_share",
                            "local_eur"] + QualityLabel.allCases.filter(\.countsAsQuality).map { "value_\($0.maCantineCode.lowercased())_eur" }]
            for figures in report {
                let shares = Self.shares(figures)
                records.append([figures.buyer, view.catalog.partyName(figures.buyer) ?? "", String(figures.year),
                                String(figures.purchases), ReportFormat.euros(figures.total), ReportFormat.euros(figures.quality),
                                Self.ratio(shares.quality), ReportFormat.euros(figures.organic), Self.ratio(shares.organic),
                                ReportFormat.euros(figures.meatAndFish), ReportFormat.euros(figures.meatAndFishQuality),
                                Self.ratio(shares.meatAndFish), ReportFormat.euros(figures.local)]
                               + QualityLabel.allCases.filter(\.countsAsQuality).map { ReportFormat.euros(figures.byCategory[$0] ?? 0) })
            }
            context.output.csv(records)
            return
        }
        guard !report.isEmpty else {
            context.output.line("no purchases by a canteen in \(year): sales to parties of kind canteen-public, canteen-private or canteen count")
            return
        }
        let output = context.output
        var table = Table([("buyer", .left), ("purchases", .right), ("total excl. VAT", .right), ("quality ≥ 50 %", .right),
                           ("organic ≥ 20 %", .right), ("meat & fish ≥ 60 %", .right), ("local (not counted)", .right)])
        for figures in report {
            let shares = Self.shares(figures)
            func cell(_ share: Share) -> String {
                guard share.of > 0 else { return output.dim("–") }
                let text = Display.percent(share.basisPoints)
                return share.met ? output.green(text + " ✓") : output.red(text + " ✗")
            }
            let name = view.catalog.partyName(figures.buyer).map { "\(figures.buyer) (\($0))" } ?? figures.buyer
            table.add([name, String(figures.purchases), Display.money(figures.total), cell(shares.quality), cell(shares.organic),
                       cell(shares.meatAndFish), Display.money(figures.local)])
        }
        table.print(output)
        let assumed = report.reduce(0) { $0 + $1.labelsFromCatalog }
        if assumed > 0 {
            let what = assumed == 1 ? "1 purchase was" : "\(assumed) purchases were"
            output.line(output.dim("\(what) recorded before entries kept their labels: counted with the products' labels of today"))
        }
    }

    /// A share as a fraction with four decimals (`0.6234`), empty when nothing was bought.
    static func ratio(_ share: Share) -> String {
        guard share.of > 0 else { return "" }
        let points = share.basisPoints
        return "\(points / 10_000).\(String(repeating: "0", count: 4 - String(points % 10_000).count))\(points % 10_000)"
    }
}
