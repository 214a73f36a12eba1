import Foundation
import Testing

/// Import of the committed workload fixture (a prefix, to stay fast in debug builds), then
/// `verify` on the sound store and on one with a damaged byte in the middle of its log.
struct ImportVerifyTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("CarnetWorkloadTests/Fixtures/ledger-10k.jsonl")

    @Test func importThenVerifyThenCorruption() throws {
        let box = try Sandbox()
        try box.initNode("a", label: "hub")
        let lines = try String(contentsOf: Self.fixture, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        let prefix = box.path("prefix.jsonl")
        try (lines.prefix(2_000).joined(separator: "\n") + "\n").write(toFile: prefix, atomically: true, encoding: .utf8)
        let summary = try #require(try box.json(["import", prefix, "--batch", "500"]) as? [String: Any])
        let entries = try #require(summary["entries"] as? Int)
        #expect(entries > 1_000)
        #expect((summary["catalogWrites"] as? Int ?? 0) >= 200)  // the 200 product creations come first
        #expect((summary["partiesCreated"] as? Int ?? 0) >= 20)

        let log = try #require(try box.json(["log", "--producer", "F00", "--limit", "3"]) as? [[String: Any]])
        #expect(log.count == 3 && log.allSatisfy { ($0["id"] as? String)?.hasPrefix("F00-") == true })
        let status = try #require(try box.json(["status"]) as? [String: Any])
        #expect((status["events"] as? Int ?? 0) > entries)

        let sound = try #require(try box.json(["verify"]) as? [String: Any])
        #expect(sound["sound"] as? Bool == true, "\(sound)")
        #expect((sound["status"] as? [String: Any])?["matches"] as? Bool == true)

        // One flipped byte in the middle of the log.
        let logPath = box.path("a/events.log")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: logPath))
        let middle = bytes.count / 2
        bytes[middle] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: logPath))
        let damaged = try box.run(["verify"])
        #expect(damaged.status == 1)
        #expect(damaged.stderr.contains("damaged at byte"))
        #expect(damaged.stderr.split(separator: "\n").count == 1)
        let report = try box.run(["verify", "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
        let offset = try #require((object["log"] as? [String: Any])?["damageOffset"] as? Int)
        #expect(offset > 16 && offset <= middle)
        #expect(damaged.stderr.contains("byte \(offset)"))
        #expect(object["sound"] as? Bool == false)

        // The commands that open the store through the node say it is damaged (65, data
        // error) rather than an I/O failure (74): the store's error keeps its kind.
        for arguments in [["sync", "127.0.0.1:9"], ["serve", "--listen", "127.0.0.1:0"], ["record", "harvest", "--producer", "F00",
                          "--product", "P000", "--qty", "1kg", "--lot", "X", "--force"]] {
            let refused = try box.run(arguments)
            #expect(refused.status == 65, "carnet \(arguments[0]) on a damaged store → \(refused.status): \(refused.stderr)")
            #expect(refused.stderr.contains("damaged at byte"), "\(refused.stderr)")
        }
    }

    /// `--actor`: each node takes only its own lines; together they hold every entry once.
    @Test func importByActorSplitsTheFileBetweenNodes() throws {
        let box = try Sandbox()
        let lines = try String(contentsOf: Self.fixture, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        let prefix = box.path("prefix.jsonl")
        try (lines.prefix(1_500).joined(separator: "\n") + "\n").write(toFile: prefix, atomically: true, encoding: .utf8)
        let all = lines.prefix(1_500).filter { $0.hasPrefix("{\"t\":\"entry\"") }
        let ofF00 = all.filter { $0.contains("\"farm\":\"F00\"") }.count
        #expect(ofF00 > 0)

        try box.initNode("f00", label: "F00")
        let farm = try #require(try box.json(["import", prefix, "--actor", "F00"], node: "f00") as? [String: Any])
        #expect(farm["entries"] as? Int == ofF00)
        #expect((farm["skippedLines"] as? Int ?? 0) > 0)
        let log = try #require(try box.json(["log", "--limit", "100000"], node: "f00") as? [[String: Any]])
        #expect(log.count == ofF00 && log.allSatisfy { ($0["id"] as? String)?.hasPrefix("F00-") == true })

        try box.initNode("hub", label: "HUB")
        let hub = try #require(try box.json(["import", prefix, "--actor", "HUB"], node: "hub") as? [String: Any])
        #expect(hub["entries"] as? Int == 0)
        #expect((hub["catalogWrites"] as? Int ?? 0) >= 200)

        let unknown = try box.run(["import", prefix, "--actor", "F99"], node: "hub")
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("no such actor"))
    }
}
