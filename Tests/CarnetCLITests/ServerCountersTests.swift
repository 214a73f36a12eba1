import Foundation
import Testing

/// `carnet status --json` on a node whose `carnet serve` met an honest farm, a stranger
/// with another secret, and bytes that are not Carnet: the counters say so by reason.
@Suite(.serialized)
struct ServerCountersTests {
    typealias Node = SyncProcessTests.ServedNode

    static func server(_ node: Node) throws -> [String: Any]? {
        let run = try node.carnet(["status", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        return object?["server"] as? [String: Any]
    }

    @Test func statusShowsWhatTheServerCountedByReason() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("carnet-counters-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        for name in ["ledger.key", "other.key"] {
            #expect(try CommandLineTests.carnet(["secret", "new", "--out", root + "/" + name]).status == 0)
        }
        let hub = try Node(root: root, label: "hub", secretFile: root + "/ledger.key")
        let farm = try Node(root: root, label: "farm", secretFile: root + "/ledger.key")
        let stranger = try Node(root: root, label: "stranger", secretFile: root + "/other.key")
        #expect(try Self.server(hub) == nil, "no server ran here yet")
        #expect(try farm.carnet(["product", "set", "miel", "--name", "Miel", "--unit", "g"]).status == 0)
        try hub.start()

        #expect(try farm.carnet(["sync", "127.0.0.1:\(hub.port)"]).status == 0)
        #expect(try stranger.carnet(["sync", "127.0.0.1:\(hub.port)"]).status != 0)
        let socket = try RawSocket(port: hub.port)
        socket.send(Array("GET / HTTP/1.1\r\n\r\n".utf8))
        socket.close()

        var server: [String: Any]?
        let deadline = Date().addingTimeInterval(10)
        repeat {
            server = try Self.server(hub)
            let sessions = server?["sessions"] as? [String: Any]
            if (sessions?["completed"] as? Int ?? 0) >= 1, (sessions?["failed"] as? Int ?? 0) >= 2 { break }
            Thread.sleep(forTimeInterval: 0.2)
        } while Date() < deadline
        let sessions = server?["sessions"] as? [String: Any]
        #expect(server?["running"] as? Bool == true, "\(String(describing: server))")
        #expect(sessions?["started"] as? Int == 3 && sessions?["completed"] as? Int == 1 && sessions?["failed"] as? Int == 2,
                "\(String(describing: sessions))")
        #expect(server?["authenticationFailures"] as? Int == 1)
        #expect((server?["rejected"] as? [String: Any])?["not-carnet"] as? Int == 1, "\(String(describing: server))")
        #expect(((server?["events"] as? [String: Any])?["receivedNew"] as? Int ?? 0) >= 1)

        let (status, _) = hub.stop()
        #expect(status == 0)
        let after = try Self.server(hub)
        #expect(after?["running"] as? Bool == false)
        #expect((after?["sessions"] as? [String: Any])?["open"] as? Int == 0)
    }
}
