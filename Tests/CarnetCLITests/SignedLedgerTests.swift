import CarnetStore
import Foundation
import Glibc
import Testing

/// Issue 17: a signed ledger made and joined from the command line, synced by real
/// processes over loopback; a device that pretends to be another is stopped at its own
/// store, and a ledger of the same name is another ledger.
@Suite(.serialized)
struct SignedLedgerTests {
    /// A hub that created the ledger and two farms that joined it with the ledger file;
    /// with `enrol`, the hub enrols both at once for the farm `col` and the catalog (as
    /// `seedLedger` writes), else they write before they are enrolled.
    static func makeLedger(_ sandbox: borrowing Sandbox, enrol: Bool = true) throws -> String {
        let file = sandbox.path("coop.ledger")
        try sandbox.ok(["ledger", "create", "--ledger", "coop", "--label", "hub", "--out", file], node: "hub")
        try sandbox.ok(["init", "--ledger-file", file, "--label", "ferme-a"], node: "a")
        try sandbox.ok(["init", "--ledger-file", file, "--label", "ferme-b"], node: "b")
        if enrol {
            for node in ["a", "b"] {
                let id = try #require(try Self.status(sandbox, node)["node"] as? String)
                try sandbox.ok(["member", "add", id, "--role", "producer:col", "--role", "catalog"], node: "hub")
            }
        }
        return file
    }

    static func status(_ sandbox: borrowing Sandbox, _ node: String) throws -> [String: Any] {
        try sandbox.json(["status"], node: node) as? [String: Any] ?? [:]
    }

    @Test func membersOfASignedLedgerSyncWhatTheySignedOverRealSessions() throws {
        let sandbox = try Sandbox()
        let file = try Self.makeLedger(sandbox, enrol: false)
        let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        for node in ["a", "b"] { try sandbox.seedLedger(node) }
        let hub = try ServeProcess(directory: sandbox.path("hub"))
        let port = try #require(hub.port, "serve printed: \(hub.firstLine)")
        for node in ["a", "b"] { try sandbox.ok(["sync", "127.0.0.1:\(port)"], node: node) }
        // The farms wrote before they were enrolled (offline first): what they wrote counts
        // once the ledger's creator enrols them (SPEC §9.5).
        for node in ["a", "b"] {
            let id = try #require(try Self.status(sandbox, node)["node"] as? String)
            try sandbox.ok(["member", "add", id, "--role", "producer:col", "--role", "catalog"], node: "hub")
        }
        for node in ["a", "b", "a"] { try sandbox.ok(["sync", "127.0.0.1:\(port)"], node: node) }
        // Each session proved the hub's device to the farm (SPEC 8.2.7).
        let again = try sandbox.json(["sync", "127.0.0.1:\(port)"], node: "b") as? [String: Any]
        #expect((again?["peer"] as? [String: Any])?["deviceVerified"] as? Bool == true, "\(String(describing: again))")
        // A one-shot `sync` does not ask for grants, in a signed ledger as in format 1 (SPEC
        // 8.3 rule 8); `serve`'s live sessions speak them (`SignedServeGrantsTests`).
        #expect(again?["grants"] as? Bool == false, "\(String(describing: again))")
        hub.stop()
        let digests = try ["hub", "a", "b"].map { try Self.status(sandbox, $0)["digest"] as? String }
        #expect(Set(digests).count == 1, "\(digests)")
        for node in ["hub", "a", "b"] {
            let verify = try sandbox.run(["verify"], node: node)
            #expect(verify.status == 0, "\(node): \(verify.stdout) \(verify.stderr)")
        }
        // Every node holds the farms' entries, signed by their authors, and `verify` checks
        // every signature.
        let log = try sandbox.ok(["log"], node: "hub")
        #expect(log.contains("harvest") && !log.contains("waiting"), "\(log)")
        let stock = try sandbox.json(["stock"], node: "hub") as? [[String: Any]] ?? []
        #expect(stock.compactMap { $0["quantity"] as? Double }.reduce(0, +) == 24_000, "both farms' 12 kg count: \(stock)")
        let verified = try sandbox.ok(["verify"], node: "hub")
        #expect(verified.contains("signed heads verified; every event is signed by its author"), "\(verified)")
    }

    @Test func verifyFindsASignatureThatDoesNotVerify() throws {
        let sandbox = try Sandbox()
        _ = try Self.makeLedger(sandbox)
        try sandbox.seedLedger("a")
        let path = sandbox.path("a") + "/events.log"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        // The last record: its payload ends with the 64 bytes of its signed head. Flip one and
        // mend the record's checksum, as a forger who edits the file would.
        var offset = 16, last = 16
        while offset < bytes.count {
            last = offset
            offset += 8 + Int(bytes[offset]) << 24 + Int(bytes[offset + 1]) << 16 + Int(bytes[offset + 2]) << 8 + Int(bytes[offset + 3])
        }
        bytes[bytes.count - 10] ^= 0x40
        let crc = CRC32C.checksum(Array(bytes[last..<(last + 4)]) + Array(bytes[(last + 8)...]))
        for index in 0..<4 { bytes[last + 4 + index] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * UInt32(index))) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        try? FileManager.default.removeItem(atPath: sandbox.path("a") + "/checkpoint")
        let verify = try sandbox.run(["verify"], node: "a")
        #expect(verify.status != 0)
        #expect(verify.stdout.contains("does not verify"), "\(verify.stdout)")
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
        _ = try Self.makeLedger(sandbox, enrol: false)
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
