import Foundation
import Testing

/// The ledger commands end to end, as a person would run them: init, catalog, one entry of
/// every kind, the reading commands' JSON, void, CSV export.
struct LedgerWorkflowTests {
    @Test func everyKindIsRecordedAndReadBack() throws {
        let box = try Sandbox()
        try box.initNode("a", label: "col-laptop")
        try box.seedLedger()
        try box.ok(["party", "set", "hub", "--name", "La Coop", "--kind", "hub"])
        try box.ok(["party", "set", "fromagerie", "--name", "Fromagerie", "--kind", "supplier"])

        func record(_ words: [String]) throws -> String {
            let id = try box.ok(["record"] + words + ["--date", "2026-06-02"]).trimmedLine
            #expect(id.range(of: #"^[a-z]+-[0-9a-f]{8}-[0-9]+$"#, options: .regularExpression) != nil, "id \(id)")
            return id
        }
        let production = try record(["production", "--producer", "col", "--product", "tomme", "--qty", "5kg", "--lot", "P1"])
        _ = try record(["delivery", "--producer", "col", "--product", "tomme", "--qty", "2kg", "--lot", "L1", "--to", "hub"])
        let sale = try record(["sale", "--producer", "col", "--product", "tomme", "--qty", "8,5kg", "--lot", "L1",
                               "--to", "cantine", "--price", "24", "--note", "calibre 2, \"extra\""])
        _ = try record(["purchase", "--producer", "col", "--product", "tomme", "--qty", "1kg", "--from", "fromagerie", "--amount", "15"])
        _ = try record(["payment", "--producer", "col", "--from", "cantine", "--amount", "100", "--ref", sale, "--method", "transfer"])
        _ = try record(["loss", "--producer", "col", "--product", "tomme", "--qty", "500g", "--lot", "L1", "--reason", "damaged", "--note", "abîmé"])
        let adjust = try record(["adjust", "--producer", "col", "--product", "tomme", "--qty", "-200g", "--lot", "L1"])
        #expect(production.hasPrefix("production-") && sale.hasPrefix("sale-"))

        // log: newest first, every entry there.
        let log = try #require(try box.json(["log"]) as? [[String: Any]])
        #expect(log.count == 8)
        #expect(log.first?["id"] as? String == adjust)
        #expect((try box.json(["log", "--limit", "2"]) as? [Any])?.count == 2)

        // show: the sale's total is 8,5 kg × 24 €/kg.
        let shown = try #require(try box.json(["show", sale]) as? [String: Any])
        #expect(shown["amountCents"] as? Int == 20_400)
        #expect(shown["quantity"] as? Int == 8_500)
        #expect(shown["unit"] as? String == "g")
        #expect(shown["label"] as? String == "col-laptop")
        #expect(shown["voided"] as? Bool == false)

        // stock: L1 = 12 - 2 - 8,5 - 0,5 - 0,2 kg; P1 = 5 kg; the purchase has no lot.
        let byLot = try #require(try box.json(["stock", "--by-lot"]) as? [[String: Any]])
        let lots = Dictionary(uniqueKeysWithValues: byLot.map { ($0["lot"] as! String, $0["quantity"] as! Int) })
        #expect(lots == ["L1": 800, "P1": 5_000, "": 1_000])
        let total = try #require(try box.json(["stock", "--producer", "col"]) as? [[String: Any]])
        #expect(total.count == 1 && total[0]["quantity"] as? Int == 6_800)
        #expect(try box.ok(["stock"]).contains("6,8 kg"))

        // balances: the canteen owes the sale minus its payment; the producer owes the supplier.
        let balances = try #require(try box.json(["balances"]) as? [[String: Any]])
        let owed = Dictionary(uniqueKeysWithValues: balances.map { ($0["party"] as! String, $0["balanceCents"] as! Int) })
        #expect(owed == ["cantine": 10_400, "fromagerie": -1_500])
        #expect(try box.ok(["balances"]).contains("104,00 €"))
        #expect((try box.json(["conflicts"]) as? [Any])?.isEmpty == true)
        let availability = try #require(try box.json(["availability"]) as? [[String: Any]])
        #expect(availability.first?["delivered"] as? Int == 2_000)

        // void: the sale no longer counts, and its reversal is shown with it.
        let reversal = try box.ok(["void", sale, "--reason", "entered twice"]).trimmedLine
        #expect(reversal.hasPrefix("reversal-"))
        let voided = try #require(try box.json(["show", sale]) as? [String: Any])
        #expect(voided["voided"] as? Bool == true)
        #expect(voided["voidedBy"] as? String == reversal)
        #expect((voided["reversals"] as? [Any])?.count == 1)
        let after = try #require(try box.json(["stock", "--by-lot"]) as? [[String: Any]])
        #expect(after.first { $0["lot"] as? String == "L1" }?["quantity"] as? Int == 9_300)
        let again = try box.run(["void", sale, "--reason", "twice"])
        #expect(again.status == 65 && again.stderr.contains("already voided by \(reversal)"))

        // status: the fields of CLI.md, from the status file the last write left.
        let status = try #require(try box.json(["status"]) as? [String: Any])
        for field in ["node", "label", "ledger", "events", "versionVector", "digest", "conflicts", "forks"] {
            #expect(status[field] != nil, "status --json lacks \(field)")
        }
        #expect(status["fromStatusFile"] as? Bool == true)
        #expect(status["ledger"] as? String == "coop")

        // CSV: a header, one row per entry, RFC 4180 quoting of the note.
        let csvPath = box.path("out.csv")
        try box.ok(["export", "--csv", csvPath])
        let csv = try String(contentsOfFile: csvPath, encoding: .utf8)
        let rows = csv.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(rows.count == 1 + 9)  // header, harvest, 7 entries, the reversal
        #expect(rows[0].hasPrefix("id,date,kind,producer,product,quantity,unit,lot,party,amount_eur"))
        #expect(csv.contains("\"calibre 2, \"\"extra\"\"\""))
        #expect(rows.contains { $0.hasPrefix(sale + ",2026-06-02,sale,col,tomme,8500,g,L1,cantine,204.00,") })
    }

    @Test func theCatalogAndPartiesListWhatWasSet() throws {
        let box = try Sandbox()
        try box.initNode("a", label: "hub")
        try box.seedLedger()
        try box.ok(["product", "set", "oeufs", "--name", "Œufs bio", "--unit", "piece", "--price", "0,45"])
        let products = try #require(try box.json(["product", "list"]) as? [[String: Any]])
        #expect(products.map { $0["sku"] as? String } == ["oeufs", "tomme"])
        #expect(products[0]["priceCents"] as? Int == 45)
        #expect(products[0]["unit"] as? String == "pc")
        let parties = try #require(try box.json(["party", "list"]) as? [[String: Any]])
        #expect(parties.first { $0["id"] as? String == "col" }?["kind"] as? String == "farm")
        #expect(try box.ok(["product", "list"]).contains("0,45 €/pc"))
    }
}
