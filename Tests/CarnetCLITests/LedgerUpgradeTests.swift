import Foundation
import Testing

/// Issue 17, item 9, with real processes over loopback: a format-1 ledger kept by a hub
/// and a farm becomes a signed ledger with members (`carnet ledger upgrade`) without losing
/// or rewriting an entry. A new device of the new ledger receives the adopted history from
/// the hub's `serve`, and from a bundle; every node counts it, `verify` checks the
/// creator's adoption heads, and the format-1 nodes are kept, untouched, and shut out.
@Suite(.serialized)
struct LedgerUpgradeTests {
    typealias Members = MembersProcessTests

    /// A format-1 hub and farm that synced: a harvest, a sale and a payment by the farm,
    /// the catalog by the hub.
    static func formatOneLedger(_ sandbox: borrowing Sandbox) throws {
        try sandbox.initNode("hub", label: "hub")
        try sandbox.initNode("farm", label: "farm")
        try sandbox.ok(["party", "set", "ferme-a", "--name", "Ferme A", "--kind", "farm"], node: "hub")
        try sandbox.ok(["party", "set", "cantine", "--name", "Cantine", "--kind", "canteen-public"], node: "hub")
        try sandbox.ok(["product", "set", "tomme", "--name", "Tomme", "--unit", "kg", "--price", "20"], node: "hub")
        let hub = try ServeProcess(directory: sandbox.path("hub"))
        defer { hub.stop() }
        let peer = "127.0.0.1:\(try #require(hub.port, "serve printed: \(hub.firstLine)"))"
        try sandbox.ok(["sync", peer], node: "farm")
        try sandbox.ok(["record", "harvest", "--actor", "ferme-a", "--product", "tomme", "--qty", "10kg", "--lot", "L1"], node: "farm")
        let sale = try sandbox.ok(["record", "sale", "--actor", "ferme-a", "--product", "tomme", "--qty", "3kg", "--lot", "L1",
                                   "--to", "cantine"], node: "farm").trimmingCharacters(in: .whitespacesAndNewlines)
        try sandbox.ok(["record", "payment", "--actor", "ferme-a", "--from", "cantine", "--amount", "20", "--ref", sale,
                        "--method", "transfer"], node: "farm")
        try sandbox.ok(["sync", peer], node: "farm")
    }

    static func balances(_ sandbox: borrowing Sandbox, _ node: String) throws -> String {
        let rows = try sandbox.json(["balances"], node: node) as? [[String: Any]] ?? []
        return rows.map { "\($0["producer"] ?? "")/\($0["party"] ?? "")=\($0["balanceCents"] ?? $0["balance"] ?? "")" }.sorted()
            .joined(separator: ",")
    }

    @Test func aFormatOneLedgerIsAdoptedAndANewDeviceReceivesItOverTCP() throws {
        let sandbox = try Sandbox()
        try Self.formatOneLedger(sandbox)
        let stockBefore = try Members.stock(sandbox, "hub", producer: "ferme-a")
        let balancesBefore = try Self.balances(sandbox, "hub")
        let oldStatus = try Members.status(sandbox, "hub")
        #expect(stockBefore == 7_000 && !balancesBefore.isEmpty, "\(stockBefore) \(balancesBefore)")

        let file = sandbox.path("coop.ledger")
        let upgraded = try sandbox.ok(["ledger", "upgrade", "--out", file], node: "hub")
        #expect(upgraded.contains("adopted") && upgraded.contains("2 format-1 nodes"), "\(upgraded)")
        // The format-1 node is kept as it was, beside the new one.
        let kept = try Members.status(sandbox, "hub.format-1")
        #expect(kept["digest"] as? String == oldStatus["digest"] as? String)
        let ledgerText = try String(contentsOfFile: file, encoding: .utf8)
        #expect(ledgerText.contains("\ncreator "), "\(ledgerText)")

        let audit = try sandbox.ok(["verify"], node: "hub")
        #expect(audit.contains("the creator's adoption of format-1 history") && audit.hasSuffix("sound\n"), "\(audit)")
        #expect(try Members.stock(sandbox, "hub", producer: "ferme-a") == stockBefore)
        #expect(try Self.balances(sandbox, "hub") == balancesBefore)
        #expect(try Members.kinds(sandbox, "hub").isEmpty, "adopted events count: no conflict")

        let hub = try ServeProcess(directory: sandbox.path("hub"))
        defer { hub.stop() }
        let peer = "127.0.0.1:\(try #require(hub.port, "serve printed: \(hub.firstLine)"))"
        try sandbox.ok(["init", "--ledger-file", file, "--label", "farm-signed"], node: "new")
        try sandbox.ok(["sync", peer], node: "new")
        #expect(try Members.stock(sandbox, "new", producer: "ferme-a") == stockBefore)
        #expect(try Self.balances(sandbox, "new") == balancesBefore)
        let newAudit = try sandbox.ok(["verify"], node: "new")
        #expect(newAudit.contains("adoption") && newAudit.hasSuffix("sound\n"), "\(newAudit)")
        let members = try sandbox.json(["member", "list"], node: "new") as? [[String: Any]] ?? []
        #expect(members.filter { $0["adopted"] as? Bool == true }.count == 2, "\(members)")
        let log = try sandbox.json(["log"], node: "new") as? [[String: Any]] ?? []
        #expect(log.count == 3 && log.allSatisfy { $0["counts"] as? Bool == true && $0["adopted"] as? Bool == true }, "\(log)")

        // Enrolled, the new device writes for its farm; the hub counts it.
        let newNode = try #require(try Members.status(sandbox, "new")["node"] as? String)
        try sandbox.ok(["member", "add", newNode, "--role", "producer:ferme-a"], node: "hub")
        try sandbox.ok(["sync", peer], node: "new")
        try sandbox.ok(["record", "sale", "--actor", "ferme-a", "--product", "tomme", "--qty", "1kg", "--lot", "L1",
                        "--to", "cantine"], node: "new")
        try sandbox.ok(["sync", peer], node: "new")

        // A bundle of the hub's events gives another new device the same ledger.
        hub.stop()
        let bundle = sandbox.path("all.bundle")
        try sandbox.ok(["bundle", "create", bundle], node: "hub")
        try sandbox.ok(["init", "--ledger-file", file, "--label", "by-hand"], node: "carried")
        try sandbox.ok(["bundle", "apply", bundle], node: "carried")
        for node in ["hub", "new", "carried"] {
            #expect(try Members.stock(sandbox, node, producer: "ferme-a") == 6_000, "\(node)")
        }
        #expect(try sandbox.ok(["verify"], node: "carried").hasSuffix("sound\n"))

        // The format-1 farm cannot sync with the upgraded hub; it is told why, and its
        // directory is untouched.
        let again = try ServeProcess(directory: sandbox.path("hub"))
        defer { again.stop() }
        let farmBefore = try Members.status(sandbox, "farm")["digest"] as? String
        let refused = try sandbox.run(["sync", "127.0.0.1:\(try #require(again.port))"], node: "farm")
        #expect(refused.status != 0 && refused.stderr.contains("ledger upgrade"), "\(refused.stderr)")
        #expect(try Members.status(sandbox, "farm")["digest"] as? String == farmBefore)
    }

    @Test func anUpgradeIsRefusedWhereItCannotRunAndChangesNothing() throws {
        let sandbox = try Sandbox()
        try sandbox.initNode("hub", label: "hub")
        try sandbox.ok(["product", "set", "tomme", "--name", "Tomme", "--unit", "kg"], node: "hub")
        let before = try Members.status(sandbox, "hub")["digest"] as? String

        // An existing --out is never replaced.
        let taken = sandbox.path("taken.ledger")
        try Data("keep me\n".utf8).write(to: URL(fileURLWithPath: taken))
        let exists = try sandbox.run(["ledger", "upgrade", "--out", taken], node: "hub")
        #expect(exists.status == 73, "\(exists.stderr)")
        #expect(try String(contentsOfFile: taken, encoding: .utf8) == "keep me\n")

        // Not beside a running serve.
        let serve = try ServeProcess(directory: sandbox.path("hub"))
        let busy = try sandbox.run(["ledger", "upgrade", "--out", sandbox.path("x.ledger")], node: "hub")
        serve.stop()
        #expect(busy.status != 0 && busy.stderr.contains("carnet serve"), "\(busy.stderr)")
        #expect(!FileManager.default.fileExists(atPath: sandbox.path("x.ledger")))
        #expect(try Members.status(sandbox, "hub")["digest"] as? String == before)
        #expect(!FileManager.default.fileExists(atPath: sandbox.path("hub.format-1")))

        // A signed ledger has nothing to upgrade.
        try sandbox.ok(["ledger", "upgrade", "--out", sandbox.path("first.ledger")], node: "hub")
        let twice = try sandbox.run(["ledger", "upgrade", "--out", sandbox.path("second.ledger")], node: "hub")
        #expect(twice.status == 1 && twice.stderr.contains("already belongs to a signed ledger"), "\(twice.stderr)")
    }
}
