import Foundation
import Testing

/// A farm whose clock is 400 days ahead (libfaketime, `faketime -f +400d`) syncing with a
/// hub on real time, real processes over loopback (protocol/SPEC.md 8.2.10): the farm's
/// `sync` warns, naming the hub and the 400 days; its `status` and `peers list` show the
/// offset; the hub's `serve` logs it for the session, with the events stamped ahead; the
/// hub's `log` and `conflicts` mark the farm's entries "clock?", and nothing else.
@Suite(.serialized, .enabled(if: Faketime.shouldRun, "faketime is not installed: `apt-get install -y faketime` (CARNET_REQUIRE_FAKETIME=1 fails instead of skipping)"))
struct ClockOffsetProcessTests {
    static let day = 86_400_000

    @Test func aFarm400DaysAheadIsToldOnEverySide() throws {
        try #require(Faketime.wrapper != nil, "faketime is not installed: run `apt-get install -y faketime` (CARNET_REQUIRE_FAKETIME=1 is set)")
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("carnet-offset-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let secret = root + "/ledger.key"
        #expect(try CommandLineTests.carnet(["secret", "new", "--out", secret]).status == 0)
        let hub = ClockNode(label: "hub", root: root, clock: .real)
        let farm = ClockNode(label: "farm", root: root, clock: .offset("+400d"))
        for node in [hub, farm] { try node.ok(["init", "--ledger", "plateau", "--label", node.label, "--secret-file", secret]) }
        try hub.ok(["party", "set", "farm-a", "--name", "Ferme A", "--kind", "farm"])
        try hub.ok(["product", "set", "tomme", "--name", "Tomme", "--unit", "kg", "--price", "20"])
        try hub.serve()
        defer { _ = hub.stopServing() }
        let address = "127.0.0.1:\(hub.port)"
        try farm.ok(["sync", address])

        // Offline on both sides: an entry each, and the same price set twice.
        try farm.ok(["record", "harvest", "--producer", "farm-a", "--product", "tomme", "--qty", "5kg", "--lot", "L-farm", "--date", "2026-06-02"])
        try farm.ok(["product", "set", "tomme", "--price", "25"])
        try hub.ok(["record", "harvest", "--producer", "farm-a", "--product", "tomme", "--qty", "3kg", "--lot", "L-hub", "--date", "2026-06-02"])
        try hub.ok(["product", "set", "tomme", "--price", "22"])

        let sync = try farm.run(["sync", address])
        #expect(sync.status == 0, "\(sync.stderr)")
        #expect(sync.stderr.contains("warning: hub's clock is 400 days behind this node's"), "sync's warning: \(sync.stderr)")
        let report = try farm.json(["sync", address]) as? [String: Any] ?? [:]
        let clock = report["clock"] as? [String: Any] ?? [:]
        let measured = clock["peerOffsetMillis"] as? Int ?? 0
        #expect(abs(measured + 400 * Self.day) < 60_000 && clock["suspect"] as? Bool == true, "sync --json clock: \(clock)")

        // The farm's status and peers list: the hub's offset, when, and a warning.
        let statusPeers = try farm.status()["peers"] as? [[String: Any]] ?? []
        let listed = try farm.json(["peers", "list"]) as? [[String: Any]] ?? []
        for (what, peers) in [("status", statusPeers), ("peers list", listed)] {
            let peer = peers.first { $0["address"] as? String == address } ?? [:]
            let offset = peer["clockOffsetMillis"] as? Int ?? 0
            #expect(abs(offset + 400 * Self.day) < 60_000 && peer["clockSuspect"] as? Bool == true && peer["clockMeasuredAt"] is String,
                    "\(what) --json: \(peer)")
        }
        let status = try farm.ok(["status"])
        #expect(status.contains("-400 days") && status.contains("warning: hub's clock is 400 days behind"), "status: \(status)")

        // The hub marks what the farm stamped, and only that.
        let farmNode = try #require(farm.status()["node"] as? String)
        let entries = try hub.json(["log"]) as? [[String: Any]] ?? []
        let marks = Dictionary(uniqueKeysWithValues: entries.map { ($0["lot"] as? String ?? "?", $0["clockAhead"] as? Bool) })
        #expect(marks == ["L-farm": true, "L-hub": false], "log --json clockAhead by lot: \(marks)")
        let log = try hub.ok(["log"])
        let markedLines = log.split(separator: "\n").filter { $0.contains("clock?") }
        // The entry and the farm's changes (its price, its label), which sort first.
        #expect(markedLines.count == 3 && markedLines.allSatisfy { $0.contains("L-farm") || $0.contains(" farm ") },
                "log marks the farm's entry and changes: \(log)")
        let conflicts = try hub.json(["conflicts"]) as? [[String: Any]] ?? []
        let price = try #require(conflicts.first { $0["subject"] as? String == "product/tomme.price" }, "\(conflicts)")
        let sides = price["values"] as? [[String: Any]] ?? []
        #expect(sides.count == 2 && sides.allSatisfy { ($0["clockAhead"] as? Bool) == ($0["node"] as? String == farmNode) },
                "conflicts mark the farm's side: \(sides)")
        #expect(try hub.ok(["conflicts"]).contains("clock?"))

        // serve logged the session's clock: the farm ahead, and the events it sent.
        let (served, serveLog) = hub.stopServing()
        #expect(served == 0)
        #expect(serveLog.contains("warning: farm's clock is 400 days ahead of this node's"), "serve's log: \(serveLog)")
        #expect(serveLog.contains("events from farm are stamped up to 400 days ahead"), "serve's log: \(serveLog)")
    }
}
