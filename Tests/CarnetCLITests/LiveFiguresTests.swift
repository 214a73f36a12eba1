import Foundation
import Glibc
import Testing

/// Issue 21 item 2: the figures `status`, `peers list` and `bundle create --for` show must
/// match what the peers hold while `carnet serve` runs, not only once a session ends.
/// Found with three farms and a hub over TCP: a live session never ends, so every figure
/// filled in at a session's end stayed at what it was when the session began.
@Suite(.serialized)
struct LiveFiguresTests {
    /// A hub and a farm of one ledger, the farm with `writes` products of its own.
    static func hubAndFarm(_ box: borrowing Sandbox, farmWrites: Int = 4) throws {
        try box.initNode("hub", label: "hub")
        try box.initNode("farm", label: "farm")
        try box.ok(["party", "set", "hub", "--name", "Le Hub", "--kind", "hub"], node: "hub")
        for index in 0..<farmWrites { try write(box, "farm", index) }
    }

    static func write(_ box: borrowing Sandbox, _ node: String, _ index: Int) throws {
        try box.ok(["product", "set", "\(node)-\(index)", "--name", "P\(index)", "--unit", "kg"], node: node)
    }

    static func status(_ box: borrowing Sandbox, _ node: String) throws -> [String: Any] {
        try box.json(["status"], node: node) as? [String: Any] ?? [:]
    }

    static func peers(_ box: borrowing Sandbox, _ node: String) throws -> [[String: Any]] {
        try box.json(["peers", "list"], node: node) as? [[String: Any]] ?? []
    }

    /// Polls `condition` every 100 ms for up to `seconds`; true once it holds.
    static func eventually(_ seconds: Double = 15, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            if try condition() { return true }
            usleep(100_000)
        } while Date() < deadline
        return try condition()
    }

    static func sameDigest(_ box: borrowing Sandbox, _ left: String, _ right: String) throws -> Bool {
        try status(box, left)["digest"] as? String == status(box, right)["digest"] as? String
    }

    static func events(_ box: borrowing Sandbox, _ node: String) throws -> Int {
        try status(box, node)["events"] as? Int ?? -1
    }

    /// (a) The hub's `status` counted nothing received while its sessions were live.
    @Test func theServersCountersMoveWhileItsSessionsAreLive() throws {
        let box = try Sandbox()
        try Self.hubAndFarm(box)
        let hubBefore = try Self.events(box, "hub")
        let hub = try ServeProcess(directory: box.path("hub"))
        let hubPort = try #require(hub.port, "\(hub.firstLine)")
        let farm = try ServeProcess(directory: box.path("farm"), extra: ["--peer", "127.0.0.1:\(hubPort)"])
        #expect(try Self.eventually { try Self.sameDigest(box, "hub", "farm") })
        // The farm writes again while its serve runs: pushed live, in the same session.
        for index in 4..<7 { try Self.write(box, "farm", index) }
        #expect(try Self.eventually { try Self.sameDigest(box, "hub", "farm") })
        let received = try Self.events(box, "hub") - hubBefore
        var server: [String: Any] = [:]
        let counted = try Self.eventually(5) {
            server = try Self.status(box, "hub")["server"] as? [String: Any] ?? [:]
            return (server["events"] as? [String: Any])?["receivedNew"] as? Int == received
        }
        #expect(counted, "the hub received \(received) new events: \(server)")
        #expect((server["sessions"] as? [String: Any])?["open"] as? Int == 1, "the session is still live: \(server)")
        let line = try box.ok(["status"], node: "hub").split(separator: "\n").first { $0.hasPrefix("server") } ?? ""
        #expect(line.contains("1 sessions open") && line.contains("\(received) new events received"), "\(line)")
        farm.stop()
        hub.stop()
    }

    /// Issue 19 item 5: the live sessions of two `serve` processes of a format-1 ledger put
    /// grants in force (SPEC 8.3 rule 8), so that a hub fed by live farms and another hub
    /// receives each event once; each side's log says so of the session.
    @Test func liveSessionsBetweenServersPutGrantsInForce() throws {
        let box = try Sandbox()
        try Self.hubAndFarm(box)
        let hub = try ServeProcess(directory: box.path("hub"))
        let hubPort = try #require(hub.port, "\(hub.firstLine)")
        let farm = try ServeProcess(directory: box.path("farm"), extra: ["--peer", "127.0.0.1:\(hubPort)"])
        #expect(try Self.eventually { try Self.sameDigest(box, "hub", "farm") })
        for index in 4..<7 { try Self.write(box, "farm", index) }
        #expect(try Self.eventually { try Self.sameDigest(box, "hub", "farm") })
        kill(farm.pid, SIGTERM)
        let farmEnd = farm.waitForExit(seconds: 20)
        kill(hub.pid, SIGTERM)
        let hubEnd = hub.waitForExit(seconds: 20)
        let farmLine = farmEnd?.stderr.split(separator: "\n").first { $0.contains("session with hub") } ?? ""
        let hubLine = hubEnd?.stderr.split(separator: "\n").first { $0.contains("session with farm") } ?? ""
        #expect(farmLine.contains("grants in force"), "farm: \(String(describing: farmEnd))")
        #expect(hubLine.contains("grants in force"), "hub: \(String(describing: hubEnd))")
    }

    /// (b) A farm's `peers list` was empty while its serve dialed the hub: a peer named by
    /// `--peer` shows, live, once the session is up, and what it lacks stays current.
    @Test func aPeerDialedByServeIsListedLiveWhileTheSessionRuns() throws {
        let box = try Sandbox()
        try Self.hubAndFarm(box)
        let hub = try ServeProcess(directory: box.path("hub"))
        let address = "127.0.0.1:\(try #require(hub.port))"
        let farm = try ServeProcess(directory: box.path("farm"), extra: ["--peer", address])
        var row: [String: Any] = [:]
        let listed = try Self.eventually {
            row = try Self.peers(box, "farm").first { $0["address"] as? String == address } ?? [:]
            return row["live"] as? Bool == true && row["lacks"] as? Int == 0
        }
        #expect(listed, "\(row)")
        #expect(row["label"] as? String == "hub" && row["lastSync"] is String, "\(row)")
        #expect(row["dialed"] as? Bool == true && row["dialedIn"] as? Bool == false, "serve dials it, from --peer: \(row)")
        let text = try box.ok(["peers", "list"], node: "farm")
        #expect(text.contains(address) && text.contains("live"), "\(text)")
        // Three more events, pushed in the same session: the hub lacks none of them once
        // it acknowledged them, and the list says so while the session still runs.
        for index in 4..<7 { try Self.write(box, "farm", index) }
        #expect(try Self.eventually { try Self.sameDigest(box, "hub", "farm") })
        // peer-state is rewritten at most every 5 s while sessions run (`LiveSessions`).
        let current = try Self.eventually {
            row = try Self.peers(box, "farm").first { $0["address"] as? String == address } ?? [:]
            return row["lacks"] as? Int == 0
        }
        #expect(current, "\(row)")
        #expect(row["live"] as? Bool == true, "\(row)")
        farm.stop()
        hub.stop()
    }

    /// (c) After SIGTERM of the farm's serve its `status` said the hub lacked events both
    /// held, and `bundle create --for hub` wrote them: what a node remembers of a peer
    /// comes from what the peer acknowledged and sent in the live session.
    @Test func whatAPeerHoldsIsRememberedFromTheLiveSession() throws {
        let box = try Sandbox()
        try Self.hubAndFarm(box)
        let hub = try ServeProcess(directory: box.path("hub"))
        let address = "127.0.0.1:\(try #require(hub.port))"
        let farm = try ServeProcess(directory: box.path("farm"), extra: ["--peer", address])
        #expect(try Self.eventually { try Self.sameDigest(box, "hub", "farm") })
        // Both sides write after the session caught up: each side's news goes live.
        for index in 4..<7 { try Self.write(box, "farm", index) }
        for index in 0..<2 { try Self.write(box, "hub", index) }
        #expect(try Self.eventually { try Self.sameDigest(box, "hub", "farm") })
        farm.stop()
        let peers = try Self.status(box, "farm")["peers"] as? [[String: Any]] ?? []
        let row = peers.first { $0["address"] as? String == address } ?? [:]
        #expect(row["lacks"] as? Int == 0, "the hub holds everything the farm holds: \(row)")
        #expect(row["live"] as? Bool == false, "\(row)")
        #expect(row["lastError"] is NSNull, "stopping a server that was in sync is no error: \(row)")
        let bundle = try box.json(["bundle", "create", box.path("for-hub.bundle"), "--for", "hub"], node: "farm") as? [String: Any]
        #expect(bundle?["events"] as? Int == 0, "\(String(describing: bundle))")
        hub.stop()
    }

    /// (d) The hub's `peers list` said "no peers yet" after farm sessions: a peer that
    /// dials in is listed by node and label, marked as dialed in, and removable as listed.
    @Test func peersThatDialInAreListedAndRemovable() throws {
        let box = try Sandbox()
        try Self.hubAndFarm(box)
        try box.initNode("other", label: "other-farm")
        try Self.write(box, "other", 0)
        let hub = try ServeProcess(directory: box.path("hub"))
        let address = "127.0.0.1:\(try #require(hub.port))"
        try box.ok(["sync", address], node: "other")
        let farm = try ServeProcess(directory: box.path("farm"), extra: ["--peer", address])
        let farmNode = try Self.status(box, "farm")["node"] as? String
        let otherNode = try Self.status(box, "other")["node"] as? String
        var rows: [[String: Any]] = []
        let listed = try Self.eventually {
            rows = try Self.peers(box, "hub")
            return rows.contains { $0["node"] as? String == farmNode && $0["live"] as? Bool == true && $0["lacks"] as? Int == 0 }
        }
        #expect(listed, "\(rows)")
        let farmRow = rows.first { $0["node"] as? String == farmNode } ?? [:]
        let otherRow = rows.first { $0["node"] as? String == otherNode } ?? [:]
        #expect(farmRow["label"] as? String == "farm" && farmRow["dialedIn"] as? Bool == true && farmRow["dialed"] as? Bool == false,
                "\(farmRow)")
        #expect(otherRow["label"] as? String == "other-farm" && otherRow["dialedIn"] as? Bool == true && otherRow["lastSync"] is String
                    && otherRow["live"] as? Bool == false, "\(otherRow)")
        // The farm's clock, as the live session's handshake measured it, shows at once
        // (before, only once the session ended, which a live one never does).
        #expect(farmRow["clockOffsetMillis"] is Int && farmRow["clockMeasuredAt"] is String && farmRow["clockSuspect"] as? Bool == false,
                "\(farmRow)")
        let text = try box.ok(["peers", "list"], node: "hub")
        #expect(text.contains("dialed in") && text.contains("other-farm"), "\(text)")
        // The hub knows what the farm holds, so a bundle for it carries nothing it has.
        let bundle = try box.json(["bundle", "create", box.path("for-farm.bundle"), "--for", "farm"], node: "hub") as? [String: Any]
        #expect(bundle?["events"] as? Int == 0, "\(String(describing: bundle))")
        farm.stop()
        // What the list shows is what `peers remove` takes.
        let shown = try #require(otherRow["address"] as? String)
        try box.ok(["peers", "remove", shown], node: "hub")
        #expect(try Self.peers(box, "hub").contains { $0["node"] as? String == otherNode } == false)
        hub.stop()
    }
}
