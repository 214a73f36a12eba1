import Foundation
import Testing

/// `conflicts` and `stock --by-lot` answer from the views file (SPEC §6.5) with what the
/// store would answer: the same bytes, text and JSON, whether the file is read (the
/// store's lock held by this process, so the command could not have opened it) or
/// missing (the store opened and every event folded).
struct ViewsAnswersProcessTests {
    static let queries: [[String]] = [
        ["conflicts"], ["conflicts", "--json"], ["stock", "--by-lot"], ["stock", "--by-lot", "--json"],
        ["stock", "--by-lot", "--producer", "col"], ["stock", "--by-lot", "--producer", "col", "--json"],
        ["stock", "--by-lot", "--producer", "nobody"], ["stock"], ["stock", "--json"],
    ]

    /// Two nodes of one ledger that edited a price at once, and lots of every shape: none
    /// (a purchase), accented, below zero (sold twice), at zero (left out), in g and pieces.
    static func ledger(_ box: borrowing Sandbox) throws {
        try box.initNode("a", label: "hub")
        try box.seedLedger("a")
        try box.initNode("b", label: "col-laptop")
        try box.ok(["merge", box.path("a")], node: "b")
        try box.ok(["product", "set", "tomme", "--price", "25"], node: "a")
        try box.ok(["product", "set", "tomme", "--price", "26"], node: "b")
        try box.ok(["product", "set", "oeufs", "--name", "Œufs plein air", "--unit", "pc"], node: "b")
        try box.ok(["party", "set", "val", "--name", "Ferme du Val", "--kind", "farm"], node: "b")
        for (producer, product, qty, lot) in [("col", "tomme", "3kg", "Lé-2"), ("val", "oeufs", "120pc", "L-œ"),
                                              ("val", "tomme", "2kg", "L3"), ("col", "oeufs", "30pc", "L4")] {
            try box.ok(["record", "harvest", "--producer", producer, "--product", product, "--qty", qty, "--lot", lot,
                        "--date", "2026-06-02"], node: "b")
        }
        try box.ok(["record", "loss", "--producer", "val", "--product", "tomme", "--qty", "2kg", "--lot", "L3",
                    "--date", "2026-06-03", "--reason", "damaged"], node: "b")
        try box.ok(["record", "purchase", "--producer", "col", "--product", "oeufs", "--qty", "12pc", "--from", "val",
                    "--amount", "3", "--date", "2026-06-03"], node: "b")
        // Two sales of most of lot L1 from two nodes: below zero once merged.
        try box.ok(["record", "sale", "--producer", "col", "--product", "tomme", "--qty", "10kg", "--lot", "L1",
                    "--to", "cantine", "--date", "2026-06-04"], node: "a")
        try box.ok(["record", "sale", "--producer", "col", "--product", "tomme", "--qty", "9kg", "--lot", "L1",
                    "--to", "cantine", "--date", "2026-06-04"], node: "b")
        try box.ok(["merge", box.path("b")], node: "a")
    }

    @Test func theViewsFileAnswersAsTheStoreDoes() throws {
        let box = try Sandbox()
        try Self.ledger(box)
        let views = box.path("a") + "/views"
        #expect(FileManager.default.fileExists(atPath: views), "a write leaves a views file")
        var fromFile: [[String]: CommandLineTests.Run] = [:]
        try EntryIndexProcessTests.holdingTheLog(box) {
            for query in Self.queries {
                fromFile[query] = try CommandLineTests.carnet(query + ["--dir", box.path("a")],
                                                              environment: EntryIndexProcessTests.lockedEnvironment(box))
            }
        }
        for query in Self.queries {
            try FileManager.default.removeItem(atPath: views)
            let opened = try box.run(query)
            let read = try #require(fromFile[query])
            #expect(read.status == 0 && opened.status == 0, "\(query): \(read.stderr) | \(opened.stderr)")
            #expect(read.stdout == opened.stdout, "carnet \(query.joined(separator: " ")): the views file says\n\(read.stdout)\nthe store says\n\(opened.stdout)")
            #expect(FileManager.default.fileExists(atPath: views), "the store's answer wrote the views file again")
        }
        let conflicts = try #require(fromFile[["conflicts"]]).stdout
        #expect(conflicts.contains("field") && conflicts.contains("stock-below-zero"), "\(conflicts)")
        let lots = try #require(fromFile[["stock", "--by-lot"]]).stdout
        #expect(lots.contains("Lé-2") && lots.contains("L-œ") && lots.contains("-7 kg") && lots.contains("(none)")
                && !lots.contains("L3"), "\(lots)")
        #expect(try #require(fromFile[["stock", "--by-lot", "--producer", "nobody"]]).stdout == "no stock on hand\n")
    }
}
