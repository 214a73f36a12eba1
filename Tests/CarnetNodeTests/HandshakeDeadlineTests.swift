import CarnetCore
import CarnetNet
import CarnetNode
import CarnetSync
import CarnetWire
import Foundation
import Testing

/// `serve`'s handshake deadline (SPEC 8.4, "Connection limits") against a real server over
/// loopback, made tight (1 s) so that each case is quick. It guards against connections
/// that never prove anything (slow-loris): those are still closed at the deadline. A
/// member whose message 1 read under the ledger's secret is past it: its dialer may take a
/// while before its first SEALED frame (a SUMMARY in parts is taken whole first, seconds
/// on a loaded farm: ManyNodesTests' flake), and the session's idle rules bound it.
@Suite(.serialized)
struct HandshakeDeadlineTests {
    let secret = LedgerSecret.generate()

    private func serve(_ node: TestNode, log: Lines) throws -> RunningServer {
        var configuration = Server.Configuration()
        configuration.listen = SocketAddress(host: "127.0.0.1", port: 0)
        configuration.handshakeDeadline = .seconds(1)
        configuration.dropSummaryInterval = .milliseconds(200)
        return RunningServer(try Server(store: try node.open(), secret: secret, configuration: configuration) { log.append($0) })
    }

    /// A member's dialer whose first SEALED frame leaves 2 s after message 2 arrived (twice
    /// the deadline) completes its session; nothing is dropped.
    @Test func aMemberSlowToSendItsFirstSealedFrameIsNotCut() throws {
        let hub = try TestNode(label: "hub", secret: secret)
        defer { hub.cleanUp() }
        try hub.write(3, prefix: "h")
        let log = Lines()
        let server = try serve(hub, log: log)
        defer { server.stop() }
        let peer = try ScriptedPeer.dial(port: server.address.port, secret: secret.bytes, ledger: "consortium", label: "slow-farm")
        peer.tamper = { index, _, _ in
            if index == 1 { Thread.sleep(forTimeInterval: 2) }
            return .pass
        }
        peer.run(timeout: .seconds(10))
        #expect(peer.end?.isSuccess == true, "the member's session: \(String(describing: peer.end))")
        #expect(peer.errorsReceived.isEmpty, "\(peer.errorsReceived)")
        let lines = log.waitFor { $0.contains { $0.contains("session with slow-farm") } }
        #expect(lines.contains { $0.contains("session with slow-farm") && !$0.contains("ended:") }, "\(lines)")
        #expect(!lines.contains { $0.contains("handshake deadline") && !$0.contains(" 0 past the") }, "\(lines)")
    }

    /// The deadline still holds for whoever proved nothing: the start of a message 1, then
    /// silence (slow-loris), is closed at the deadline (not at the session's own 10 s
    /// handshake timeout), told nothing, and summed up in the log as past the deadline.
    @Test func aConnectionThatProvedNothingIsClosedAtTheDeadline() throws {
        let hub = try TestNode(label: "hub", secret: secret)
        defer { hub.cleanUp() }
        let log = Lines()
        let server = try serve(hub, log: log)
        defer { server.stop() }
        let probe = try RawProbe.connect(port: server.address.port)
        let start = ContinuousClock.now
        probe.send(Array(Wire.message1(secret: secret.bytes, nonce: Wire.randomBytes(32)).prefix(20)))
        let (bytes, closed) = probe.readUntilClosed(since: start, timeout: .seconds(15))
        probe.close()
        #expect(bytes.isEmpty, "nothing is said to a peer that proved nothing")
        let after = try #require(closed, "never closed")
        #expect(after >= .milliseconds(900) && after < .seconds(4), "closed \(after) after it connected (deadline 1 s)")
        let lines = log.waitFor { $0.contains { $0.contains("1 past the 1.0 seconds handshake deadline") } }
        #expect(lines.contains { $0.contains("1 past the 1.0 seconds handshake deadline") }, "\(lines)")
    }

    /// A message 1 that reads (a member's, or a recording replayed to a process whose cache
    /// never saw it), then a SEALED frame that never completes, one byte at a time: each
    /// byte would reset the idle timeout, but the first SEALED frame must open within it
    /// from message 1, so the connection is closed then (idle timeout 2 s here), not held
    /// for as long as the bytes trickle.
    @Test func aMessage1ThenATrickleIsClosedAtTheIdleTimeout() throws {
        let hub = try TestNode(label: "hub", secret: secret)
        defer { hub.cleanUp() }
        let log = Lines()
        var configuration = Server.Configuration()
        configuration.listen = SocketAddress(host: "127.0.0.1", port: 0)
        configuration.handshakeDeadline = .seconds(1)
        configuration.session.idleTimeout = .seconds(2)
        let server = RunningServer(try Server(store: try hub.open(), secret: secret, configuration: configuration) { log.append($0) })
        defer { server.stop() }
        let probe = try RawProbe.connect(port: server.address.port)
        defer { probe.close() }
        let start = ContinuousClock.now
        let nonce = Wire.randomBytes(32), message1 = Wire.message1(secret: secret.bytes, nonce: nonce)
        probe.send(message1 + Wire.be32(1_000) + [FrameType.sealed.rawValue])
        var closed: Duration?
        var answer: [UInt8] = []
        while closed == nil, ContinuousClock.now - start < .seconds(8) {
            probe.send([0xAB])
            let read = probe.readUntilClosed(since: start, timeout: .milliseconds(300))
            answer += read.bytes
            closed = read.closedAfter
        }
        let after = try #require(closed, "still open after 8 s of trickling")
        #expect(after >= .milliseconds(1_900) && after < .seconds(4), "closed \(after) after message 1 (idle timeout 2 s)")
        let told = Wire.errors(of: Wire.messages(in: answer, secret: secret.bytes, nonce: nonce, message1: message1))
        #expect(told.map(\.code) == [.timeout], "told under the channel: \(told)")
        let lines = log.waitFor { $0.contains { $0.contains("session with 127.0.0.1:\(probe.localPort):") } }
        #expect(lines.contains { $0.contains("session with 127.0.0.1:\(probe.localPort):") && $0.contains("(timeout)") }, "\(lines)")
    }

    /// A deadline equal to the session's own handshake timeout (the hostile table runs
    /// `serve --handshake-deadline 10`, the session's 10 s): the session's timeout is the
    /// one told, so the server logs the connection on a line of its own rather than in the
    /// summary of dropped ones. Both count from the session's start; here that start comes
    /// well after the runner's first instant, as it does when the store has much to read
    /// first (what another writer stored since it last looked: 30,000 events of as many
    /// nodes, as a hub takes from a bundle).
    @Test func atAnEqualDeadlineTheSessionsOwnTimeoutIsTold() throws {
        let hub = try TestNode(label: "hub", secret: secret)
        defer { hub.cleanUp() }
        let store = try hub.open()
        let events = (0..<30_000).map { index -> Event in
            var one = Replica(node: NodeID.derived(from: "writer-\(index)"))
            return one.assign(FieldKey("note", "n\(index)", "v"), .int(Int64(index)), wallMillis: 1_790_000_000_000)
        }
        #expect(try hub.open().persist(events, fromSession: 0) == events.count)
        let listener = try TCPListener(address: SocketAddress(host: "127.0.0.1", port: 0))
        defer { listener.close() }
        let probe = try RawProbe.connect(port: listener.port)
        defer { probe.close() }
        probe.send(Array(Wire.message1(secret: secret.bytes, nonce: Wire.randomBytes(32)).prefix(20)))
        let connection = try #require(try listener.accept(timeout: .seconds(5)))
        var settings = SessionSettings()
        settings.handshakeTimeout = .seconds(1)
        let report = try SessionRunner(connection: connection).run(role: .listener, store: store, secret: secret, live: true,
                                                                  settings: settings, handshakeDeadline: .seconds(1))
        #expect(report.dropped == nil, "dropped (\(String(describing: report.dropped))) after \(report.elapsed)")
        #expect(report.failure?.contains("did not complete the handshake within 1.0 seconds") == true,
                "\(String(describing: report.failure))")
    }
}

/// A server's log lines, gathered from its threads.
final class Lines: @unchecked Sendable {
    // `@unchecked Sendable` is sound: `lines` is only touched under `lock`.
    private let lock = NSLock()
    private var lines: [String] = []

    func append(_ line: String) {
        lock.lock()
        lines.append(line)
        lock.unlock()
    }

    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return lines
    }

    /// Polls until `done` holds of the lines (or 10 s pass); returns them.
    func waitFor(_ done: ([String]) -> Bool) -> [String] {
        let deadline = ContinuousClock.now + .seconds(10)
        while !done(all), ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.05) }
        return all
    }
}
