import Foundation
import Testing

/// Issue 17, item 6: a farm of a signed ledger syncs with a hub under `carnet serve` and
/// keeps the hub's custody receipt (SPEC 9.6); `status`, `peers list` and `receipt show`
/// tell it; a treasurer's node checks it offline; a tampered receipt fails, clearly.
@Suite(.serialized)
struct CustodyReceiptProcessTests {
    static func receipts(_ sandbox: borrowing Sandbox, _ node: String) throws -> [[String: Any]] {
        (try SignedLedgerTests.status(sandbox, node)["receipts"] as? [[String: Any]]) ?? []
    }

    @Test func aFarmKeepsTheHubsReceiptAndATreasurerChecksItOffline() throws {
        let sandbox = try Sandbox()
        _ = try SignedLedgerTests.makeLedger(sandbox)
        try sandbox.seedLedger("a")
        let hub = try ServeProcess(directory: sandbox.path("hub"))
        let port = try #require(hub.port, "serve printed: \(hub.firstLine)")
        try sandbox.ok(["sync", "127.0.0.1:\(port)"], node: "a")

        let status = try SignedLedgerTests.status(sandbox, "a")
        let farmNode = try #require(status["node"] as? String)
        let hubNode = try #require(SignedLedgerTests.status(sandbox, "hub")["node"] as? String)
        let newest = try #require((status["versionVector"] as? [String: Any])?[farmNode] as? Int)
        let first = try #require(try Self.receipts(sandbox, "a").first)
        #expect(first["node"] as? String == hubNode && first["label"] as? String == "hub")
        #expect(first["seq"] as? Int == newest && first["subject"] as? String == farmNode)
        #expect(first["coversAll"] as? Bool == true && first["time"] is String)
        let text = try sandbox.ok(["status"], node: "a")
        #expect(text.contains("custody receipts:") && text.contains("hub (\(hubNode.prefix(8))) holds everything this node wrote, up to seq \(newest)"),
                "\(text)")
        #expect(try sandbox.ok(["peers", "list"], node: "a").contains("seq \(newest), "))
        #expect(try sandbox.ok(["receipt", "verify"], node: "a").contains("valid: node \(hubNode) signed"))

        // In sync, the farm asks for nothing: the receipt it keeps is the same one.
        try sandbox.ok(["sync", "127.0.0.1:\(port)"], node: "a")
        #expect(try Self.receipts(sandbox, "a").first?["timeMillis"] as? Int == first["timeMillis"] as? Int)
        // A new write is not covered until the next sync brings a new receipt.
        try sandbox.ok(["record", "sale", "--producer", "col", "--product", "tomme", "--qty", "1kg", "--lot", "L1",
                        "--to", "cantine", "--date", "2026-06-02"], node: "a")
        #expect(try sandbox.ok(["status"], node: "a").contains("events since are not covered yet"))
        try sandbox.ok(["sync", "127.0.0.1:\(port)"], node: "a")
        #expect(try Self.receipts(sandbox, "a").first?["seq"] as? Int == newest + 1)

        // The treasurer: another member's node, which synced with the hub once, checks the
        // receipt text the farm handed over, with the hub stopped.
        let file = sandbox.path("receipt.txt")
        try sandbox.ok(["receipt", "show", "hub"], node: "a").write(toFile: file, atomically: true, encoding: .utf8)
        try sandbox.ok(["sync", "127.0.0.1:\(port)"], node: "b")
        hub.stop()
        let checked = try sandbox.run(["receipt", "verify", file], node: "b")
        #expect(checked.status == 0 && checked.stdout.contains("valid: node \(hubNode) signed that it holds node \(farmNode) up to seq \(newest + 1)"),
                "\(checked.stdout) \(checked.stderr)")
    }

    /// A farm that runs `serve` and dials the hub keeps the hub's receipt while the live
    /// session runs: live sessions end only when a server stops.
    @Test func aFarmServerDialingTheHubKeepsTheReceiptWhileLive() throws {
        let sandbox = try Sandbox()
        _ = try SignedLedgerTests.makeLedger(sandbox)
        try sandbox.seedLedger("a")
        let hub = try ServeProcess(directory: sandbox.path("hub"))
        defer { hub.stop() }
        let port = try #require(hub.port, "serve printed: \(hub.firstLine)")
        let farm = try ServeProcess(directory: sandbox.path("a"), extra: ["--peer", "127.0.0.1:\(port)"])
        defer { farm.stop() }
        let deadline = Date().addingTimeInterval(15)
        var receipts: [[String: Any]] = []
        while receipts.isEmpty && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.2)
            receipts = try Self.receipts(sandbox, "a")
        }
        let hubNode = try SignedLedgerTests.status(sandbox, "hub")["node"] as? String
        #expect(receipts.first?["node"] as? String == hubNode && receipts.first?["coversAll"] as? Bool == true, "\(receipts)")
        #expect(try sandbox.run(["receipt", "verify"], node: "a").status == 0)
    }

    @Test func aTamperedReceiptFailsWithAClearMessage() throws {
        let sandbox = try Sandbox()
        _ = try SignedLedgerTests.makeLedger(sandbox)
        try sandbox.seedLedger("a")
        let hub = try ServeProcess(directory: sandbox.path("hub"))
        let port = try #require(hub.port, "serve printed: \(hub.firstLine)")
        try sandbox.ok(["sync", "127.0.0.1:\(port)"], node: "a")
        defer { hub.stop() }
        let path = sandbox.path("a") + "/receipts"
        let original = try String(contentsOfFile: path, encoding: .utf8)
        let lines = original.split(separator: "\n").map(String.init)
        let signatureLine = try #require(lines.firstIndex { $0.hasPrefix("signature ") })
        let heldAtLine = try #require(lines.firstIndex { $0.hasPrefix("held-at ") })
        func tampered(_ index: Int, _ change: (String) -> String) -> String {
            var copy = lines
            copy[index] = change(copy[index])
            return copy.joined(separator: "\n") + "\n"
        }
        // One hex digit of the signature; a time moved by a millisecond: neither verifies.
        let flipped = tampered(signatureLine) { line in
            let last = line.last!
            return String(line.dropLast()) + (last == "0" ? "1" : "0")
        }
        let moved = tampered(heldAtLine) { "held-at \(UInt64($0.dropFirst("held-at ".count))! + 1)" }
        for forged in [flipped, moved] {
            try forged.write(toFile: path, atomically: true, encoding: .utf8)
            let verify = try sandbox.run(["receipt", "verify"], node: "a")
            #expect(verify.status == 1, "\(verify.status): \(verify.stderr)")
            #expect(verify.stdout.contains("NOT VALID") && verify.stdout.contains("the signature does not verify under the key node"),
                    "\(verify.stdout)")
            #expect(verify.stderr.contains("1 of 1 custody receipt(s) did not verify"), "\(verify.stderr)")
        }
        // Not a receipt at all: bad input, said as such, for a file and for the farm's own.
        try "carnet-receipt 1\nseq twelve\n".write(toFile: path, atomically: true, encoding: .utf8)
        let damaged = try sandbox.run(["receipt", "verify"], node: "a")
        #expect(damaged.status == 65 && damaged.stderr.contains("receipts is damaged"), "\(damaged.status): \(damaged.stderr)")
        let file = sandbox.path("note.txt")
        try "hello\n".write(toFile: file, atomically: true, encoding: .utf8)
        let notReceipt = try sandbox.run(["receipt", "verify", file], node: "a")
        #expect(notReceipt.status == 65 && notReceipt.stderr.contains("not a custody receipt"), "\(notReceipt.stderr)")
        // The next receipt moves the damaged file aside, never over it.
        try sandbox.ok(["record", "sale", "--producer", "col", "--product", "tomme", "--qty", "1kg", "--lot", "L1",
                        "--to", "cantine", "--date", "2026-06-02"], node: "a")
        try sandbox.ok(["sync", "127.0.0.1:\(port)"], node: "a")
        #expect(try String(contentsOfFile: path + ".damaged", encoding: .utf8) == "carnet-receipt 1\nseq twelve\n")
        #expect(try sandbox.run(["receipt", "verify"], node: "a").status == 0)
        // The original still verifies: nothing else was harmed.
        try original.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try sandbox.run(["receipt", "verify"], node: "a").status == 0)
    }
}
