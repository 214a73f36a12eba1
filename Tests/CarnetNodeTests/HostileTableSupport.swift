import CarnetCore
import CarnetNet
import CarnetSync
import CarnetWire
import Foundation
import Glibc
import Testing

// Equipment for HostileTableTests: the real `carnet` binary (a `serve` and one-shot
// commands), raw TCP probes, and a scripted peer that runs the real session state machine
// with the ledger secret so that a test can get past authentication and then misbehave.

/// The built `carnet` executable (found as the CLI tests find it: the test bundle sits in
/// the build folder beside it).
enum CarnetBinary {
    struct Run: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func url() throws -> URL {
        let folder = Bundle.main.bundleURL.deletingLastPathComponent()
        let candidates = [folder.appendingPathComponent("carnet"), Bundle.main.bundleURL.appendingPathComponent("carnet")]
        return try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) },
                            "carnet not built next to the tests (looked in \(folder.path)); build with --build-tests")
    }

    static var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        environment["CARNET_DIR"] = nil
        environment["CARNET_FAULTS"] = nil
        return environment
    }

    static func run(_ arguments: [String]) throws -> Run {
        let process = Process()
        process.executableURL = try url()
        process.arguments = arguments
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: stderr, as: UTF8.self))
    }
}

/// A running `carnet serve` on 127.0.0.1 (port chosen by the system), its stderr in a file
/// that tests read as it grows.
final class ServeProcess {
    let directory: String
    let logPath: String
    private let process = Process()
    private let stdout = Pipe()
    private(set) var port: UInt16 = 0

    init(directory: String, logPath: String) {
        self.directory = directory
        self.logPath = logPath
    }

    func start(peers: [String] = []) throws {
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.executableURL = try CarnetBinary.url()
        process.arguments = ["--dir", directory, "serve", "--listen", "127.0.0.1:0", "--interval", "3600"]
            + ["--max-pending", "2048", "--max-pending-per-address", "2048", "--handshake-deadline", "10"]  // each case alone (ConnectionFloodTests has the caps)
            + peers.flatMap { ["--peer", $0] }
        process.environment = CarnetBinary.environment
        process.standardOutput = stdout
        process.standardError = log
        try process.run()
        try? log.close()
        var buffer = Data()
        while !buffer.contains(UInt8(ascii: "\n")) {
            let chunk = stdout.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
        }
        let line = String(decoding: buffer, as: UTF8.self)
        guard let colon = line.lastIndex(of: ":"), let port = UInt16(line[line.index(after: colon)...].prefix { $0.isNumber }) else {
            throw Failure("serve did not say where it listens: \(line)")
        }
        self.port = port
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// SIGTERM, then the exit status.
    func stop() -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        kill(pid, SIGTERM)
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// For clean-up after a failed test: no waiting for a hung server.
    func kill9() {
        if process.isRunning { kill(pid, SIGKILL) }
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
    var logLines: [String] { log.split(separator: "\n").map(String.init) }

    /// Entries in /proc/<pid>/fd.
    var openDescriptors: Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1 }

    /// A figure of /proc/<pid>/status in KiB: "VmRSS" (now) or "VmHWM" (peak).
    func memoryKiB(_ field: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return -1 }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? -1
        }
        return -1
    }
}

struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// What `carnet status --json` says about a node and the server running on it.
struct NodeFigures {
    var digest = ""
    var events = 0
    var forks = 0
    var pending = 0
    var versionVector: [String: Int] = [:]
    var server = ServerFigures()

    struct ServerFigures: Equatable {
        var running = false
        var started = 0
        var completed = 0
        var failed = 0
        var open = 0
        var busy = 0
        var authenticationFailures = 0
        var failures: [String: Int] = [:]

        func failures(_ code: String) -> Int { failures[code] ?? 0 }
    }

    static func read(_ directory: String) throws -> NodeFigures {
        let run = try CarnetBinary.run(["--dir", directory, "status", "--json"])
        guard run.status == 0, let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any] else {
            throw Failure("status --json failed (\(run.status)): \(run.stderr)")
        }
        var figures = NodeFigures()
        figures.digest = object["digest"] as? String ?? "?"
        figures.events = object["events"] as? Int ?? -1
        figures.forks = object["forks"] as? Int ?? -1
        figures.pending = object["pending"] as? Int ?? -1
        figures.versionVector = object["versionVector"] as? [String: Int] ?? [:]
        if let server = object["server"] as? [String: Any] {
            let sessions = server["sessions"] as? [String: Any] ?? [:]
            figures.server.running = server["running"] as? Bool ?? false
            figures.server.started = sessions["started"] as? Int ?? 0
            figures.server.completed = sessions["completed"] as? Int ?? 0
            figures.server.failed = sessions["failed"] as? Int ?? 0
            figures.server.open = sessions["open"] as? Int ?? 0
            figures.server.busy = server["busyRefusals"] as? Int ?? 0
            figures.server.authenticationFailures = server["authenticationFailures"] as? Int ?? 0
            figures.server.failures = server["failures"] as? [String: Int] ?? [:]
        }
        return figures
    }
}

/// A plain TCP client for bytes no Carnet node would send.
struct RawProbe: Sendable {
    let connection: TCPConnection

    static func connect(port: UInt16) throws -> RawProbe {
        RawProbe(connection: try TCPConnection.connect(to: SocketAddress(host: "127.0.0.1", port: port), timeout: .seconds(5)))
    }

    var localPort: UInt16 { connection.localPort }

    /// False when the server had already closed (or reset) the connection.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        (try? connection.send(bytes, timeout: .seconds(3))) != nil
    }

    func hangUp() { connection.shutdownWrite() }
    func close() { connection.close() }

    /// Exactly `count` bytes (fewer if the server closes or `timeout` passes).
    func receive(_ count: Int, timeout: Duration = .seconds(5)) -> [UInt8] {
        var bytes: [UInt8] = []
        let deadline = ContinuousClock.now + timeout
        while bytes.count < count {
            let left = deadline - ContinuousClock.now
            guard left > .zero, let chunk = try? connection.receive(maxBytes: count - bytes.count, timeout: left), !chunk.isEmpty else { break }
            bytes += chunk
        }
        return bytes
    }

    /// Everything the server sends until it closes (EOF or reset) or `timeout` passes; and
    /// when it closed, as a time since `since` (nil: still open at the timeout).
    func readUntilClosed(since: ContinuousClock.Instant, timeout: Duration = .seconds(5)) -> (bytes: [UInt8], closedAfter: Duration?) {
        var bytes: [UInt8] = []
        let deadline = ContinuousClock.now + timeout
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return (bytes, nil) }
            do {
                let chunk = try connection.receive(maxBytes: 1 << 16, timeout: left)
                if chunk.isEmpty { return (bytes, ContinuousClock.now - since) }
                bytes += chunk
            } catch {
                if case .timedOut = error { return (bytes, nil) }
                return (bytes, ContinuousClock.now - since)  // reset: closed too
            }
        }
    }
}

/// Frames: a dialer HELLO, the unauthenticated ERRORs in a server's stream.
enum Wire {
    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// A version-1 HELLO (what a node of version 1 sends first), of `version`.
    static func v1Hello(role: SessionRole = .dialer, version: UInt8 = 1) -> [UInt8] {
        let start = Version1.helloPrefix + [0, version, role.rawValue]
        return start + randomBytes(4 + Version1.helloFrameLength - start.count)
    }

    /// A member's message 1 (HANDSHAKE-1 frame) under `secret` with the ephemeral key
    /// `nonce`, stating an empty state (so the listener answers with its full summary).
    static func message1(secret: [UInt8], nonce: [UInt8]) -> [UInt8] {
        var noise = HandshakeKeys.handshake(role: .dialer, ephemeral: nonce, psk: HandshakeKeys.psk(secret: secret, ledgerID: nil))
        let payload = DialerHello(wallMillis: 0, stateTag: HandshakeKeys.stateTag(of: CompactSummary(entries: []))).encoded
        return Frame(type: .handshake1, payload: (try? noise.writeMessage(payload: payload)) ?? []).encoded
    }

    /// The messages a listener sent a dialer (`message1`, with its ephemeral key `nonce`),
    /// read from the raw stream it answered: the ERRORs in clear, and every SEALED frame
    /// opened with the dialer's keys. Empty when it sent no message 2.
    static func messages(in stream: [UInt8], secret: [UInt8], nonce: [UInt8], message1: [UInt8]) -> [SessionMessage] {
        var decoder = FrameDecoder()
        decoder.feed(stream)
        var messages: [SessionMessage] = []
        var tap: DialerTap?
        var first = FrameDecoder()
        first.feed(message1)
        let sentFirst = (try? first.next())??.payload ?? []
        while let frame = try? decoder.next() {
            switch frame.type {
            case .handshake2:
                tap = DialerTap(secret: secret, nonce: nonce, message1: sentFirst, message2: frame.payload)
            case .sealed:
                if let inner = tap?.open(frame), let message = try? SessionMessage.decode(inner: inner) { messages.append(message) }
            case .error:
                if let message = try? SessionMessage.decode(type: .error, body: frame.payload) { messages.append(message) }
            default:
                continue
            }
        }
        return messages
    }

    static func errors(of messages: [SessionMessage]) -> [ErrorMessage] {
        messages.compactMap { if case let .error(error) = $0 { error } else { nil } }
    }

    static func be32(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }

    /// The ERROR frames in clear of a stream.
    static func errors(in stream: [UInt8]) -> [ErrorMessage] {
        var decoder = FrameDecoder()
        decoder.feed(stream)
        var errors: [ErrorMessage] = []
        while let frame = try? decoder.next() {
            if frame.type == .error, case let .error(error)? = try? SessionMessage.decode(type: .error, body: frame.payload) {
                errors.append(error)
            }
        }
        return errors
    }

    /// The frame types of a stream, as the wire shows them.
    static func types(in stream: [UInt8]) -> [FrameType] {
        var decoder = FrameDecoder()
        decoder.feed(stream)
        var types: [FrameType] = []
        while let frame = try? decoder.next() { types.append(frame.type) }
        return types
    }
}

/// One side of a session over a real connection, run by the node's own driver
/// (`PeerDriver`) and session state machine with a secret the test chooses, whose outgoing
/// frames a test can alter, replace, inject or cut. Driven from one thread.
final class ScriptedPeer {
    enum Step {
        /// Send the frame as the session made it.
        case pass
        /// Send these bytes instead (the moment is recorded as the tampering).
        case replace([[UInt8]])
        /// Send these bytes, then half-close and send nothing more.
        case hangUpAfter([UInt8])
    }

    let connection: TCPConnection
    let role: SessionRole
    let secret: [UInt8]
    let nonce: [UInt8]
    let label: String
    /// The session asked for grants (message 1's bit 2).
    let grants: Bool
    private let store: ScriptedStore
    private var driver: PeerDriver
    private let started = ContinuousClock.now
    /// Events handed to the session the first time it asks what the peer lacks.
    var offering: [Event] {
        get { store.offering }
        set { store.offering = newValue }
    }
    /// Called with each frame the session wants to send, numbered from 0 (message 1).
    var tamper: (_ index: Int, _ frame: [UInt8], _ peer: ScriptedPeer) -> Step = { _, _, _ in .pass }
    private(set) var produced = 0
    private(set) var received: [UInt8] = []
    private(set) var sent: [UInt8] = []
    var end: SessionEnd? { driver.report.end }
    /// Batches the server stored, and how many of their events were new to it.
    var acknowledged: (batches: Int, newEvents: UInt64) { (driver.report.acknowledgedBatches, driver.session.statistics.eventsSentNew) }
    var refusals: [String] { driver.report.refusedBatches.map(\.reason) }
    var identified: SummaryMessage? { driver.report.peer }
    private(set) var tamperedAt: ContinuousClock.Instant?
    private(set) var sentAt: [Int: ContinuousClock.Instant] = [:]
    private(set) var closedAt: ContinuousClock.Instant?
    private var hungUp = false

    /// `grants`: the session asks for them (message 1's bit 2) and speaks OFFER and GRANT
    /// when the server puts them in force, as a `serve` dialer does (SPEC 8.3 rule 8);
    /// without, it is a peer from before grants, as a one-shot `carnet sync` also is.
    init(connection: TCPConnection, role: SessionRole = .dialer, secret: [UInt8], ledger: String, label: String,
         grants: Bool = false) {
        self.connection = connection
        self.role = role
        self.secret = secret
        self.label = label
        self.grants = grants
        var generator = SystemRandomNumberGenerator()
        nonce = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        store = ScriptedStore(node: NodeID(using: &generator), ledger: ledger, label: label)
        var settings = SessionSettings()
        settings.grants = grants
        driver = PeerDriver(role: role, secret: secret, nonce: nonce, live: false, settings: settings, store: store)
    }

    static func dial(port: UInt16, secret: [UInt8], ledger: String, label: String, grants: Bool = false) throws -> ScriptedPeer {
        let connection = try TCPConnection.connect(to: SocketAddress(host: "127.0.0.1", port: port), timeout: .seconds(5))
        return ScriptedPeer(connection: connection, secret: secret, ledger: ledger, label: label, grants: grants)
    }

    var localPort: UInt16 { connection.localPort }
    /// The type of the message in this side's frame `index` (encrypted on the wire).
    func messageType(of index: Int) -> FrameType? {
        driver.session.sentLog.entry(index)?.messageType
    }
    private var now: Duration { ContinuousClock.now - started }

    /// The ERRORs the peer sent, read off the raw stream (in clear, or SEALED and opened
    /// with this side's keys): the session itself may have finished before one arrived.
    var errorsReceived: [ErrorMessage] {
        Wire.errors(of: Wire.messages(in: received, secret: secret, nonce: nonce, message1: sent))
    }

    /// How long after the tampering (or after frame `index` went out) the server closed.
    var closedAfterTampering: Duration? {
        guard let tamperedAt, let closedAt else { return nil }
        return closedAt - tamperedAt
    }

    func closedAfter(frame index: Int) -> Duration? {
        guard let sent = sentAt[index], let closedAt else { return nil }
        return closedAt - sent
    }

    /// The code and message the session ended with (its own failure or the peer's ERROR).
    var endCode: SessionErrorCode? {
        switch end?.outcome {
        case let .failed(code, _)?, let .closedByPeer(code, _)?: code
        default: nil
        }
    }

    var endMessage: String {
        switch end?.outcome {
        case let .failed(_, message)?, let .closedByPeer(_, message)?, let .interrupted(message)?: message
        default: ""
        }
    }

    /// Runs the session until the peer closes the connection (or `timeout`).
    func run(timeout: Duration = .seconds(10)) {
        var transport = TamperingTransport(peer: self)
        driver.start(store: store, transport: &transport, now: now)
        flush()
        let deadline = ContinuousClock.now + timeout
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { break }
            let bytes: [UInt8]
            do {
                bytes = try connection.receive(maxBytes: 1 << 16, timeout: left)
            } catch {
                if case .timedOut = error { break }
                closedAt = ContinuousClock.now
                break
            }
            if bytes.isEmpty {
                closedAt = ContinuousClock.now
                if !driver.session.isClosed { driver.peerClosed(store: store, transport: &transport, now: now) }
                flush()
                break
            }
            received += bytes
            if !driver.session.isClosed {
                driver.received(bytes, store: store, transport: &transport, now: now)
                flush()
                if driver.session.isClosed && !hungUp {
                    hungUp = true
                    connection.shutdownWrite()
                }
            }
        }
        driver.finish(store: store)
        connection.close()
    }

    /// A SEALED frame as this side's session would seal it: `inner` (a type byte and a
    /// body, any bytes) under this side's key at frame counter `counter` (SPEC 8.1).
    func sealed(inner: [UInt8], counter: UInt64) -> [UInt8] {
        var first = FrameDecoder(), reply = FrameDecoder()
        first.feed(sent)
        reply.feed(received)
        guard let message1 = (try? first.next())??.payload, let message2 = (try? reply.next())??.payload,
              var tap = DialerTap(secret: secret, nonce: nonce, message1: message1, message2: message2) else { return [] }
        for _ in 0..<counter { _ = tap.seal([]) }
        return tap.seal(inner).encoded
    }

    private func write(_ bytes: [UInt8], index: Int) {
        sentAt[index] = ContinuousClock.now
        sent += bytes
        _ = try? connection.send(bytes, timeout: .seconds(3))
    }

    /// Frames the session sent during the driver call under way: delivered once it
    /// returned, since the tampering reads the driver (what each frame carries) and must
    /// not while the call holds it.
    private var queued: [[UInt8]] = []

    fileprivate func enqueue(_ frame: [UInt8]) {
        queued.append(frame)
    }

    private func flush() {
        let frames = queued
        queued = []
        for frame in frames { deliver(frame) }
    }

    /// A frame the session sends, through the test's tampering.
    private func deliver(_ frame: [UInt8]) {
        let index = produced
        produced += 1
        guard !hungUp else { return }
        switch tamper(index, frame, self) {
        case .pass:
            write(frame, index: index)
        case let .replace(frames):
            tamperedAt = ContinuousClock.now
            for bytes in frames { write(bytes, index: index) }
        case let .hangUpAfter(bytes):
            tamperedAt = ContinuousClock.now
            write(bytes, index: index)
            hungUp = true
            connection.shutdownWrite()
        }
    }
}

/// What a scripted peer's session writes goes through its tampering to the socket (a
/// failed write is the server closing: the session learns it from the next read).
private struct TamperingTransport: PeerTransport {
    let peer: ScriptedPeer

    func send(_ bytes: [UInt8]) throws(PeerTransportFailure) {
        peer.enqueue(bytes)
    }
}

/// A scripted peer is no node: it holds nothing, stores nothing it is sent (each batch is
/// acknowledged with 0 new events), and offers what the test scripted, once, whatever the
/// server's summary says.
private final class ScriptedStore: PeerStore {
    let node: NodeID
    let ledger: String
    let label: String
    var offering: [Event] = []
    private var offered = false

    init(node: NodeID, ledger: String, label: String) {
        self.node = node
        self.ledger = ledger
        self.label = label
    }

    func register(live: Bool, wake: @escaping @Sendable () -> Void) -> (session: Int, summary: SummaryMessage, forks: Int) {
        (1, SummaryMessage(live: live, node: node, ledger: ledger, label: label, summary: CompactSummary(entries: [])), 0)
    }

    func unregister(_ session: Int) {}

    func chainEvents(of node: NodeID, endingAt endSeq: UInt64, count: Int) -> [Event]? { nil }

    func missingPlan(from peer: CompactSummary) -> MissingPlan {
        var plan = MissingPlan()
        plan.branchEvents = offered ? [] : offering
        offered = true
        return plan
    }

    func persist(_ batch: SignedEvents, fromSession session: Int) -> Int { 0 }

    func news(for session: Int) -> [Event] { [] }

    func summaryIfForked(since forks: Int, live: Bool) -> (forks: Int, summary: SummaryMessage)? { nil }

    var summary: HistorySummary { Replica(node: node).summary }
}

/// Results gathered by background threads.
final class Gathered<Value: Sendable>: @unchecked Sendable {
    // `@unchecked Sendable` is sound: `values` is only touched under `lock`.
    private let lock = NSLock()
    private var values: [Value] = []
    private let group = DispatchGroup()

    /// Runs `body` on a thread of its own; its result is kept.
    func spawn(_ body: @escaping @Sendable () -> Value) {
        group.enter()
        Thread { [self] in
            let value = body()
            lock.lock()
            values.append(value)
            lock.unlock()
            group.leave()
        }.start()
    }

    func wait() -> [Value] {
        group.wait()
        lock.lock()
        defer { lock.unlock() }
        return values
    }
}
