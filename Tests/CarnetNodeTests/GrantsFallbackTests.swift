import CarnetNet
import CarnetNode
import CarnetSync
import Foundation
import Testing

/// A dialer that speaks grants meets a hub from before them (SPEC 8.2.1): the hub refuses
/// message 1's bit 2 as `malformed`; `carnet sync` dials once more without it, syncs, and
/// says so in its report. A hub that speaks them syncs on the first try.
@Suite(.serialized)
struct GrantsFallbackTests {
    let secret = LedgerSecret.generate()

    private func serve(_ node: TestNode, grants: Bool) throws -> RunningServer {
        var configuration = Server.Configuration()
        configuration.listen = SocketAddress(host: "127.0.0.1", port: 0)
        configuration.session.grants = grants
        return RunningServer(try Server(store: try node.open(), secret: secret, configuration: configuration) { _ in })
    }

    @Test(arguments: [false, true])
    func aDialerSyncsWithAHubWithOrWithoutGrants(hubSpeaksGrants: Bool) throws {
        let hub = try TestNode(label: "hub", secret: secret)
        let farm = try TestNode(label: "farm", secret: secret)
        defer { [hub, farm].forEach { $0.cleanUp() } }
        try farm.write(5, prefix: "g")
        let server = try serve(hub, grants: hubSpeaksGrants)
        defer { server.stop() }
        var settings = SessionSettings()
        settings.grants = true
        let report = try SyncClient.sync(store: try farm.open(), secret: secret, address: server.address, settings: settings)
        #expect(report.succeeded, "\(report.failure ?? "")")
        #expect(report.dialedAgainWithoutGrants == !hubSpeaksGrants)
        #expect(report.statistics.eventsSentNew == 5)
    }
}
