import Foundation
import Glibc
import Testing

/// Issue 17: a signed ledger made and joined from the command line, synced by real
/// processes over loopback; a device that pretends to be another is stopped at its own
/// store, and a ledger of the same name is another ledger.
@Suite(.serialized)
struct SignedLedgerTests {
    /// A hub that created the ledger and two farms that joined it with the ledger file.
    static func makeLedger(_ sandbox: borrowing Sandbox) throws -> String {
        let file = sandbox.path("coop.ledger")
        try sandbox.ok(["ledger", "create", "--ledger", "coop", "--label", "hub", "--out", file], node: "hub")
        try sandbox.ok(["init", "--ledger-file", file, "--label", "ferme-a"], node: "a")
        try sandbox.ok(["init", "--ledger-file", file, "--label", "ferme-b"], node: "b")
        return file
    }

    static func status(_ sandbox: borrowing Sandbox, _ node: String) throws -> [String: Any] {
        try sandbox.json(["status"], node: node) as? [String: Any] ?? [:]
    }

    @Test func membersOfASignedLedgerSyncWhatTheySignedOverRealSessions() throws {
        let sandbox = try Sandbox()
        let file = try Self.makeLedger(sandbox)
        let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        for node in ["a", "b"] { try sandbox.seedLedger(node) }
        let hub = try ServeProcess(directory: sandbox.path("hub"))
        let port = try #require(hub.port, "serve printed: \(hub.firstLine)")
        for node in ["a", "b", "a"] { try sandbox.ok(["sync", "127.0.0.1:\(port)"], node: node) }
        hub.stop()
        let digests = try ["hub", "a", "b"].map { try Self.status(sandbox, $0)["digest"] as? String }
        #expect(Set(digests).count == 1, "\(digests)")
        for node in ["hub", "a", "b"] {
            let verify = try sandbox.run(["verify"], node: node)
            #expect(verify.status == 0, "\(node): \(verify.stdout) \(verify.stderr)")
        }
        // Every node holds the farms' entries, signed by their authors.
        let log = try sandbox.ok(["log"], node: "hub")
        #expect(log.contains("harvest"))
    }

    @Test func aDirectoryWhoseNodeFileNamesAnotherDeviceIsRefused() throws {
        let sandbox = try Sandbox()
        _ = try Self.makeLedger(sandbox)
        let nodeA = try #require(Self.status(sandbox, "a")["node"] as? String)
        let nodeB = try #require(Self.status(sandbox, "b")["node"] as? String)
        // The forgery of the issue: a copy of farm B's directory whose `node` file names
        // farm A, to write in A's name.
        try FileManager.default.copyItem(atPath: sandbox.path("b"), toPath: sandbox.path("forger"))
        let nodeFile = sandbox.path("forger") + "/node"
        let text = try String(contentsOfFile: nodeFile, encoding: .utf8).replacingOccurrences(of: nodeB, with: nodeA)
        try text.write(toFile: nodeFile, atomically: true, encoding: .utf8)
        let write = try sandbox.run(["product", "set", "forged", "--name", "Forged", "--unit", "kg"], node: "forger")
        #expect(write.status != 0)
        #expect(write.stderr.contains("do not belong together"), "\(write.stderr)")
        let events = try sandbox.run(["log"], node: "forger")
        #expect(events.status != 0)
    }

    @Test func aLedgerOfTheSameNameIsAnotherLedger() throws {
        let sandbox = try Sandbox()
        _ = try Self.makeLedger(sandbox)
        let strangerFile = sandbox.path("stranger.ledger")
        try sandbox.ok(["ledger", "create", "--ledger", "coop", "--label", "stranger", "--out", strangerFile], node: "s")
        try sandbox.seedLedger("s")
        let hub = try ServeProcess(directory: sandbox.path("hub"))
        let port = try #require(hub.port)
        let sync = try sandbox.run(["sync", "127.0.0.1:\(port)"], node: "s")
        hub.stop()
        #expect(sync.status != 0, "\(sync.stdout)")
        let hubStatus = try Self.status(sandbox, "hub")
        #expect(hubStatus["events"] as? Int == 4, "\(hubStatus)")
    }

    @Test func aLedgerFileOthersCanReadIsRefused() throws {
        let sandbox = try Sandbox()
        let file = sandbox.path("coop.ledger")
        try sandbox.ok(["ledger", "create", "--ledger", "coop", "--label", "hub", "--out", file], node: "hub")
        chmod(file, 0o644)
        let joined = try sandbox.run(["init", "--ledger-file", file, "--label", "ferme-a"], node: "a")
        #expect(joined.status != 0)
        #expect(joined.stderr.contains("chmod 600 \(file)"), "\(joined.stderr)")
        #expect(!FileManager.default.fileExists(atPath: sandbox.path("a") + "/node"))
        let bogus = sandbox.path("bogus.ledger")
        try Data("carnet-ledger 1\nname coop\n".utf8).write(to: URL(fileURLWithPath: bogus))
        chmod(bogus, 0o600)
        let refused = try sandbox.run(["init", "--ledger-file", bogus, "--label", "ferme-a"], node: "a")
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("is not a Carnet ledger file"), "\(refused.stderr)")
    }
}
