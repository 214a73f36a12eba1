import CarnetCore
import CarnetNet
import CarnetNode
import CarnetStore
import CarnetSync
import CarnetWire
import Foundation
import Testing

/// A real server over loopback facing peers that misbehave: each gets a clear error and a
/// closed connection, and an honest farm still syncs meanwhile.
@Suite(.serialized)
struct HostilePeerTests {
    let secret = LedgerSecret.generate()

    /// `impatient`: short handshake and idle timeouts, for the slow-loris test only (an
    /// honest session under a sanitizer's slowdown must not trip them).
    func serve(_ node: TestNode, maxSessions: Int = 16, impatient: Bool = false) throws -> RunningServer {
        var configuration = Server.Configuration()
        configuration.listen = SocketAddress(host: "127.0.0.1", port: 0)
        configuration.maxSessions = maxSessions
        if impatient {
            configuration.session.handshakeTimeout = .seconds(1)
            configuration.session.idleTimeout = .seconds(2)
        }
        return RunningServer(try Server(store: try node.open(), secret: secret, configuration: configuration) { _ in })
    }

    /// Everything the server sends until it closes (or 5 s pass).
    func answer(to bytes: [UInt8], at address: SocketAddress) throws -> [UInt8] {
        let connection = try TCPConnection.connect(to: address, timeout: .seconds(2))
        defer { connection.close() }
        try connection.send(bytes, timeout: .seconds(2))
        var received: [UInt8] = []
        let deadline = ContinuousClock().now + .seconds(5)
        while ContinuousClock().now < deadline {
            guard let chunk = try? connection.receive(maxBytes: 4096, timeout: .seconds(5)), !chunk.isEmpty else { break }
            received += chunk
        }
        return received
    }

    /// The ERROR the server sent in clear, if any.
    func errorCode(in bytes: [UInt8]) -> SessionErrorCode? {
        var decoder = FrameDecoder()
        decoder.feed(bytes)
        while let frame = try? decoder.next() {
            if frame.type == .error, case let .error(error)? = try? SessionMessage.decode(type: .error, body: frame.payload) {
                return error.code
            }
        }
        return nil
    }

    func honestSyncWorks(_ server: RunningServer) throws {
        let farm = try TestNode(label: "honest", secret: secret)
        defer { farm.cleanUp() }
        try farm.write(3, prefix: "h\(UUID().uuidString.prefix(4))")
        let report = try SyncClient.sync(store: try farm.open(), secret: secret, address: server.address)
        #expect(report.succeeded, "\(String(describing: report.failure))")
    }

    static let dialerNonce = [UInt8](repeating: 9, count: 32)
    var dialerHello: [UInt8] { Wire.message1(secret: secret.bytes, nonce: Self.dialerNonce) }

    /// Garbage gets nothing back (a listener tells no one but a member anything), and the
    /// connection is closed.
    @Test func garbageGetsNothing() throws {
        let hub = try TestNode(label: "hub", secret: secret)
        defer { hub.cleanUp() }
        let server = try serve(hub)
        defer { server.stop() }
        let reply = try answer(to: Array("GET / HTTP/1.1\r\nHost: hub\r\n\r\n".utf8), at: server.address)
        #expect(reply.isEmpty)
        try honestSyncWorks(server)
    }

    /// A member's message 1 recorded and played again to the live server gets zero bytes
    /// back (SPEC 8.2.6): the size of a second message 2 would say whether the hub's state
    /// changed since the recording.
    @Test func aReplayedMessage1GetsZeroBytes() throws {
        let hub = try TestNode(label: "hub", secret: secret)
        defer { hub.cleanUp() }
        let server = try serve(hub)
        defer { server.stop() }
        let message1 = Wire.message1(secret: secret.bytes, nonce: Wire.randomBytes(32))
        #expect(Wire.types(in: try answer(to: message1, at: server.address)).first == .handshake2, "the original is answered")
        #expect(try answer(to: message1, at: server.address).isEmpty, "the replay gets nothing")
        try honestSyncWorks(server)
    }

    @Test func anOversizedLengthIsRefusedBeforeItArrives() throws {
        let hub = try TestNode(label: "hub", secret: secret)
        defer { hub.cleanUp() }
        let server = try serve(hub)
        defer { server.stop() }
        let reply = try answer(to: dialerHello + [0x7F, 0xFF, 0xFF, 0xFF, 0x12], at: server.address)
        let told = Wire.errors(of: Wire.messages(in: reply, secret: secret.bytes, nonce: Self.dialerNonce, message1: dialerHello))
        #expect(told.map(\.code) == [.frameTooLarge], "\(told)")
        try honestSyncWorks(server)
    }

    @Test func aTruncatedFrameAndAHangUpLeaveTheServerServing() throws {
        let hub = try TestNode(label: "hub", secret: secret)
        defer { hub.cleanUp() }
        let server = try serve(hub)
        defer { server.stop() }
        let connection = try TCPConnection.connect(to: server.address, timeout: .seconds(2))
        try connection.send(Array(dialerHello.prefix(20)), timeout: .seconds(2))
        connection.close()
        try honestSyncWorks(server)
        #expect(try hub.open().summary.versionVector.nodes.count == 1)
    }

    @Test func aSlowLorisIsDroppedWhileOthersSync() throws {
        let hub = try TestNode(label: "hub", secret: secret)
        defer { hub.cleanUp() }
        let server = try serve(hub, impatient: true)
        defer { server.stop() }
        // Sends its message 1 one byte every 300 ms: never completes the handshake in time.
        let loris = try TCPConnection.connect(to: server.address, timeout: .seconds(2))
        defer { loris.close() }
        let started = ContinuousClock().now
        var closed = false
        for byte in dialerHello {
            if (try? loris.send([byte], timeout: .seconds(1))) == nil { closed = true; break }
            if (try? loris.waitForInput(timeout: .milliseconds(300), wakeup: nil)) == .readable,
               let bytes = try? loris.receive(maxBytes: 4096, timeout: .milliseconds(10)) {
                if bytes.isEmpty { closed = true; break }
                if errorCode(in: bytes) == .timeout { closed = true; break }
            }
            if ContinuousClock().now - started > .seconds(6) { break }
        }
        try honestSyncWorks(server)
        #expect(closed, "the server dropped the slow peer")
    }

    @Test func pastTheSessionCapPeersAreToldBusy() throws {
        let hub = try TestNode(label: "hub", secret: secret)
        defer { hub.cleanUp() }
        let server = try serve(hub, maxSessions: 2)
        defer { server.stop() }
        // Two live authenticated sessions fill the cap (idle connections would not: they have
        // their own budget, ConnectionFloodTests).
        let farms = try (0..<2).map { try TestNode(label: "live\($0)", secret: secret) }
        defer { farms.forEach { $0.cleanUp() } }
        let runners = try farms.map { _ in try SessionRunner(connection: try TCPConnection.connect(to: server.address, timeout: .seconds(2))) }
        let group = DispatchGroup()
        for (farm, runner) in zip(farms, runners) {
            let store = try farm.open(), secret = secret
            DispatchQueue.global().async(group: group) { _ = runner.run(role: .dialer, store: store, secret: secret, live: true) }
        }
        defer { runners.forEach { $0.stop() }; group.wait() }
        let deadline = Date().addingTimeInterval(10)
        while server.server.sessionCount - server.server.pendingCount < 2, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        let reply = try answer(to: dialerHello, at: server.address)
        #expect(errorCode(in: reply) == .busy, "an ERROR in clear: the one thing said before message 1 is read")
    }

    @Test func aConnectionCutMidBatchResumesWithoutResendingStoredBatches() throws {
        let hub = try TestNode(label: "hub", secret: secret)
        let farm = try TestNode(label: "farm", secret: secret)
        defer { [hub, farm].forEach { $0.cleanUp() } }
        try farm.write(3_000, prefix: "cut")
        let server = try serve(hub)
        defer { server.stop() }
        let proxy = try CuttingProxy(target: server.address, cutAfter: 8_000)
        defer { proxy.stop() }
        var settings = SessionSettings()
        settings.batchEvents = 200
        let first = try SyncClient.sync(store: try farm.open(), secret: secret, address: proxy.address, settings: settings)
        #expect(!first.succeeded, "the cut interrupts the first session")
        Thread.sleep(forTimeInterval: 0.3)
        let stored = NodeStoreProbe.eventCount(hub.directory)
        #expect(stored > 0 && stored < 3_000, "\(stored) events stored before the cut")
        let second = try SyncClient.sync(store: try farm.open(), secret: secret, address: server.address, settings: settings)
        #expect(second.succeeded, "\(String(describing: second.failure))")
        #expect(NodeStoreProbe.eventCount(hub.directory) == 3_000)
        // What the hub had stored is not sent again: the second session sends exactly the rest.
        #expect(second.statistics.eventsSent == UInt64(3_000) - stored)
    }
}
