import CarnetLinkSim
import CarnetNet
import CarnetNode
import CarnetSync
import Foundation
import Testing

/// Sessions through the link simulator: delays and bandwidth apply, and a link cut every
/// second still lets a large sync finish over a few sessions.
@Suite(.serialized)
struct LinkSimulatorTests {
    let secret = LedgerSecret.generate()

    func serve(_ node: TestNode) throws -> RunningServer {
        var configuration = Server.Configuration()
        configuration.listen = SocketAddress(host: "127.0.0.1", port: 0)
        return RunningServer(try Server(store: try node.open(), secret: secret, configuration: configuration) { _ in })
    }

    @Test func profilesParseFromTheCommandLineForm() throws {
        let profile = try LinkProfile(parsing: "rate=64kbit,rtt=600ms,jitter=20ms,cut-every=5s,seed=7")
        #expect(profile.upBytesPerSecond == 8_000 && profile.downBytesPerSecond == 8_000)
        #expect(profile.roundTrip == .milliseconds(600) && profile.jitter == .milliseconds(20))
        #expect(profile.cutEvery == .seconds(5) && profile.seed == 7)
        #expect(throws: LinkProfileError.self) { try LinkProfile(parsing: "rate=fast") }
        #expect(throws: LinkProfileError.self) { try LinkProfile(parsing: "latency=5ms") }
    }

    @Test func aSyncThroughASlowLinkTakesItsRoundTrips() throws {
        let hub = try TestNode(label: "hub", secret: secret)
        let farm = try TestNode(label: "farm", secret: secret)
        defer { [hub, farm].forEach { $0.cleanUp() } }
        try farm.write(50, prefix: "slow")
        let server = try serve(hub)
        defer { server.stop() }
        let link = try LinkSimulator(target: server.address, profile: .rural(kilobits: 256, roundTripMilliseconds: 200))
        defer { link.stop() }
        let start = ContinuousClock().now
        let report = try SyncClient.sync(store: try farm.open(), secret: secret, address: link.address)
        let elapsed = ContinuousClock().now - start
        #expect(report.succeeded, "\(String(describing: report.failure))")
        // Two protocol round trips of 200 ms at least: the simulator delays every byte.
        #expect(elapsed >= .milliseconds(400), "\(elapsed)")
        let counted = link.statistics
        #expect(counted.bytesUp == report.statistics.bytesSent && counted.bytesDown == report.statistics.bytesReceived)
    }

    @Test func aLinkCutEverySecondStillLetsABigSyncFinish() throws {
        let hub = try TestNode(label: "hub", secret: secret)
        let farm = try TestNode(label: "farm", secret: secret)
        defer { [hub, farm].forEach { $0.cleanUp() } }
        try farm.write(6_000, prefix: "cut")
        let server = try serve(hub)
        defer { server.stop() }
        var profile = LinkProfile.rural(kilobits: 150, roundTripMilliseconds: 50)
        profile.cutEvery = .seconds(1)
        let link = try LinkSimulator(target: server.address, profile: profile)
        defer { link.stop() }
        var settings = SessionSettings()
        settings.batchEvents = 500
        var sessions = 0, resent: UInt64 = 0
        var done = false
        while !done && sessions < 20 {
            sessions += 1
            let report = try SyncClient.sync(store: try farm.open(), secret: secret, address: link.address, settings: settings)
            resent += report.statistics.eventsSent - min(report.statistics.eventsSent, report.statistics.eventsSentNew)
            done = report.succeeded
        }
        #expect(done, "finished after \(sessions) sessions")
        #expect(sessions >= 2, "the link was cut at least once")
        #expect(NodeStoreProbe.eventCount(hub.directory) == 6_000)
        #expect(link.statistics.cuts >= 1)
    }
}
