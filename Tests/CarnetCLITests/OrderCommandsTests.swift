import Foundation
import Testing

/// Issue 20, item 3: a canteen's order and a drive basket, with the commands a hub's
/// coordinator uses: `order create|list|cancel|uncollected` and `record --order`. Every
/// bad input: one sentence, non-zero, nothing written.
struct OrderCommandsTests {
    private func events(_ box: borrowing Sandbox) throws -> Int {
        (try #require(try box.json(["status"]) as? [String: Any]))["events"] as? Int ?? -1
    }

    private func orders(_ box: borrowing Sandbox) throws -> [[String: Any]] {
        try #require(try box.json(["order", "list"]) as? [[String: Any]])
    }

    /// A hub holding 20 kg of tomme in lot H1 (bought from a farm), no miel, a public
    /// canteen and a drive customer.
    private func hub() throws -> Sandbox {
        let box = try Sandbox()
        try box.initNode("a", label: "hub")
        try box.ok(["party", "set", "hub", "--name", "La Coop", "--kind", "hub"])
        try box.ok(["party", "set", "cj", "--name", "Cantine Jaurès", "--kind", "canteen-public"])
        try box.ok(["party", "set", "ana", "--name", "Ana", "--kind", "customer"])
        try box.ok(["product", "set", "tomme", "--name", "Tomme", "--unit", "kg", "--price", "24"])
        try box.ok(["product", "set", "miel", "--name", "Miel", "--unit", "piece", "--price", "6"])
        try box.ok(["party", "set", "col", "--name", "Ferme du Col", "--kind", "farm"])
        try box.ok(["record", "purchase", "--actor", "hub", "--product", "tomme", "--qty", "20kg", "--from", "col", "--amount", "400",
                    "--lot", "H1"])
        return box
    }

    @Test func aCanteenOrderIsFulfilledLineByLineFromItsOwnFigures() throws {
        let box = try hub()
        let order = try box.ok(["order", "create", "--buyer", "cj", "--seller", "hub", "--line", "tomme:12kg:25",
                                "--line", "miel:4piece", "--date", "2026-06-08", "--note", "livraison lundi"]).trimmedLine
        #expect(order.hasPrefix("order-"))
        var listed = try orders(box)
        #expect(listed.count == 1 && listed[0]["status"] as? String == "open")
        let lines = listed[0]["lines"] as? [[String: Any]] ?? []
        #expect(lines.map { $0["id"] as? String } == ["\(order):1", "\(order):2"])
        #expect(lines[0]["amountCents"] as? Int == 30_000, "12 kg at the agreed 25 €/kg")
        #expect(lines[1]["amountCents"] as? Int == 2_400, "4 pots at the catalog's 6 €")
        // Miel is ordered but none is held: the conflict says so.
        let beyond = try #require(try box.json(["conflicts"]) as? [[String: Any]])
        #expect(beyond.map { $0["kind"] as? String } == ["orders-beyond-availability"])

        // A sale that names the line takes its product, quantity, buyer and price.
        let sale = try box.ok(["record", "sale", "--actor", "hub", "--order", "\(order):1", "--lot", "H1", "--qty", "5kg"]).trimmedLine
        let shown = try #require(try box.json(["show", sale]) as? [String: Any])
        #expect(shown["party"] as? String == "cj" && shown["product"] as? String == "tomme")
        #expect(shown["amountCents"] as? Int == 12_500, "5 of the 12 kg at the agreed price")
        try box.ok(["record", "sale", "--actor", "hub", "--order", "\(order):1", "--lot", "H1"])
        listed = try orders(box)
        #expect((listed[0]["lines"] as? [[String: Any]])?[0]["fulfilled"] as? Int == 12_000, "the second sale took the 7 kg left")

        let before = try events(box)
        expectError(try box.run(["record", "sale", "--actor", "hub", "--order", "\(order):1", "--lot", "H1"]), 65, "is fulfilled already")
        expectError(try box.run(["record", "sale", "--actor", "hub", "--order", "\(order):9", "--lot", "H1"]), 65, "unknown order line")
        expectError(try box.run(["record", "sale", "--actor", "hub", "--order", order, "--product", "tomme", "--lot", "H1"]), 64,
                    "has no line left to fulfil for tomme")
        expectError(try box.run(["record", "sale", "--actor", "hub", "--order", "order-nope", "--lot", "H1"]), 65, "names no order here")
        expectError(try box.run(["record", "sale", "--actor", "hub", "--order", "\(order):2", "--product", "tomme", "--lot", "H1"]),
                    65, "is for miel, not tomme")
        expectError(try box.run(["record", "sale", "--actor", "hub", "--order", "\(order):2", "--to", "ana", "--lot", "H1"]),
                    65, "the other side of this sale is cj")
        expectError(try box.run(["order", "create", "--buyer", "cj", "--seller", "hub", "--line", "tomme", "--date", "2026-06-08"]),
                    64, "write SKU:QTY")
        expectError(try box.run(["order", "create", "--buyer", "cj", "--seller", "hub", "--line", "tomme:12kg", "--date", "8 juin"]),
                    64, "is not a date")
        expectError(try box.run(["order", "create", "--buyer", "cj", "--seller", "cj", "--line", "tomme:12kg", "--date", "2026-06-08"]),
                    65, "cj is a canteen-public")
        expectError(try box.run(["order", "create", "--buyer", "cj", "--seller", "hub", "--line", "tomme:0kg", "--date", "2026-06-08"]),
                    64, "above zero")
        #expect(try events(box) == before, "a refused command wrote something")

        // Cancelling keeps the fulfilled line and voids the other: the order asks nothing more.
        let cancelled = try box.ok(["order", "cancel", order])
        #expect(cancelled.contains("cancelled 1 line") && cancelled.contains("\(order):1"), "\(cancelled)")
        #expect(try #require(try box.json(["conflicts"]) as? [[String: Any]]).isEmpty)
        #expect(try orders(box)[0]["status"] as? String == "fulfilled")
        expectError(try box.run(["order", "cancel", order]), 65, "every line of \(order) is fulfilled")
    }

    @Test func aDriveBasketNotCollectedGoesBackToStockOrIsLost() throws {
        let box = try hub()
        let basket = try box.ok(["order", "create", "--buyer", "ana", "--seller", "hub", "--line", "tomme:2kg", "--date", "2026-06-09"]).trimmedLine
        let other = try box.ok(["order", "create", "--buyer", "ana", "--seller", "hub", "--line", "tomme:1kg", "--date", "2026-06-10"]).trimmedLine
        // An order alone names its only line.
        try box.ok(["record", "sale", "--actor", "hub", "--order", basket, "--lot", "H1"])
        try box.ok(["record", "sale", "--actor", "hub", "--order", "\(other):1", "--lot", "H1"])
        let stock = { () throws -> Int in
            let lines = try #require(try box.json(["stock", "--by-lot"]) as? [[String: Any]])
            return lines.first { $0["lot"] as? String == "H1" }?["quantity"] as? Int ?? -1
        }
        #expect(try stock() == 17_000)

        let back = try box.ok(["order", "uncollected", basket])
        #expect(back.contains("back in stock"), "\(back)")
        #expect(try stock() == 19_000, "the basket's 2 kg are unsold stock again")
        let lost = try box.ok(["order", "uncollected", other, "--loss", "--note", "trop tard"])
        #expect(lost.contains("lost"), "\(lost)")
        #expect(try stock() == 19_000, "the kilo that left is counted lost, not back")
        let losses = try box.json(["report", "losses"])
        #expect("\(losses)".contains("unsold"), "\(losses)")
        let statuses = try orders(box).map { $0["status"] as? String }
        #expect(statuses == ["not-collected", "not-collected"])
        let before = try events(box)
        expectError(try box.run(["order", "uncollected", basket]), 65, "already marked not collected")
        expectError(try box.run(["order", "uncollected", "order-nope-1"]), 65, "unknown order")
        #expect(try events(box) == before)
    }
}
