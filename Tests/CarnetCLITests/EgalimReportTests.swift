import Foundation
import Testing

/// `carnet report egalim`: a scripted year of a public and a private canteen, with
/// labelled and unlabelled products, a voided sale and a sale of another year, whose
/// figures are computed by hand below.
struct EgalimReportTests {
    /// The scripted year: col (a farm, territory Val) and the hub sell to cj (a public
    /// canteen, Val) and cp (a private one, Métropole); one sale voided, one of 2025; the
    /// yaourt's labels removed after its sales.
    static func coopYear(_ box: borrowing Sandbox) throws {
        try box.initNode("a", label: "hub")
        for (id, kind, territory) in [("col", "farm", "Val"), ("hub", "hub", ""), ("cj", "canteen-public", "Val"),
                                      ("cp", "canteen-private", "Métropole")] {
            try box.ok(["party", "set", id, "--name", id.uppercased(), "--kind", kind] + (territory.isEmpty ? [] : ["--territory", territory]))
        }
        try box.ok(["product", "set", "yaourt", "--name", "Yaourt", "--unit", "piece", "--label", "organic", "--label", "fermier",
                    "--family", "dairy"])
        try box.ok(["product", "set", "boeuf", "--name", "Bœuf", "--unit", "kg", "--label", "label-rouge", "--family", "meat-poultry"])
        try box.ok(["product", "set", "poulet", "--name", "Poulet", "--unit", "kg", "--family", "meat-poultry"])
        try box.ok(["product", "set", "carotte", "--name", "Carotte", "--unit", "kg", "--label", "local", "--family", "fruit-vegetables"])
        func record(_ words: String...) throws -> String { try box.ok(["record"] + words).trimmedLine }
        _ = try record("harvest", "--actor", "col", "--product", "yaourt", "--qty", "500piece", "--lot", "Y1", "--date", "2025-12-01")
        _ = try record("harvest", "--actor", "col", "--product", "carotte", "--qty", "100kg", "--lot", "C1", "--date", "2026-01-02")
        _ = try record("purchase", "--actor", "hub", "--product", "boeuf", "--qty", "50kg", "--from", "col", "--amount", "300",
                       "--lot", "B1", "--date", "2026-01-02")
        _ = try record("purchase", "--actor", "hub", "--product", "poulet", "--qty", "50kg", "--from", "col", "--amount", "150",
                       "--lot", "P1", "--date", "2026-01-02")
        // cj, 2026: 100 + 200 + 100 + 50 € before VAT (5.5 %); the voided and the 2025 sales do not count.
        func sale(_ actor: String, _ product: String, _ lot: String, _ qty: String, _ to: String, _ amount: String,
                  _ date: String = "2026-03-10") throws -> String {
            try record("sale", "--actor", actor, "--product", product, "--qty", qty, "--lot", lot, "--to", to,
                       "--amount", amount, "--date", date)
        }
        _ = try sale("col", "yaourt", "Y1", "100piece", "cj", "105.50")
        _ = try sale("hub", "boeuf", "B1", "10kg", "cj", "211")
        _ = try sale("hub", "poulet", "P1", "10kg", "cj", "105.50")
        _ = try sale("col", "carotte", "C1", "20kg", "cj", "52.75")
        let voided = try sale("col", "yaourt", "Y1", "50piece", "cj", "1055")
        try box.ok(["void", voided, "--reason", "saisie en double"])
        _ = try sale("col", "yaourt", "Y1", "10piece", "cj", "1000", "2025-12-20")
        _ = try sale("col", "yaourt", "Y1", "100piece", "cp", "211")
        // A label lost later does not rewrite the year: each sale kept the labels it was made with.
        try box.ok(["product", "set", "yaourt", "--label", "none"])
    }

    @Test func theSharesOfEachCanteenAreTheHandComputedOnes() throws {
        let box = try Sandbox()
        try Self.coopYear(box)

        let report = try #require(try box.json(["report", "egalim", "--year", "2026"]) as? [[String: Any]])
        #expect(report.map { $0["buyer"] as? String } == ["cj", "cp"])
        let cj = report[0], cp = report[1]
        #expect(cj["purchases"] as? Int == 4)
        #expect(cj["totalExclVatCents"] as? Int == 45_000)
        func share(_ object: [String: Any], _ name: String) -> (Int?, Int?, Bool?) {
            let share = object[name] as? [String: Any]
            return (share?["cents"] as? Int, share?["shareBasisPoints"] as? Int, share?["met"] as? Bool)
        }
        #expect(share(cj, "quality") == (30_000, 6_667, true), "yaourt (organic) 100 + bœuf (label rouge) 200 of 450")
        #expect(share(cj, "organic") == (10_000, 2_222, true))
        #expect(share(cj, "meatAndFish") == (20_000, 6_667, true), "bœuf 200 of bœuf 200 + poulet 100")
        #expect(cj["localCents"] as? Int == 15_000, "carotte (local) 50 and col's yaourt 100: col is in cj's territory")
        #expect((cj["categories"] as? [String: Int]) == ["BIO": 10_000, "LABEL_ROUGE": 20_000])
        #expect((cj["families"] as? [String: Int]) == ["PRODUITS_LAITIERS": 10_000, "VIANDES_VOLAILLES": 30_000, "FRUITS_ET_LEGUMES": 5_000])
        #expect(share(cp, "quality") == (20_000, 10_000, true))
        #expect(share(cp, "meatAndFish") == (0, 0, false), "no meat or fish bought: nothing to meet")
        #expect(cp["localCents"] as? Int == 0)

        let one = try #require(try box.json(["report", "egalim", "--year", "2025", "--buyer", "cj"]) as? [[String: Any]])
        #expect(one.first?["totalExclVatCents"] as? Int == 94_787, "1,000 € at 5.5 % is 947.87 € before VAT")

        let csv = try box.ok(["report", "egalim", "--year", "2026", "--csv"])
        let rows = csv.split(whereSeparator: \.isNewline)
        #expect(rows.count == 3, "\(csv.debugDescription)")
        #expect(rows.first?.hasPrefix("buyer,name,year,purchases,total_excl_vat_eur,quality_eur,quality_share") == true)
        #expect(rows.dropFirst().first?.hasPrefix("cj,CJ,2026,4,450.00,300.00,0.6667,100.00,0.2222,300.00,200.00,0.6667,150.00,100.00,0.00,200.00,0.00") == true,
                "\(rows)")

        expectError(try box.run(["report", "egalim", "--year", "26"]), 64, "--year 26 is not a year")
        expectError(try box.run(["report", "egalim", "--year", "2026", "--buyer", "cjj"]), 65, "unknown party \"cjj\" (--buyer); did you mean cj?")
    }
}

/// A product sold without labels and labelled afterwards: the sale counts as it was made.
struct EgalimRelabelTests {
    @Test func aLabelGainedLaterDoesNotCountForEarlierSales() throws {
        let box = try Sandbox()
        try box.initNode("a", label: "hub")
        try box.ok(["party", "set", "col", "--name", "Col", "--kind", "farm"])
        try box.ok(["party", "set", "cj", "--name", "CJ", "--kind", "canteen-public"])
        try box.ok(["product", "set", "pomme", "--name", "Pomme", "--unit", "kg", "--family", "fruit-vegetables"])
        try box.ok(["record", "harvest", "--actor", "col", "--product", "pomme", "--qty", "10kg", "--lot", "P1", "--date", "2026-03-01"])
        try box.ok(["record", "sale", "--actor", "col", "--product", "pomme", "--qty", "5kg", "--lot", "P1", "--to", "cj",
                    "--amount", "10.55", "--date", "2026-03-02"])
        try box.ok(["product", "set", "pomme", "--label", "organic"])
        let report = try #require(try box.json(["report", "egalim", "--year", "2026"]) as? [[String: Any]])
        #expect((report.first?["organic"] as? [String: Any])?["cents"] as? Int == 0, "\(report)")
        #expect(report.first?["labelsFromCatalog"] as? Int == 0)
    }
}

/// `carnet report losses`: grouped by actor, product and reason; voided losses out.
struct LossReportTests {
    @Test func lossesAreGroupedByReason() throws {
        let box = try Sandbox()
        try box.initNode("a", label: "col")
        try box.seedLedger()  // col harvested 12 kg of tomme in lot L1 on 2026-06-01
        func loss(_ qty: String, _ reason: String, _ date: String = "2026-06-03") throws -> String {
            try box.ok(["record", "loss", "--actor", "col", "--product", "tomme", "--qty", qty, "--lot", "L1",
                        "--reason", reason, "--date", date]).trimmedLine
        }
        _ = try loss("1kg", "unsold")
        _ = try loss("500g", "unsold")
        _ = try loss("2kg", "damaged")
        let voided = try loss("3kg", "expired")
        try box.ok(["void", voided, "--reason", "erreur"])
        _ = try loss("100g", "quality", "2026-07-01")
        let lines = try #require(try box.json(["report", "losses", "--to", "2026-06-30"]) as? [[String: Any]])
        #expect(lines.map { "\($0["reason"] ?? ""):\($0["quantity"] ?? ""):\($0["entries"] ?? "")" } == ["unsold:1500:2", "damaged:2000:1"])
        let all = try #require(try box.json(["report", "losses"]) as? [[String: Any]])
        #expect(all.count == 3 && all.last?["reason"] as? String == "quality")
        #expect(try box.ok(["report", "losses", "--csv"]).hasPrefix("actor,product,name,reason,quantity,unit,entries\r\n"))
        expectError(try box.run(["report", "losses", "--from", "2026-07-01", "--to", "2026-06-01"]), 64, "is before --from")
    }
}

/// `carnet report producers` and `report flows` on the same scripted year.
struct SalesReportTests {
    @Test func producersByChannelWithAveragePrices() throws {
        let box = try Sandbox()
        try EgalimReportTests.coopYear(box)
        let lines = try #require(try box.json(["report", "producers", "--from", "2026-01-01"]) as? [[String: Any]])
        let shown = lines.map { "\($0["actor"] ?? "")/\($0["channel"] ?? "")/\($0["product"] ?? ""):\($0["quantity"] ?? ""):\($0["exclVatCents"] ?? ""):\($0["averagePriceCents"] ?? "")" }
        #expect(shown == ["col/canteen-private/yaourt:100:20000:200", "col/canteen-public/carotte:20000:5000:250",
                          "col/canteen-public/yaourt:100:10000:100", "hub/canteen-public/boeuf:10000:20000:2000",
                          "hub/canteen-public/poulet:10000:10000:1000"])
    }

    @Test func flowsThroughTheHubAgainstDirect() throws {
        let box = try Sandbox()
        try EgalimReportTests.coopYear(box)
        let months = try #require(try box.json(["report", "flows", "--from", "2026-01-01", "--by", "month"]) as? [[String: Any]])
        let shown = months.map { "\($0["period"] ?? "") \($0["route"] ?? "")/\($0["family"] ?? "")/\($0["territory"] ?? ""):\($0["exclVatCents"] ?? ""):\($0["sales"] ?? "")" }
        #expect(shown == ["2026-03-01 hub/meat-poultry/Val:30000:2", "2026-03-01 direct/dairy/Métropole:20000:1",
                          "2026-03-01 direct/dairy/Val:10000:1", "2026-03-01 direct/fruit-vegetables/Val:5000:1"])
        #expect((months.first?["quantities"] as? [String: Int]) == ["g": 20_000])
        let weeks = try #require(try box.json(["report", "flows"]) as? [[String: Any]])
        #expect(Set(weeks.map { $0["period"] as? String }) == ["2025-12-15", "2026-03-09"], "weeks start on Monday")
        expectError(try box.run(["report", "flows", "--by", "day"]), 64, "--by day is not a period")
    }
}
