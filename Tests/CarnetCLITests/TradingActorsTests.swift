import Foundation
import Testing

/// Issue 20, first step: every trading party can be an entry's actor, products carry
/// EGalim labels, a family and an origin, parties a kind and a territory, sales and
/// purchases their VAT rate, losses a reason from a fixed list, and a payment comes from
/// the party of the sale it settles. Every bad input: one sentence, non-zero, nothing written.
struct TradingActorsTests {
    private func events(_ box: borrowing Sandbox) throws -> Int {
        let status = try #require(try box.json(["status"]) as? [String: Any])
        return status["events"] as? Int ?? -1
    }

    @Test func labelsFamilyOriginAndTerritoryAreKeptAndListed() throws {
        let box = try Sandbox()
        try box.initNode("a", label: "hub")
        try box.ok(["product", "set", "yaourt", "--name", "Yaourt", "--unit", "piece", "--price", "0,80",
                    "--label", "organic", "--label", "fermier", "--label", "bio", "--family", "dairy", "--origin", "Ardèche"])
        try box.ok(["party", "set", "cj", "--name", "Cantine Jaurès", "--kind", "canteen-public", "--territory", "Métropole"])
        let products = try #require(try box.json(["product", "list"]) as? [[String: Any]])
        #expect(products.first?["labels"] as? [String] == ["organic", "fermier"], "bio is organic, named once")
        #expect(products.first?["family"] as? String == "dairy")
        #expect(products.first?["origin"] as? String == "Ardèche")
        let parties = try #require(try box.json(["party", "list"]) as? [[String: Any]])
        #expect(parties.first?["territory"] as? String == "Métropole")
        #expect(parties.first?["trades"] as? Bool == false)

        // Clearing the labels is one write of the whole set.
        try box.ok(["product", "set", "yaourt", "--label", "none"])
        #expect((try box.json(["product", "list"]) as? [[String: Any]])?.first?["labels"] as? [String] == [])

        let before = try events(box)
        expectError(try box.run(["product", "set", "yaourt", "--label", "organique"]), 64, "--label organique is not a label Carnet knows")
        expectError(try box.run(["product", "set", "yaourt", "--family", "lait"]), 64, "--family lait is not a product family")
        expectError(try box.run(["product", "set", "yaourt", "--vat", "5,5%"]), 64, "--vat 5,5% is not a VAT rate")
        expectError(try box.run(["party", "set", "x", "--name", "X", "--kind", "cantine"]), 64, "did you mean canteen?")
        #expect(try events(box) == before, "a refused command wrote something")
    }

    @Test func theHubBuysHoldsStockAndSellsWithItsVAT() throws {
        let box = try Sandbox()
        try box.initNode("a", label: "hub")
        try box.ok(["party", "set", "col", "--name", "Ferme du Col", "--kind", "farm"])
        try box.ok(["party", "set", "hub", "--name", "Tiers-lieu", "--kind", "hub"])
        try box.ok(["party", "set", "cj", "--name", "Cantine Jaurès", "--kind", "canteen-public"])
        try box.ok(["product", "set", "yaourt", "--name", "Yaourt", "--unit", "piece", "--price", "1"])
        try box.ok(["product", "set", "jus", "--name", "Jus", "--unit", "l", "--price", "3", "--vat", "20"])
        let purchase = try box.ok(["record", "purchase", "--actor", "hub", "--product", "yaourt", "--qty", "100piece",
                                   "--from", "col", "--amount", "60", "--lot", "H1"]).trimmedLine
        let sale = try box.ok(["record", "sale", "--actor", "hub", "--product", "yaourt", "--qty", "40piece", "--lot", "H1",
                               "--to", "cj", "--vat", "10"]).trimmedLine
        try box.ok(["record", "purchase", "--actor", "hub", "--product", "jus", "--qty", "2l", "--from", "col", "--amount", "12",
                    "--lot", "J1"])
        let stock = try #require(try box.json(["stock"]) as? [[String: Any]])
        #expect(stock.map { "\($0["producer"] ?? "")/\($0["product"] ?? ""):\($0["quantity"] ?? "")" }.sorted()
            == ["hub/jus:2000", "hub/yaourt:60"])
        let balances = try #require(try box.json(["balances"]) as? [[String: Any]])
        #expect(balances.map { "\($0["party"] ?? ""):\($0["balanceCents"] ?? "")" }.sorted() == ["cj:4000", "col:-7200"])

        // The rate on each entry: the food rate by default, the product's, or the one given.
        let bought = try #require(try box.json(["show", purchase]) as? [String: Any])
        #expect(bought["vatRate"] as? Int == 550)
        #expect(bought["amountExclVatCents"] as? Int == 5_687, "60 € at 5.5 % is 56.87 € before VAT")
        let sold = try #require(try box.json(["show", sale]) as? [String: Any])
        #expect(sold["vatRate"] as? Int == 1_000)
        #expect(sold["amountExclVatCents"] as? Int == 3_636, "40 € at 10 % is 36.36 € before VAT")
        let log = try #require(try box.json(["log"]) as? [[String: Any]])
        #expect(log.first { $0["product"] as? String == "jus" }?["vatRate"] as? Int == 2_000, "the product's rate")
    }

    @Test func whoMayActLossReasonsAndPaymentsFromTheRightParty() throws {
        let box = try Sandbox()
        try box.initNode("a", label: "col")
        try box.seedLedger()
        try box.ok(["party", "set", "hub", "--name", "Tiers-lieu", "--kind", "hub"])
        try box.ok(["party", "set", "autre", "--name", "Autre cantine", "--kind", "canteen-private"])
        let sale = try box.ok(["record", "sale", "--actor", "col", "--product", "tomme", "--qty", "2kg", "--lot", "L1",
                               "--to", "cantine", "--price", "24"]).trimmedLine
        let before = try events(box)
        expectError(try box.run(["record", "harvest", "--actor", "hub", "--product", "tomme", "--qty", "1kg", "--lot", "H"]),
                    65, "hub is a hub, and a harvest belongs to a farm")
        expectError(try box.run(["record", "sale", "--actor", "cantine", "--product", "tomme", "--qty", "1kg", "--lot", "L1",
                                 "--to", "autre", "--amount", "5"]), 65, "an entry belongs to a party that trades")
        expectError(try box.run(["record", "loss", "--actor", "col", "--product", "tomme", "--qty", "1kg", "--lot", "L1",
                                 "--reason", "abîmé"]), 64, "--reason abîmé is not a reason for a loss")
        expectError(try box.run(["record", "payment", "--actor", "col", "--from", "autre", "--amount", "48", "--ref", sale]),
                    65, "sale \(sale) was made to cantine, not autre")
        expectError(try box.run(["record", "sale", "--actor", "col", "--product", "tomme", "--qty", "1kg", "--lot", "L1",
                                 "--to", "autre", "--amount", "5", "--vat", "cinq"]), 64, "--vat cinq is not a VAT rate")
        expectError(try box.run(["record", "sale", "--actor", "col", "--producer", "hub", "--product", "tomme", "--qty", "1kg",
                                 "--lot", "L1", "--to", "autre", "--amount", "5"]), 64, "name two parties")
        #expect(try events(box) == before, "a refused command wrote something")

        try box.ok(["record", "loss", "--actor", "col", "--product", "tomme", "--qty", "1kg", "--lot", "L1",
                    "--reason", "unsold", "--note", "invendu du marché"])
        try box.ok(["record", "payment", "--actor", "col", "--from", "cantine", "--amount", "48", "--ref", sale])
        // Said why: another party paid for it.
        try box.ok(["record", "payment", "--actor", "col", "--from", "autre", "--amount", "1", "--ref", sale, "--force"])
    }
}
