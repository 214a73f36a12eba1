import CarnetCore
import CarnetNode
import CarnetWire
import Foundation
import Testing

/// Issue 19 (one farm into a 1M hub cost 7 s, each run reopening the whole hub): `merge`
/// and `bundle apply` take several sources in one run, through the real `carnet`. The
/// result is the one of as many runs; a bad source is named and leaves the others taken.
struct ManySourcesTests {
    static func status(_ box: borrowing Sandbox, _ node: String) throws -> [String: Any] {
        try #require(try box.json(["status"], node: node) as? [String: Any])
    }

    /// What a hub holds of others: its version vector without its own node (each hub has
    /// its own first event, so their digests differ however alike the rest is).
    static func heldFromOthers(_ box: borrowing Sandbox, _ node: String) throws -> [String: Int] {
        let status = try Self.status(box, node)
        var vector = try #require(status["versionVector"] as? [String: Int])
        vector[try #require(status["node"] as? String)] = nil
        return vector
    }

    /// Every lot's stock.
    static func stock(_ box: borrowing Sandbox, _ node: String) throws -> [String] {
        let lines = try #require(try box.json(["stock", "--by-lot"], node: node) as? [[String: Any]])
        return lines.map { "\($0["producer"] ?? "")/\($0["lot"] ?? "")/\($0["quantity"] ?? "")" }.sorted()
    }

    /// Three farms of ledger "coop", each with a harvest of its own lot, and two empty hubs.
    static func farms(_ box: borrowing Sandbox, hubs: [String]) throws {
        for hub in hubs { try box.initNode(hub, label: hub) }
        for farm in ["f1", "f2", "f3"] { try box.initNode(farm, label: farm) }
        try box.seedLedger("f1")
        for (farm, kilos) in [("f2", "5kg"), ("f3", "7kg")] {
            try box.ok(["merge", box.path("f1")], node: farm)
            try box.ok(["record", "harvest", "--producer", "col", "--product", "tomme", "--qty", kilos,
                        "--lot", "L-\(farm)", "--date", "2026-06-02"], node: farm)
        }
    }

    @Test func mergeOfThreeDirectoriesInOneRunEqualsThreeRuns() throws {
        let box = try Sandbox()
        try Self.farms(box, hubs: ["one-by-one", "at-once"])
        var added: [Int] = []
        for farm in ["f1", "f2", "f3"] {
            let report = try #require(try box.json(["merge", box.path(farm)], node: "one-by-one") as? [String: Any])
            added.append(try #require(report["added"] as? Int))
        }
        let reports = try #require(try box.json(["merge", box.path("f1"), box.path("f2") + "/", box.path("f3")],
                                                node: "at-once") as? [[String: Any]])
        #expect(reports.count == 3)
        #expect(reports.compactMap { $0["added"] as? Int } == added, "\(reports)")
        #expect(reports.allSatisfy { $0["ledger"] as? String == "coop" && $0["error"] == nil }, "\(reports)")
        #expect((reports[1]["from"] as? String)?.hasPrefix(box.path("f2") + " (f2, ") == true, "\(reports)")
        let oneByOne = try Self.status(box, "one-by-one"), atOnce = try Self.status(box, "at-once")
        #expect(atOnce["events"] as? Int == oneByOne["events"] as? Int)
        #expect(atOnce["conflicts"] as? Int == oneByOne["conflicts"] as? Int)
        #expect(try Self.heldFromOthers(box, "at-once") == Self.heldFromOthers(box, "one-by-one"))
        #expect(try Self.stock(box, "at-once") == Self.stock(box, "one-by-one"))
        #expect(try Self.stock(box, "at-once").count == 3)

        // Again: everything is already held; the text report is one line per directory.
        let again = try box.ok(["merge", box.path("f1"), box.path("f2"), box.path("f3")], node: "at-once")
        let lines = again.split(separator: "\n")
        #expect(lines.count == 3 && lines.allSatisfy { $0.contains("added 0 new events") }, "\(again)")
    }

    @Test func bundleApplyOfThreeBundlesInOneRunEqualsThreeRuns() throws {
        let box = try Sandbox()
        try Self.farms(box, hubs: ["one-by-one", "at-once"])
        let files = ["f1", "f2", "f3"].map { box.path("\($0).bundle") }
        for (farm, file) in zip(["f1", "f2", "f3"], files) { try box.ok(["bundle", "create", file], node: farm) }
        for file in files { try box.ok(["bundle", "apply", file], node: "one-by-one") }
        let reports = try #require(try box.json(["bundle", "apply"] + files, node: "at-once") as? [[String: Any]])
        #expect(reports.count == 3 && reports.allSatisfy { ($0["added"] as? Int) != nil }, "\(reports)")
        #expect((reports[2]["from"] as? String)?.hasPrefix(files[2] + " (from f3, ") == true, "\(reports)")
        #expect(try Self.heldFromOthers(box, "at-once") == Self.heldFromOthers(box, "one-by-one"))
        #expect(try Self.stock(box, "at-once") == Self.stock(box, "one-by-one"))

        // One file keeps the single object it always gave.
        let single = try box.json(["bundle", "apply", files[0]], node: "at-once")
        #expect((single as? [String: Any])?["added"] as? Int == 0, "\(single)")
    }

    @Test func aBadDirectoryAmongGoodOnesIsNamedAndTheOthersAreTaken() throws {
        let box = try Sandbox()
        try Self.farms(box, hubs: ["hub"])
        try box.initNode("elsewhere", label: "elsewhere", ledger: "other-coop")
        let missing = box.path("no-such-dir")
        let sources = [box.path("f1"), missing, box.path("elsewhere"), box.path("f3")]
        let run = try box.run(["merge"] + sources, node: "hub")
        #expect(run.status == 66, "the first refused directory's status (no input): \(run.status) \(run.stderr)")
        let closing = run.stderr.split(separator: "\n").last.map(String.init) ?? ""
        #expect(closing.contains("2 of 4 directories not taken"), "\(run.stderr)")
        #expect(closing.contains(missing) && closing.contains(box.path("elsewhere")), "\(run.stderr)")
        #expect(run.stderr.contains("holds no Carnet node"), "\(run.stderr)")
        #expect(run.stderr.contains("not of this node's ledger"), "\(run.stderr)")
        #expect(run.stdout.split(separator: "\n").count == 2, "the two taken: \(run.stdout)")
        #expect(try Self.stock(box, "hub").count == 2, "f1's lot and f3's")

        // --json: one object per directory, in order, the refused ones with their reason.
        let json = try box.run(["merge", "--json"] + sources, node: "hub")
        #expect(json.status == 66)
        let reports = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(reports.count == 4)
        #expect(reports[0]["added"] as? Int == 0 && reports[3]["added"] as? Int == 0, "\(reports)")
        #expect(reports[1]["from"] as? String == missing && reports[1]["status"] as? Int == 66, "\(reports)")
        #expect((reports[2]["error"] as? String)?.contains("other-coop") == true && reports[2]["status"] as? Int == 65,
                "\(reports)")

        // This node's own directory is one refused source among others too.
        let own = try box.run(["merge", box.path("f2"), box.path("hub")], node: "hub")
        #expect(own.status == 64, "\(own.stderr)")
        #expect(own.stderr.contains("own directory"), "\(own.stderr)")
        #expect(try Self.stock(box, "hub").count == 3)

        // No source at all is a usage error.
        let none = try box.run(["merge"], node: "hub")
        expectError(none, 64, "needs OTHER_DIR")
        let noBundle = try box.run(["bundle", "apply"], node: "hub")
        expectError(noBundle, 64, "needs FILE")
    }

    @Test func aDamagedBundleAmongGoodOnesIsNamedAndTheOthersAreTaken() throws {
        let box = try Sandbox()
        try Self.farms(box, hubs: ["hub"])
        let files = ["f1", "f2", "f3"].map { box.path("\($0).bundle") }
        for (farm, file) in zip(["f1", "f2", "f3"], files) { try box.ok(["bundle", "create", file], node: farm) }
        var bytes = try Data(contentsOf: URL(fileURLWithPath: files[1]))
        bytes[bytes.count / 2] ^= 0x55
        try bytes.write(to: URL(fileURLWithPath: files[1]))
        let missing = box.path("no-such.bundle")
        let run = try box.run(["bundle", "apply", files[0], files[1], files[2], missing, "--json"], node: "hub")
        #expect(run.status == 65, "the first refused bundle's status (damaged): \(run.status) \(run.stderr)")
        #expect(run.stderr.contains("damaged"), "\(run.stderr)")
        let closing = run.stderr.split(separator: "\n").last.map(String.init) ?? ""
        #expect(closing.contains("2 of 4 bundles not taken: \(files[1]), \(missing)"), "\(run.stderr)")
        let reports = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]])
        #expect(reports.map { $0["error"] != nil } == [false, true, false, true], "\(reports)")
        #expect(reports[3]["status"] as? Int == 66, "\(reports)")
        #expect(try Self.stock(box, "hub").count == 2, "f1's lot and f3's")

        // Every file bad: the node is not even opened, and nothing was taken.
        let allBad = try box.run(["bundle", "apply", missing, missing], node: "hub")
        #expect(allBad.status == 66)
        #expect(allBad.stderr.contains("nothing was taken"), "\(allBad.stderr)")
    }

    /// A signed ledger with members: the enrolled farms' bundles are taken in one run, and a
    /// bundle without signatures among them is refused as it would be alone.
    @Test func aSignedLedgerRefusesTheUnsignedBundleAndTakesTheOthers() throws {
        let box = try Sandbox()
        let file = box.path("coop.ledger")
        try box.ok(["ledger", "create", "--ledger", "coop", "--label", "hub", "--out", file], node: "hub")
        try box.ok(["party", "set", "ferme-a", "--name", "Ferme A", "--kind", "farm"], node: "hub")
        try box.ok(["party", "set", "ferme-b", "--name", "Ferme B", "--kind", "farm"], node: "hub")
        try box.ok(["product", "set", "tomme", "--name", "Tomme", "--unit", "kg", "--price", "20"], node: "hub")
        for farm in ["a", "b"] {
            try box.ok(["init", "--ledger-file", file, "--label", farm], node: farm)
            let node = try #require(try Self.status(box, farm)["node"] as? String)
            try box.ok(["member", "add", node, "--role", "producer:ferme-\(farm)"], node: "hub")
        }
        for farm in ["a", "b"] {
            try box.ok(["merge", box.path("hub")], node: farm)
            try box.ok(["record", "harvest", "--actor", "ferme-\(farm)", "--product", "tomme", "--qty", "4kg",
                        "--lot", "L-\(farm)"], node: farm)
            try box.ok(["bundle", "create", box.path("\(farm).bundle")], node: farm)
        }
        // b's events again, in a bundle of format 1: no signatures.
        let secret = try LedgerSecret.load(directory: box.path("b")).bytes
        let opened = try BundleFormat.decode(Array(try Data(contentsOf: URL(fileURLWithPath: box.path("b.bundle")))),
                                             secret: secret)
        let plain = BundleFormat(ledger: "coop", creator: opened.creator, creatorLabel: "b", createdMillis: 1,
                                 recipient: nil, events: opened.events)
        let unsigned = box.path("unsigned.bundle")
        try Data(plain.encode()).write(to: URL(fileURLWithPath: unsigned))

        let run = try box.run(["bundle", "apply", box.path("a.bundle"), unsigned, box.path("b.bundle")], node: "hub")
        #expect(run.status == 65, "\(run.stderr)")
        #expect(run.stderr.contains("a bundle of format 1 carries no signatures"), "\(run.stderr)")
        #expect(run.stderr.contains("1 of 3 bundles not taken: \(unsigned)"), "\(run.stderr)")
        #expect(run.stdout.split(separator: "\n").count == 2, "\(run.stdout)")

        #expect(try Self.stock(box, "hub").count == 2, "both enrolled farms' harvests count")
        let again = try #require(try box.json(["bundle", "apply", box.path("a.bundle"), box.path("b.bundle")],
                                              node: "hub") as? [[String: Any]])
        #expect(again.allSatisfy { $0["added"] as? Int == 0 }, "both were taken the first time: \(again)")

        // The hub and both farms' directories, merged in one run into a new node, give the same.
        try box.ok(["init", "--ledger-file", file, "--label", "hub-2"], node: "hub-2")
        let merged = try box.run(["merge", box.path("hub"), box.path("a"), box.path("b")], node: "hub-2")
        #expect(merged.status == 0, "\(merged.stderr)")
        #expect(try Self.stock(box, "hub-2") == Self.stock(box, "hub"))
    }
}
