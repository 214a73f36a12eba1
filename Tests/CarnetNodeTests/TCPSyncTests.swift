import CarnetCore
import CarnetLinkSim
import CarnetNet
@testable import CarnetNode
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

    /// Events written while a live session is still shaking hands (after it took its
    /// summary, before the peer's arrived) reach the peer with no later write to carry
    /// them: through the plan made when the peer's summary arrives, or the feed.
    @Test func eventsWrittenDuringTheHandshakeArePushedLive() throws {
        let hub = try TestNode(label: "hub", secret: secret)
        let farm = try TestNode(label: "farm", secret: secret)
        defer { [hub, farm].forEach { $0.cleanUp() } }
        let hubStore = try hub.open()
        var configuration = Server.Configuration()
        configuration.listen = SocketAddress(host: "127.0.0.1", port: 0)
        let hubServer = RunningServer(try Server(store: hubStore, secret: LedgerSecret.load(directory: hub.directory),
                                                 configuration: configuration) { _ in })
        defer { hubServer.stop() }
        // 400 ms round trips: connect, HELLOs and proofs take well over a second, and
        // every write below lands before the session is live.
        let link = try LinkSimulator(target: hubServer.address, profile: .rural(kilobits: 1_000, roundTripMilliseconds: 400))
        defer { link.stop() }
        let farmServer = try serve(farm, peers: [link.address], interval: .seconds(3600))
        defer { farmServer.stop() }
        for index in 0..<10 {
            try hubStore.write([.append(Entry(id: "early-\(index)", kind: "harvest", fields: [Field("qty", .int(Int64(index)))]))],
                               wallMillis: 1_790_000_000_000 + UInt64(index))
            Thread.sleep(forTimeInterval: 0.08)
        }
        let deadline = Date().addingTimeInterval(10)
        var received: UInt64 = 0
        while Date() < deadline {
            received = NodeStoreProbe.eventCount(farm.directory)
            if received >= 10 { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(received == 10, "the farm got every event written during its session's handshake")
    }
}

/// Reads a node's event count from its log, as a separate reader would.
enum NodeStoreProbe {
    static func eventCount(_ directory: String) -> UInt64 {
        guard let log = try? EventLog.open(directory: directory) else { return 0 }
        return UInt64(log.recovered.count)
    }
}

/// The shared store of a server hands live sessions every event another process wrote,
/// also when persisting a peer's batch took that event in before `refresh()` could.
struct SharedStoreFeedTests {
    @Test func aCLIWriteTakenInByAReceiveIsNewsForEveryLiveSession() throws {
        let node = try TestNode(label: "farm", secret: LedgerSecret.generate())
        defer { node.cleanUp() }
        let shared = try node.open()
        let (session, _, _) = shared.register(live: true) {}
        let (other, _, _) = shared.register(live: true) {}
        defer { [session, other].forEach(shared.unregister) }
        try node.write(1, prefix: "cli")  // another process: `carnet record`
        var peer = Replica(node: NodeID.derived(from: "peer"))
        let fromPeer = peer.write(.append(Entry(id: "peer-0", kind: "harvest", fields: [])), wallMillis: 1_790_000_000_000)
        _ = try shared.persist([fromPeer], fromSession: session)

        let cliEvent = ["cli-0"]
        func entryIDs(_ events: [Event]) -> [String] {
            events.compactMap { if case let .append(entry) = $0.operation { entry.id } else { nil } }.sorted()
        }
        #expect(entryIDs(shared.news(for: session)) == cliEvent, "the receiving session's own peer lacks the CLI's event too")
        #expect(entryIDs(shared.news(for: other)) == (cliEvent + ["peer-0"]).sorted())
        #expect(try shared.refresh() == 0, "nothing left for refresh to report")
    }

    /// A farm's first sync is one-shot: the feed kept every event it brought for a news
    /// reader that never came (200 MB at 1M). What a one-shot session brings is news for
    /// the live ones still.
    @Test func nothingIsKeptForSessionsThatNeverReadNews() throws {
        let node = try TestNode(label: "farm", secret: LedgerSecret.generate())
        defer { node.cleanUp() }
        let shared = try node.open()
        let (oneShot, _, _) = shared.register(live: false) {}
        defer { shared.unregister(oneShot) }
        var peer = Replica(node: NodeID.derived(from: "peer"))
        let batch = (0..<50).map { peer.write(.append(Entry(id: "peer-\($0)", kind: "harvest", fields: [])), wallMillis: 1_790_000_000_000) }
        #expect(try shared.persist(batch, fromSession: oneShot) == 50)
        #expect(shared.feedLength == 0, "kept \(shared.feedLength) events that no session will read")
        #expect(shared.news(for: oneShot).isEmpty)

        let (live, _, _) = shared.register(live: true) {}
        defer { shared.unregister(live) }
        let more = (50..<60).map { peer.write(.append(Entry(id: "peer-\($0)", kind: "harvest", fields: [])), wallMillis: 1_790_000_000_000) }
        #expect(try shared.persist(more, fromSession: oneShot) == 10)
        #expect(shared.news(for: live).count == 10, "a one-shot session's events are news for a live one")
        #expect(shared.feedLength == 0, "read by the only live session, then let go")
    }
}
