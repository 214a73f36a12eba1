import CarnetCore
import CarnetNet
import CarnetNode
import CarnetStore
import CarnetSync
import Foundation
import Testing

/// Real sessions over loopback TCP between real stores: a farm syncing with a hub's
/// server, transitivity through the hub, a wrong secret, live push between two servers.
@Suite(.serialized)
struct TCPSyncTests {
    let secret = LedgerSecret.generate()

    func serve(_ node: TestNode, peers: [SocketAddress] = [], interval: Duration = .seconds(30)) throws -> RunningServer {
        var configuration = Server.Configuration()
        configuration.listen = SocketAddress(host: "127.0.0.1", port: 0)
        configuration.peers = peers
        configuration.interval = interval
        return RunningServer(try Server(store: try node.open(), secret: LedgerSecret.load(directory: node.directory),
                                        configuration: configuration) { _ in })
    }

    @Test func farmsThatOnlyTalkToTheHubGetEachOthersEvents() throws {
        let hub = try TestNode(label: "hub", secret: secret)
        let farms = try (0..<3).map { try TestNode(label: "farm-\($0)", secret: secret) }
        defer { ([hub] + farms).forEach { $0.cleanUp() } }
        for (index, farm) in farms.enumerated() { try farm.write(5 + index, prefix: "f\(index)") }
        let server = try serve(hub)
        defer { server.stop() }
        // Each farm syncs twice: the first round brings the hub everything, the second
        // brings each farm the others'.
        for _ in 0..<2 {
            for farm in farms {
                let report = try SyncClient.sync(store: try farm.open(), secret: secret, address: server.address)
                #expect(report.succeeded, "\(String(describing: report.failure))")
            }
        }
        let digests = try farms.map { try $0.open() }.map { store -> HistorySummary in store.summary }
        #expect(Set(digests).count == 1, "every farm holds the same events")
        #expect(digests[0].versionVector.total == 5 + 6 + 7)
        // The hub's status file was refreshed by the server.
        let states = PeerBook.states(directory: farms[0].directory)
        #expect(states[server.address.description]?.lastSyncMillis != nil)
    }

    @Test func aSecondSyncSendsNothingButTheHandshake() throws {
        let hub = try TestNode(label: "hub", secret: secret)
        let farm = try TestNode(label: "farm", secret: secret)
        defer { [hub, farm].forEach { $0.cleanUp() } }
        try farm.write(20, prefix: "f")
        let server = try serve(hub)
        defer { server.stop() }
        let first = try SyncClient.sync(store: try farm.open(), secret: secret, address: server.address)
        #expect(first.statistics.eventsSentNew == 20)
        let second = try SyncClient.sync(store: try farm.open(), secret: secret, address: server.address)
        #expect(second.succeeded && second.statistics.eventsSent == 0 && second.statistics.eventsReceived == 0)
        #expect(second.statistics.bytesSent < 400, "\(second.statistics.bytesSent) bytes sent in sync")
    }

    @Test func aWrongSecretIsAClearErrorOnBothSides() throws {
        let hub = try TestNode(label: "hub", secret: secret)
        let stranger = try TestNode(label: "stranger", secret: LedgerSecret.generate())
        defer { [hub, stranger].forEach { $0.cleanUp() } }
        try stranger.write(3, prefix: "s")
        let server = try serve(hub)
        defer { server.stop() }
        let report = try SyncClient.sync(store: try stranger.open(), secret: try LedgerSecret.load(directory: stranger.directory),
                                         address: server.address)
        #expect(!report.succeeded)
        #expect(report.failure?.contains("secret") == true, "\(String(describing: report.failure))")
        #expect(try hub.open().summary.versionVector.isEmpty, "the hub took nothing from a stranger")
    }

    @Test func twoServersPushNewEventsLive() throws {
        let hub = try TestNode(label: "hub", secret: secret)
        let farm = try TestNode(label: "farm", secret: secret)
        defer { [hub, farm].forEach { $0.cleanUp() } }
        let hubServer = try serve(hub)
        defer { hubServer.stop() }
        let farmServer = try serve(farm, peers: [hubServer.address], interval: .seconds(1))
        defer { farmServer.stop() }
        // The CLI writes on the farm while its server runs; the server picks it up and
        // pushes it over the live session.
        try farm.write(4, prefix: "live")
        let deadline = Date().addingTimeInterval(10)
        var received: UInt64 = 0
        while Date() < deadline {
            received = NodeStoreProbe.eventCount(hub.directory)
            if received >= 4 { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(received == 4, "the hub got the farm's new events without a new session")
    }
}

/// Reads a node's event count from its log, as a separate reader would.
enum NodeStoreProbe {
    static func eventCount(_ directory: String) -> UInt64 {
        guard let log = try? EventLog(directory: directory) else { return 0 }
        return UInt64(log.recovered.count)
    }
}
