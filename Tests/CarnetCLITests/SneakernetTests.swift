import Foundation
import Testing

/// Two nodes of one ledger that never meet over a network: bundles, merge, conflicts seen
/// and resolved the same way on both.
struct SneakernetTests {
    func digest(_ box: borrowing Sandbox, _ node: String) throws -> String {
        let status = try #require(try box.json(["status"], node: node) as? [String: Any])
        return try #require(status["digest"] as? String)
    }

    @Test func bundlesAndMergeConvergeAndConflictsResolve() throws {
        let box = try Sandbox()
        try box.initNode("a", label: "col-laptop")
        try box.initNode("b", label: "hub")
        try box.seedLedger("a")

        // a → b, everything; applying twice adds nothing the second time.
        let all = box.path("a-all.bundle")
        try box.ok(["bundle", "create", all], node: "a")
        let first = try #require(try box.json(["bundle", "apply", all], node: "b") as? [String: Any])
        #expect((first["added"] as? Int ?? 0) > 0)
        let second = try #require(try box.json(["bundle", "apply", all], node: "b") as? [String: Any])
        #expect(second["added"] as? Int == 0)
        #expect(second["duplicates"] as? Int == first["added"] as? Int)

        // Concurrent price edits on both nodes, exchanged by bundles made "for" the other.
        try box.ok(["product", "set", "tomme", "--price", "26"], node: "a")
        try box.ok(["product", "set", "tomme", "--price", "23,50"], node: "b")
        let forA = box.path("for-a.bundle"), forB = box.path("for-b.bundle")
        try box.ok(["bundle", "create", forA, "--for", "col-laptop"], node: "b")
        try box.ok(["bundle", "apply", forA], node: "a")
        try box.ok(["bundle", "create", forB, "--for", "hub"], node: "a")
        try box.ok(["bundle", "apply", forB], node: "b")
        #expect(try digest(box, "a") == digest(box, "b"))

        let conflicts = try #require(try box.json(["conflicts"], node: "b") as? [[String: Any]])
        #expect(conflicts.count == 1)
        let conflict = conflicts[0]
        #expect(conflict["kind"] as? String == "field")
        #expect(conflict["subject"] as? String == "product/tomme.price")
        let values = try #require(conflict["values"] as? [[String: Any]])
        #expect(Set(values.compactMap { $0["label"] as? String }) == ["col-laptop", "hub"])
        #expect(Set(values.compactMap { $0["value"] as? Int }) == [2_600, 2_350])
        let id = try #require(conflict["id"] as? String)
        let onA = try #require(try box.json(["conflicts"], node: "a") as? [[String: Any]])
        #expect(onA.first?["id"] as? String == id, "conflict ids are the same on every node")
        let one = try #require(try box.json(["conflicts", "show", id], node: "a") as? [String: Any])
        #expect(one["id"] as? String == id)

        // Resolve on a, keeping the first value listed; merge carries it to b.
        let kept = try #require(values[0]["value"] as? Int)
        #expect(try box.ok(["resolve", id, "--keep", "1"], node: "a").contains("resolved \(id)"))
        #expect((try box.json(["conflicts"], node: "a") as? [Any])?.isEmpty == true)
        let merged = try #require(try box.json(["merge", box.path("a")], node: "b") as? [String: Any])
        #expect(merged["added"] as? Int == 1)
        #expect(try digest(box, "a") == digest(box, "b"))
        let products = try #require(try box.json(["product", "list"], node: "b") as? [[String: Any]])
        #expect(products.first?["priceCents"] as? Int == kept)
        #expect((products.first?["conflictingFields"] as? [Any])?.isEmpty == true)

        // A domain conflict is explained, not written.
        try box.ok(["record", "sale", "--producer", "col", "--product", "tomme", "--qty", "20kg", "--lot", "L1",
                    "--to", "cantine", "--amount", "480"], node: "a")
        let oversold = try #require(try box.json(["conflicts"], node: "a") as? [[String: Any]])
        let stock = try #require(oversold.first { $0["kind"] as? String == "stock-below-zero" })
        #expect((stock["events"] as? [Any])?.count == 2)
        let refused = try box.run(["resolve", stock["id"] as! String, "--value", "0"], node: "a")
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("adjust"))
    }

    /// A directory of another ledger is refused on what the two `node` files say, before
    /// this node is opened: at 10M events the opening alone took 20 s and 8 GB.
    @Test func anotherLedgersDirectoryIsRefusedBeforeThisNodeIsOpened() throws {
        let box = try Sandbox()
        try box.initNode("a", label: "col-laptop")
        try box.initNode("x", label: "elsewhere", ledger: "other-coop")
        try box.seedLedger("a")
        // x's log no longer opens: had the merge opened x, it would say so instead.
        let log = URL(fileURLWithPath: box.path("x") + "/events.log")
        var bytes = try Data(contentsOf: log)
        bytes[0] ^= 0xFF
        try bytes.write(to: log)
        let merge = try box.run(["merge", box.path("a")], node: "x")
        #expect(merge.status == 65, "\(merge.stderr)")
        #expect(merge.stderr.contains("ledger \"coop\", not of this node's ledger \"other-coop\""), "\(merge.stderr)")
        #expect(merge.stderr.split(separator: "\n").count == 1, "\(merge.stderr)")
    }

    @Test func anotherLedgersBundleOrDirectoryIsRefused() throws {
        let box = try Sandbox()
        try box.initNode("a", label: "col-laptop")
        try box.initNode("x", label: "elsewhere", ledger: "other-coop")
        try box.seedLedger("a")
        let bundle = box.path("a.bundle")
        try box.ok(["bundle", "create", bundle], node: "a")
        let refused = try box.run(["bundle", "apply", bundle], node: "x")
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("ledger \"coop\", not of this node's ledger \"other-coop\""))
        #expect(refused.stderr.split(separator: "\n").count == 1)
        let merge = try box.run(["merge", box.path("a")], node: "x")
        #expect(merge.status == 65)

        // A damaged copy is refused before anything is stored.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: bundle))
        bytes[bytes.count / 2] ^= 0x55
        let damaged = box.path("damaged.bundle")
        try bytes.write(to: URL(fileURLWithPath: damaged))
        let broken = try box.run(["bundle", "apply", damaged], node: "a")
        #expect(broken.status == 65)
        #expect(broken.stderr.contains("damaged"))
    }
}
