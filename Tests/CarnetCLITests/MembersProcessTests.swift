import Foundation
import Testing

/// Issue 17, items 4, 5 and 8, with real processes over loopback: members and roles decide
/// what counts, on every node alike. An entry for another producer and a void of another
/// producer's sale are refused by the writer and, written anyway before the writer was
/// enrolled, count on no node; a revoked device's events reach the hub through a lagging
/// farm, a bundle and `merge`, and count nowhere; nothing a member wrote is lost.
@Suite(.serialized)
struct MembersProcessTests {
    /// A hub that created the ledger; farms that joined it with the ledger file.
    static func makeLedger(_ sandbox: borrowing Sandbox, farms: [String]) throws -> [String: String] {
        let file = sandbox.path("coop.ledger")
        try sandbox.ok(["ledger", "create", "--ledger", "coop", "--label", "hub", "--out", file], node: "hub")
        try sandbox.ok(["party", "set", "ferme-a", "--name", "Ferme A", "--kind", "farm"], node: "hub")
        try sandbox.ok(["party", "set", "ferme-b", "--name", "Ferme B", "--kind", "farm"], node: "hub")
        try sandbox.ok(["party", "set", "cantine", "--name", "Cantine", "--kind", "canteen-public"], node: "hub")
        try sandbox.ok(["product", "set", "tomme", "--name", "Tomme", "--unit", "kg", "--price", "20"], node: "hub")
        var nodes: [String: String] = [:]
        for farm in farms {
            try sandbox.ok(["init", "--ledger-file", file, "--label", farm], node: farm)
            nodes[farm] = try #require(try Self.status(sandbox, farm)["node"] as? String)
        }
        return nodes
    }

    static func status(_ sandbox: borrowing Sandbox, _ node: String) throws -> [String: Any] {
        try sandbox.json(["status"], node: node) as? [String: Any] ?? [:]
    }

    static func stock(_ sandbox: borrowing Sandbox, _ node: String, producer: String) throws -> Double {
        let lines = try sandbox.json(["stock"], node: node) as? [[String: Any]] ?? []
        return lines.filter { $0["producer"] as? String == producer }.compactMap { $0["quantity"] as? Double }.reduce(0, +)
    }

    static func kinds(_ sandbox: borrowing Sandbox, _ node: String) throws -> [String] {
        (try sandbox.json(["conflicts"], node: node) as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
    }

    @Test func anOutOfRoleSaleAndAVoidOfAnotherProducersSaleCountOnNoNode() throws {
        let sandbox = try Sandbox()
        let nodes = try Self.makeLedger(sandbox, farms: ["a", "b"])
        let hub = try ServeProcess(directory: sandbox.path("hub"))
        defer { hub.stop() }
        let port = try #require(hub.port, "serve printed: \(hub.firstLine)")
        let peer = "127.0.0.1:\(port)"
        try sandbox.ok(["member", "add", nodes["a"]!, "--role", "producer:ferme-a", "--label", "Ferme A"], node: "hub")
        for farm in ["a", "b"] { try sandbox.ok(["sync", peer], node: farm) }
        try sandbox.ok(["record", "harvest", "--actor", "ferme-a", "--product", "tomme", "--qty", "10kg", "--lot", "L1"], node: "a")
        let sale = try sandbox.ok(["record", "sale", "--actor", "ferme-a", "--product", "tomme", "--qty", "2kg", "--lot", "L1",
                                   "--to", "cantine"], node: "a").trimmingCharacters(in: .whitespacesAndNewlines)
        try sandbox.ok(["sync", peer], node: "a")
        try sandbox.ok(["sync", peer], node: "b")
        // Farm B is not enrolled yet: it may write (offline first), and is told it waits.
        let forged = try sandbox.run(["record", "sale", "--actor", "ferme-a", "--product", "tomme", "--qty", "8kg", "--lot", "L1",
                                      "--to", "cantine"], node: "b")
        #expect(forged.status == 0 && forged.stderr.contains("not enrolled yet"), "\(forged.stderr)")
        let void = try sandbox.run(["void", sale, "--reason", "not mine"], node: "b")
        #expect(void.status == 0, "\(void.stderr)")
        try sandbox.ok(["sync", peer], node: "b")
        // Enrolled for its own farm only: what it wrote for ferme-a counts nowhere.
        try sandbox.ok(["member", "add", nodes["b"]!, "--role", "producer:ferme-b", "--label", "Ferme B"], node: "hub")
        for farm in ["a", "b", "a"] { try sandbox.ok(["sync", peer], node: farm) }
        hub.stop()
        let digests = try ["hub", "a", "b"].map { try Self.status(sandbox, $0)["digest"] as? String }
        #expect(Set(digests).count == 1, "\(digests)")
        for node in ["hub", "a", "b"] {
            #expect(try Self.stock(sandbox, node, producer: "ferme-a") == 8_000, "\(node): 10 kg harvested, 2 kg sold; the forged sale and void count nowhere")
            #expect(try Self.kinds(sandbox, node) == ["out-of-role"], "\(node)")
            let log = try sandbox.ok(["log"], node: node)
            #expect(log.contains("out of role"), "\(node): the evidence stays listed:\n\(log)")
        }
        // Now that its roles are known, the writer refuses, and says why.
        let refused = try sandbox.run(["record", "sale", "--actor", "ferme-a", "--product", "tomme", "--qty", "1kg", "--lot", "L1",
                                       "--to", "cantine"], node: "b")
        #expect(refused.status != 0 && refused.stderr.contains("needs the role producer:ferme-a"), "\(refused.stderr)")
        let status = try Self.status(sandbox, "b")
        #expect(status["roles"] as? String == "producer:ferme-b", "\(status)")
        let shown = try sandbox.ok(["show", sale], node: "hub")
        #expect(shown.contains("roles") && shown.contains("producer:ferme-a"), "\(shown)")
    }

    @Test func aRevokedDeviceReachesTheHubThroughALaggingFarmABundleAndMergeAndCountsNowhere() throws {
        let sandbox = try Sandbox()
        let nodes = try Self.makeLedger(sandbox, farms: ["a", "stolen", "lagging"])
        try sandbox.ok(["member", "add", nodes["a"]!, "--role", "producer:ferme-a"], node: "hub")
        try sandbox.ok(["member", "add", nodes["stolen"]!, "--role", "producer:ferme-a"], node: "hub")
        try sandbox.ok(["member", "add", nodes["lagging"]!, "--role", "producer:ferme-b"], node: "hub")
        let hub = try ServeProcess(directory: sandbox.path("hub"))
        defer { hub.stop() }
        let port = try #require(hub.port, "serve printed: \(hub.firstLine)")
        let peer = "127.0.0.1:\(port)"
        for farm in ["stolen", "lagging", "a"] { try sandbox.ok(["sync", peer], node: farm) }
        try sandbox.ok(["record", "harvest", "--actor", "ferme-a", "--product", "tomme", "--qty", "5kg", "--lot", "L1"], node: "stolen")
        try sandbox.ok(["sync", peer], node: "stolen")
        try sandbox.ok(["sync", peer], node: "lagging")
        // The device is stolen; the hub revokes it with what it holds of it.
        try sandbox.ok(["member", "revoke", nodes["stolen"]!, "--reason", "stolen"], node: "hub")
        // The thief writes on; the farm that lags takes it in before it hears of the revocation.
        try sandbox.ok(["record", "harvest", "--actor", "ferme-a", "--product", "tomme", "--qty", "900kg", "--lot", "L2"], node: "stolen")
        try sandbox.ok(["merge", sandbox.path("stolen")], node: "lagging")
        try sandbox.ok(["sync", peer], node: "lagging")
        // And through a bundle, and `merge` of its directory at the hub.
        try sandbox.ok(["record", "harvest", "--actor", "ferme-a", "--product", "tomme", "--qty", "70kg", "--lot", "L3"], node: "stolen")
        try sandbox.ok(["bundle", "create", sandbox.path("stolen.bundle")], node: "stolen")
        let applied = try sandbox.run(["bundle", "apply", sandbox.path("stolen.bundle")], node: "a")
        #expect(applied.status == 0, "\(applied.stderr)")
        try sandbox.ok(["record", "harvest", "--actor", "ferme-a", "--product", "tomme", "--qty", "3kg", "--lot", "L4"], node: "a")
        for farm in ["a", "lagging", "a"] { try sandbox.ok(["sync", peer], node: farm) }
        hub.stop()
        try sandbox.ok(["merge", sandbox.path("stolen")], node: "hub")
        try sandbox.ok(["merge", sandbox.path("hub")], node: "lagging")
        try sandbox.ok(["merge", sandbox.path("hub")], node: "a")
        for node in ["hub", "a", "lagging"] {
            #expect(try Self.stock(sandbox, node, producer: "ferme-a") == 8_000,
                    "\(node): 5 kg written before the revocation and a's 3 kg count; the thief's 970 kg do not")
            #expect(try Self.kinds(sandbox, node) == ["past-revocation"], "\(node)")
        }
        let members = try sandbox.json(["member", "list"], node: "hub") as? [[String: Any]] ?? []
        #expect(members.first { $0["node"] as? String == nodes["stolen"] }?["revoked"] as? Bool == true, "\(members)")
        let verify = try sandbox.run(["verify"], node: "hub")
        #expect(verify.status == 0, "\(verify.stdout) \(verify.stderr)")
    }

    @Test func onlyAnAdministratorChangesMembers() throws {
        let sandbox = try Sandbox()
        let nodes = try Self.makeLedger(sandbox, farms: ["a", "b"])
        try sandbox.ok(["member", "add", nodes["a"]!, "--role", "producer:ferme-a"], node: "hub")
        try sandbox.ok(["merge", sandbox.path("hub")], node: "a")
        let refused = try sandbox.run(["member", "add", nodes["b"]!, "--role", "admin"], node: "a")
        #expect(refused.status != 0 && refused.stderr.contains("not an administrator"), "\(refused.stderr)")
        let unknownRole = try sandbox.run(["member", "add", nodes["b"]!, "--role", "boss"], node: "hub")
        #expect(unknownRole.status == 64 && unknownRole.stderr.contains("unknown role"), "\(unknownRole.stderr)")
        let twice = try sandbox.run(["member", "add", nodes["a"]!, "--role", "producer:ferme-a"], node: "hub")
        #expect(twice.status != 0 && twice.stderr.contains("already enrolled"), "\(twice.stderr)")
    }
}
