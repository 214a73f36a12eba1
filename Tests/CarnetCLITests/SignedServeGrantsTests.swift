import Foundation
import Glibc
import Testing

/// `carnet serve` speaks grants in a signed ledger too (SPEC 8.3 rule 8): two farms that
/// hold the same events, each serving live with the hub as its `--peer`, both offer them,
/// and every session's log line says grants were in force (a signed `serve` used to answer
/// message 1's bit 2 as a listener from before grants: this test failed so, on both sides
/// of both sessions). The hub receives each event once, the bound grants keep; on loopback
/// a farm's relay delay keeps it here without them too (20 received, 20 new, before).
@Suite(.serialized)
struct SignedServeGrantsTests {
    @Test func twoSignedFarmsServingLiveToAHubPutGrantsInForce() throws {
        let box = try Sandbox()
        _ = try SignedLedgerTests.makeLedger(box)
        try box.seedLedger("a")
        try box.seedLedger("b")
        // B takes A's events and A B's (a one-shot sync, without grants): both farms now
        // hold the same events, none of which the hub holds.
        let meeting = try ServeProcess(directory: box.path("b"))
        let meetingPort = try #require(meeting.port, "\(meeting.firstLine)")
        try box.ok(["sync", "127.0.0.1:\(meetingPort)"], node: "a")
        meeting.stop()
        #expect(try LiveFiguresTests.sameDigest(box, "a", "b"))
        let farmEvents = try LiveFiguresTests.events(box, "a")
        let hubBefore = try LiveFiguresTests.events(box, "hub")

        let hub = try ServeProcess(directory: box.path("hub"))
        let hubPort = try #require(hub.port, "\(hub.firstLine)")
        let farms = try ["a", "b"].map { try ServeProcess(directory: box.path($0), extra: ["--peer", "127.0.0.1:\(hubPort)"]) }
        let converged = try LiveFiguresTests.eventually(30) {
            try LiveFiguresTests.sameDigest(box, "hub", "a") && LiveFiguresTests.sameDigest(box, "hub", "b")
        }
        #expect(converged)
        let received = try LiveFiguresTests.events(box, "hub") - hubBefore
        #expect(received > 0 && received <= farmEvents, "the hub took \(received) of the farms' \(farmEvents) events")
        var events: [String: Any] = [:]
        let counted = try LiveFiguresTests.eventually(5) {
            let server = try LiveFiguresTests.status(box, "hub")["server"] as? [String: Any] ?? [:]
            events = server["events"] as? [String: Any] ?? [:]
            return events["receivedNew"] as? Int == received
        }
        #expect(counted, "the hub stored \(received) new events: \(events)")
        #expect(events["received"] as? Int == received, "each event reached the hub once: \(events)")

        var farmLogs: [String] = []
        for farm in farms {
            kill(farm.pid, SIGTERM)
            farmLogs.append(farm.waitForExit(seconds: 20)?.stderr ?? "")
        }
        kill(hub.pid, SIGTERM)
        let hubLog = hub.waitForExit(seconds: 20)?.stderr ?? ""
        for (label, log) in zip(["ferme-a", "ferme-b"], farmLogs) {
            let line = log.split(separator: "\n").first { $0.contains("session with hub") } ?? ""
            #expect(line.contains("grants in force"), "\(label): \(log)")
            let hubLine = hubLog.split(separator: "\n").first { $0.contains("session with \(label)") } ?? ""
            #expect(hubLine.contains("grants in force"), "hub, of \(label): \(hubLog)")
        }
    }
}
