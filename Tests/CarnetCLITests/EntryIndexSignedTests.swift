import CarnetStore
import Foundation
import Testing

/// A co-op's ledger, signed and with members (SPEC §9.5): `show` and `log` answer from the
/// entry index there too (§6.7, version 2 keeps each entry's standing), print exactly what
/// they print from the store (whether each entry counts, why not, its writer's roles), and
/// go to the store when the index is damaged or of version 1.
@Suite(.serialized)
struct EntryIndexSignedTests {
    static func node(_ box: borrowing Sandbox, _ name: String) throws -> String {
        try #require((try box.json(["status"], node: name) as? [String: Any])?["node"] as? String)
    }

    /// A hub ("a") that created the ledger, and what three devices wrote, merged into it:
    /// `f` enrolled for F00 and F01, importing every farm's lines (the others' out of role);
    /// `u`, never enrolled, importing F00's under the same ids (duplicates that wait) and
    /// voiding one (a reversal that counts nowhere, so voids nothing); `s`, enrolled for F02,
    /// then revoked, writing on. `f` voids an id that both `f` and `u` carry: its reversal
    /// counts, and voids both. Returns ids worth showing.
    static func coop(_ box: borrowing Sandbox) throws -> [String] {
        let file = box.path("coop.ledger")
        try box.ok(["ledger", "create", "--ledger", "coop", "--label", "hub", "--out", file])
        for device in ["f", "s", "u"] { try box.ok(["init", "--ledger-file", file, "--label", device], node: device) }
        try box.ok(["member", "add", try node(box, "f"), "--role", "producer:F00", "--role", "producer:F01"])
        try box.ok(["member", "add", try node(box, "s"), "--role", "producer:F02"])
        let lines = try String(contentsOf: ImportVerifyTests.fixture, encoding: .utf8).split(separator: "\n")
        let part = box.path("part.jsonl")
        try (lines.prefix(700).joined(separator: "\n") + "\n").write(toFile: part, atomically: true, encoding: .utf8)
        try box.ok(["import", part], node: "f")
        try box.ok(["import", part, "--actor", "F00"], node: "u")
        try box.ok(["void", "F00-000003", "--reason", "pas moi"], node: "u")
        try box.ok(["void", "F00-000005", "--reason", "erreur"], node: "f")
        try box.ok(["merge", box.path("a")], node: "s")
        let before = try box.ok(["record", "harvest", "--actor", "F02", "--product", "P0001", "--qty", "3kg", "--lot", "S1",
                                 "--force"], node: "s").trimmingCharacters(in: .whitespacesAndNewlines)
        try box.ok(["merge", box.path("s"), box.path("f"), box.path("u")])
        try box.ok(["member", "revoke", try node(box, "s"), "--reason", "volé"])
        let after = try box.ok(["record", "harvest", "--actor", "F02", "--product", "P0001", "--qty", "900kg", "--lot", "S2",
                                "--force"], node: "s").trimmingCharacters(in: .whitespacesAndNewlines)
        try box.ok(["merge", box.path("s")])
        // The hub's own write last: the creator writes for anyone.
        try box.ok(["record", "harvest", "--actor", "F01", "--product", "P0001", "--qty", "1kg", "--lot", "H1", "--force"])
        let entries = try #require(try box.json(["log"]) as? [[String: Any]])
        let ids = entries.compactMap { $0["id"] as? String }
        return ["F00-000001", "F00-000003", "F00-000005", "F01-000001", before, after]
            + stride(from: 0, to: ids.count, by: 53).map { ids[$0] }
            + entries.filter { $0["kind"] as? String == "reversal" }.compactMap { $0["id"] as? String }
    }

    static let logQueries: [[String]] = [
        ["log"], ["log", "--limit", "1"], ["log", "--limit", "7"], ["log", "--limit", "300"], ["log", "--producer", "F00"],
        ["log", "--producer", "F02"], ["log", "--producer", "F03", "--limit", "4"], ["log", "--producer", "nobody"],
    ]

    @Test func aLedgerWithMembersIsReadFromTheIndexAsFromTheStore() throws {
        let box = try Sandbox()
        let ids = try Self.coop(box)
        let verify = try box.run(["verify"])
        #expect(verify.status == 0, "the index written is the one made again from every record: \(verify.stdout) \(verify.stderr)")
        var queries: [[String]] = ids.flatMap { [["show", $0], ["show", $0, "--json"]] }
        queries += Self.logQueries.flatMap { [$0, $0 + ["--json"]] }
        var answers: [[String]: String] = [:]
        for query in queries {
            let (indexed, opened) = try EntryIndexProcessTests.bothWays(box, query)
            #expect(indexed.status == 0 && opened.status == 0, "\(query): \(indexed.stderr) \(opened.stderr)")
            #expect(indexed.stdout == opened.stdout, "\(query): the index and the store print differently")
            #expect(indexed.stderr.isEmpty, "\(query): \(indexed.stderr)")
            answers[query] = opened.stdout
        }
        // What the answers must hold to prove anything: every kind of standing, in both forms.
        let log = answers[["log"]] ?? ""
        for mark in ["out of role", "revoked", "waiting (not enrolled)", "voided"] {
            #expect(log.contains(mark), "the log marks no entry \(mark)")
        }
        let whole = try #require(try JSONSerialization.jsonObject(with: Data((answers[["log", "--json"]] ?? "").utf8)) as? [[String: Any]])
        let verdicts = Set(whole.compactMap { $0["verdict"] as? String })
        #expect(verdicts == ["counts", "out-of-role", "unenrolled", "revoked"], "\(verdicts)")
        #expect(whole.contains { $0["writerRoles"] as? String == "producer:F00 producer:F01" })
        // F00-000003 is voided by no one (u's reversal counts nowhere); F00-000005 by f's, on
        // both the entry that counts and u's that waits; the set-aside one is shown second.
        #expect(answers[["show", "F00-000003"]]?.contains("voided by:") == false)
        let five = answers[["show", "F00-000005"]] ?? ""
        #expect(five.contains("voided by:") && five.contains("another entry with the same id") && five.contains("standing"), "\(five)")
        #expect(answers[["show", ids[5]]]?.contains("counts nowhere: written past its device's revocation") == true)

        // The proof that the store is not opened: this process holds the log's lock.
        let environment = EntryIndexProcessTests.lockedEnvironment(box)
        try EntryIndexProcessTests.holdingTheLog(box) {
            for query in [["show", ids[1]], ["show", ids[2], "--json"], ["show", ids[5]], ["log", "--limit", "7"],
                          ["log", "--limit", "300", "--json"], ["log"], ["log", "--json"], ["log", "--producer", "F02"]] {
                let run = try CommandLineTests.carnet(query + ["--dir", box.path("a")], environment: environment)
                #expect(run.status == 0, "\(query) waited for the store: \(run.stderr)")
                #expect(run.stdout == answers[query], "\(query)")
            }
        }
    }

    /// The standings table's blocks are checked like the others': a flipped byte sends the
    /// answer to the store, said. A file of version 1 (which keeps no standings) is not
    /// current: the store answers, quietly, and the next write makes version 2.
    @Test func damagedStandingsOrAVersionOneIndexSendToTheStore() throws {
        let box = try Sandbox()
        let ids = try Self.coop(box)
        let path = box.path("a") + "/entries"
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(original[8] == 0 && original[9] == 2, "the index is of version 2")
        let expected = try [["log"], ["log", "--json"], ["log", "--limit", "5"], ["show", ids[0]], ["show", ids[5], "--json"]]
            .map { ($0, try box.ok($0)) }
        // The five counts follow the header and stamp; the standings table follows the others.
        func count(_ index: Int) -> Int {
            (0..<4).reduce(0) { $0 << 8 | Int(original[36 + 4 * index + $1]) }
        }
        func size(_ count: Int, _ width: Int) -> Int { count * width + 4 * ((count + 255) / 256) }
        #expect(count(4) == count(0), "one standing per entry")
        let standings = 60 + size(count(0), 24) + size(count(1), 16) + size(count(2), 24) + size(count(3), 24)
        for at in [standings + 1, standings + 4 * (count(0) - 1) + 4 * ((count(0) - 1) / 256) + 3] {
            var bytes = original
            bytes[at] ^= 0x20
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            for (query, answer) in expected {
                let run = try box.run(query)
                #expect(run.status == 0 && run.stdout == answer, "\(query), byte \(at): \(run.stderr)")
                // The oldest entries' block is read by a whole `log`; the newest's by every `log`.
                if query[0] == "log" && (at > standings + 1 || !query.contains("--limit")) {
                    #expect(run.stderr.contains("the entry index does not check"), "\(query), byte \(at): \(run.stderr)")
                }
            }
        }
        // Version 1 in the header, the trailer made good: not current, the store answers.
        var old = original
        old[9] = 1
        let trailer = CRC32C.checksum(Array(old.dropLast(4)))
        old.replaceSubrange((old.count - 4)..., with: (0..<4).map { UInt8(truncatingIfNeeded: trailer >> (24 - 8 * $0)) })
        try Data(old).write(to: URL(fileURLWithPath: path))
        let environment = EntryIndexProcessTests.lockedEnvironment(box)
        try EntryIndexProcessTests.holdingTheLog(box) {
            let run = try CommandLineTests.carnet(["show", ids[0], "--dir", box.path("a")], environment: environment)
            #expect(run.status != 0 && run.stderr.contains("held the lock"), "a version-1 index was read: \(run.stderr)")
        }
        for (query, answer) in expected {
            let run = try box.run(query)
            #expect(run.status == 0 && run.stdout == answer && run.stderr.isEmpty, "\(query): \(run.stderr)")
        }
        try box.ok(["party", "set", "F01", "--name", "Ferme F01", "--kind", "farm"])
        let rewritten = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(rewritten[9] == 2, "the next write makes version 2")
        let verify = try box.run(["verify"])
        #expect(verify.status == 0, "\(verify.stdout) \(verify.stderr)")
    }

    /// A copy of a device's directory whose `node` file names another device (to read or
    /// write in its name) is refused by the index's readers as by the store.
    @Test func aForgedDirectoryIsNotReadFromTheIndex() throws {
        let box = try Sandbox()
        let ids = try Self.coop(box)
        let farm = try Self.node(box, "f"), hub = try Self.node(box, "a")
        try FileManager.default.copyItem(atPath: box.path("f"), toPath: box.path("forger"))
        let nodeFile = box.path("forger") + "/node"
        let text = try String(contentsOfFile: nodeFile, encoding: .utf8).replacingOccurrences(of: farm, with: hub)
        try text.write(toFile: nodeFile, atomically: true, encoding: .utf8)
        #expect(FileManager.default.fileExists(atPath: box.path("forger") + "/entries"))
        for query in [["show", ids[0]], ["log", "--limit", "3"], ["log", "--json"]] {
            let run = try box.run(query, node: "forger")
            #expect(run.status != 0 && run.stderr.contains("do not belong together"), "\(query): \(run.stderr)")
            #expect(run.stdout.isEmpty, "\(query)")
        }
    }
}
