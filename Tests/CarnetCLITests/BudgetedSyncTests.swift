import Foundation
import Testing

/// `carnet sync HUB --budget SIZE` on a metered link (protocol/SPEC.md 8.3.9), with real
/// processes over loopback: a farm holding 4,000 entries the hub lacks, a hub holding
/// 4,000 the farm lacks. Under a budget the farm's own entries reach the hub first, the
/// bytes on the socket stay within the budget, the output says what is left (exit 75),
/// `peers list` shows the bytes each sync used; a sync without budget then finishes and
/// both nodes hold the same events.
@Suite(.serialized)
struct BudgetedSyncTests {
    /// A workload file of `count` harvests written by producer `col`.
    static func entries(_ prefix: String, _ count: Int, in root: String) throws -> String {
        let meta = #"{"t":"meta","schema":"producer-ledger-workload/1","seed":1,"farms":1,"days":1,"products":1,"entries":\#(count),"start":"2026-03-02","hub":"HUB","actors":["HUB","col"],"counts":{"entry":\#(count),"cat":0,"sync":0},"kinds":{"harvest":\#(count)},"conflict_groups":0}"#
        let lines = (0..<count).map { index in
            #"{"t":"entry","id":"\#(prefix)-\#(index)","farm":"col","date":"2026-03-02","kind":"harvest","product":"miel","qty":\#(100 + index),"unit":"g","lot":"L-\#(prefix)"}"#
        }
        let path = root + "/\(prefix).jsonl"
        try ([meta] + lines).joined(separator: "\n").appending("\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// One `sync --json` run: its status, report and stderr.
    struct Synced {
        var status: Int32
        var report: [String: Any]
        var stderr: String

        func count(_ side: String, _ key: String) -> Int { (report[side] as? [String: Any])?[key] as? Int ?? -1 }
        var bytes: Int { count("sent", "bytes") + count("received", "bytes") }
        var budget: [String: Any] { report["budget"] as? [String: Any] ?? [:] }
    }

    static func sync(_ box: borrowing Sandbox, _ address: String, budget: String?) throws -> Synced {
        let run = try box.run(["sync", address, "--json"] + (budget.map { ["--budget", $0] } ?? []), node: "farm")
        let report = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any] ?? [:]
        return Synced(status: run.status, report: report, stderr: run.stderr)
    }

    @Test func aFarmOnAMeteredLinkSendsItsOwnFirstAndStopsWithinItsBudget() throws {
        let box = try Sandbox()
        try box.initNode("hub", label: "hub")
        try box.initNode("farm", label: "farm")
        try box.ok(["import", try Self.entries("farm", 4_000, in: box.root)], node: "farm")
        try box.ok(["import", try Self.entries("hub", 4_000, in: box.root)], node: "hub")
        let farmNode = try #require((try box.json(["status"], node: "farm") as? [String: Any])?["node"] as? String)
        let hubNode = try #require((try box.json(["status"], node: "hub") as? [String: Any])?["node"] as? String)
        let serve = try ServeProcess(directory: box.path("hub"))
        defer { serve.stop() }
        let address = "127.0.0.1:\(try #require(serve.port))"

        // 40 kB: part of the farm's own entries, none of the hub's.
        let first = try Self.sync(box, address, budget: "40k")
        #expect(first.status == 75, "exit 75 when something is left: \(first.status) \(first.stderr)")
        #expect(first.bytes > 0 && first.bytes <= 40_000, "within the budget: \(first.bytes) bytes")
        #expect(first.count("sent", "newEvents") > 0 && first.count("received", "events") == 0,
                "own entries first: sent \(first.count("sent", "newEvents")), received \(first.count("received", "events"))")
        let ownLeft = first.budget["ownLeft"] as? Int ?? 0, toReceive = first.budget["toReceive"] as? Int ?? 0
        #expect(ownLeft > 0 && toReceive > 4_000 && first.budget["complete"] as? Bool == false, "\(first.budget)")
        #expect(first.stderr.contains("\(ownLeft.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US")))) left")
                    && first.stderr.contains("run `carnet sync \(address)` again"), "what is left: \(first.stderr)")
        let hubHolds = (try box.json(["status"], node: "hub") as? [String: Any])?["versionVector"] as? [String: Int] ?? [:]
        let farmHolds = (try box.json(["status"], node: "farm") as? [String: Any])?["versionVector"] as? [String: Int] ?? [:]
        #expect((hubHolds[farmNode] ?? 0) > 0 && farmHolds[hubNode] == nil, "the hub has farm entries, the farm none of the hub's")
        let peer = try #require((try box.json(["peers", "list"], node: "farm") as? [[String: Any]])?.first)
        #expect(peer["lastBytesSent"] as? Int == first.count("sent", "bytes") && peer["lastBytesReceived"] as? Int == first.count("received", "bytes")
                    && peer["lastBudget"] as? Int == 40_000, "peers list shows the sync's bytes: \(peer)")

        // 60 kB: the rest of the farm's own, then what it lacks, as far as the budget goes.
        let second = try Self.sync(box, address, budget: "60k")
        #expect(second.bytes <= 60_000, "within the budget: \(second.bytes) bytes")
        #expect(second.budget["ownLeft"] as? Int == 0 && second.count("received", "newEvents") > 0,
                "own entries all sent before any of the hub's taken: \(second.budget), received \(second.count("received", "newEvents"))")

        // No budget: the rest, and the same events on both nodes.
        let last = try Self.sync(box, address, budget: nil)
        #expect(last.status == 0 && last.report["budget"] == nil, "\(last.stderr)")
        let digests = try ["farm", "hub"].map { (try box.json(["status"], node: $0) as? [String: Any])?["digest"] as? String }
        #expect(digests[0] != nil && digests[0] == digests[1], "digests \(digests)")
        let after = try #require((try box.json(["peers", "list"], node: "farm") as? [[String: Any]])?.first)
        #expect(after["lastBudget"] is NSNull && (after["lastBytesReceived"] as? Int ?? 0) > 0, "\(after)")
        print("BudgetedSyncTests: 40k → \(first.bytes) bytes (sent \(first.count("sent", "newEvents")) own, \(ownLeft) left); "
              + "60k → \(second.bytes) bytes (received \(second.count("received", "newEvents"))); then \(last.bytes) bytes unbudgeted")
    }

    @Test(arguments: [("12x", "--budget takes a size"), ("10", "give between 1k"), ("5G", "give between 1k"), ("-3k", "--budget takes a size")])
    func aBudgetThatIsNotASizeIsRefusedBeforeDialing(text: String, words: String) throws {
        let box = try Sandbox()
        try box.initNode("farm", label: "farm")
        let before = try FileManager.default.contentsOfDirectory(atPath: box.path("farm")).sorted()
        expectError(try box.run(["sync", "127.0.0.1:9", "--budget", text], node: "farm"), 64, words)
        #expect(try FileManager.default.contentsOfDirectory(atPath: box.path("farm")).sorted() == before, "nothing written")
    }

    /// The spellings help gives are taken: the sync then dials (no one listens on port 9).
    @Test(arguments: ["200k", "1.5M", "2m", "64kB", "5000", "4G"])
    func aSizeAsHelpSpellsItIsTaken(text: String) throws {
        let box = try Sandbox()
        try box.initNode("farm", label: "farm")
        expectError(try box.run(["sync", "127.0.0.1:9", "--budget", text], node: "farm"), 69, "cannot reach 127.0.0.1:9")
    }
}
