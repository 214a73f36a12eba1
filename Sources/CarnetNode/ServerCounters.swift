import CarnetSync
import CarnetSystem
import CarnetWire

/// What a running `carnet serve` has seen since it started, for `carnet status --json` (a
/// separate process) and for tests that assert on numbers rather than on log lines:
/// sessions and how they ended, hostile input rejected by reason, authentication
/// failures, events and bytes each way, connections open now.
///
/// The server rewrites the file `serve-stats` in the node's directory (atomically) when
/// the figures change; it is a plain `key value` list, one per line.
public struct ServerCounters: Sendable, Equatable {
    public static let fileName = "serve-stats"

    public var pid: Int = 0
    public var startedMillis: UInt64 = 0
    public var updatedMillis: UInt64 = 0
    public var openSessions = 0
    public var peakSessions = 0
    public var sessionsStarted = 0
    public var sessionsCompleted = 0
    public var sessionsFailed = 0
    /// Failed sessions by the error code that ended them ("transport" for a lost
    /// connection): `not-carnet`, `frame-too-large`, `bad-mac`, `authentication-failed`…
    public var failures: [String: Int] = [:]
    /// Connections refused because the session limit was reached.
    public var busyRefusals = 0
    /// Accepted connections that have not authenticated yet, now and at most at once.
    public var unauthenticatedOpen = 0
    public var unauthenticatedPeak = 0
    /// Unauthenticated connections closed to make room for newer ones (`PendingConnections`).
    public var unauthenticatedEvicted = 0
    /// Unauthenticated connections closed at the handshake deadline.
    public var unauthenticatedTimedOut = 0
    public var eventsSent: UInt64 = 0
    public var eventsReceived: UInt64 = 0
    public var eventsReceivedNew: UInt64 = 0
    public var bytesSent: UInt64 = 0
    public var bytesReceived: UInt64 = 0

    public init() {}

    /// Codes that mean the peer sent something this node rejected before or instead of
    /// a sound session (hostile or broken input), as opposed to an ordinary end.
    public static let rejectionCodes: Set<String> = [
        SessionErrorCode.notCarnet, .unsupportedVersion, .frameTooLarge, .malformed, .badMAC, .unexpectedMessage,
    ].reduce(into: []) { $0.insert($1.description) }

    /// Sessions that failed authentication (a wrong or retired secret).
    public var authenticationFailures: Int {
        (failures[SessionErrorCode.authenticationFailed.description] ?? 0) + (failures[SessionErrorCode.secretRetired.description] ?? 0)
    }

    /// Sessions ended because of input this node rejected, by reason.
    public var rejected: [String: Int] { failures.filter { Self.rejectionCodes.contains($0.key) } }

    /// Adds one finished session.
    mutating func count(_ report: SessionReport) {
        add(report.statistics)
        if report.succeeded {
            sessionsCompleted += 1
            return
        }
        sessionsFailed += 1
        let reason: String
        switch report.end?.outcome {
        case let .failed(code, _)?, let .closedByPeer(code, _)?: reason = code.description
        case .interrupted?: reason = "interrupted"
        default: reason = "transport"
        }
        failures[reason, default: 0] += 1
    }

    /// Adds a session's events and bytes, ended or still running.
    mutating func add(_ stats: SessionStatistics) {
        eventsSent += stats.eventsSent
        eventsReceived += stats.eventsReceived
        eventsReceivedNew += stats.eventsReceivedNew
        bytesSent += UInt64(stats.bytesSent)
        bytesReceived += UInt64(stats.bytesReceived)
    }

    // MARK: - The file

    public var encoded: [UInt8] {
        var lines = [
            "pid \(pid)", "started \(startedMillis)", "updated \(updatedMillis)",
            "sessions.open \(openSessions)", "sessions.peak \(peakSessions)", "sessions.started \(sessionsStarted)",
            "sessions.completed \(sessionsCompleted)", "sessions.failed \(sessionsFailed)", "busy \(busyRefusals)",
            "unauthenticated.open \(unauthenticatedOpen)", "unauthenticated.peak \(unauthenticatedPeak)",
            "unauthenticated.evicted \(unauthenticatedEvicted)", "unauthenticated.timed-out \(unauthenticatedTimedOut)",
            "events.sent \(eventsSent)", "events.received \(eventsReceived)", "events.received-new \(eventsReceivedNew)",
            "bytes.sent \(bytesSent)", "bytes.received \(bytesReceived)",
        ]
        lines += failures.keys.sorted().map { "failure.\($0) \(failures[$0]!)" }
        return Array((lines.joined(separator: "\n") + "\n").utf8)
    }

    /// Reads the file a server wrote; nil when there is none or it does not parse.
    public static func load(directory: String) -> ServerCounters? {
        guard let bytes = try? File(readingOnly: directory + "/" + fileName).readAll() else { return nil }
        var counters = ServerCounters()
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let value = UInt64(parts[1]) else { return nil }
            let key = String(parts[0])
            switch key {
            case "pid": counters.pid = Int(value)
            case "started": counters.startedMillis = value
            case "updated": counters.updatedMillis = value
            case "sessions.open": counters.openSessions = Int(value)
            case "sessions.peak": counters.peakSessions = Int(value)
            case "sessions.started": counters.sessionsStarted = Int(value)
            case "sessions.completed": counters.sessionsCompleted = Int(value)
            case "sessions.failed": counters.sessionsFailed = Int(value)
            case "busy": counters.busyRefusals = Int(value)
            case "unauthenticated.open": counters.unauthenticatedOpen = Int(value)
            case "unauthenticated.peak": counters.unauthenticatedPeak = Int(value)
            case "unauthenticated.evicted": counters.unauthenticatedEvicted = Int(value)
            case "unauthenticated.timed-out": counters.unauthenticatedTimedOut = Int(value)
            case "events.sent": counters.eventsSent = value
            case "events.received": counters.eventsReceived = value
            case "events.received-new": counters.eventsReceivedNew = value
            case "bytes.sent": counters.bytesSent = value
            case "bytes.received": counters.bytesReceived = value
            default:
                guard key.hasPrefix("failure.") else { continue }  // a newer server's figure
                counters.failures[String(key.dropFirst("failure.".count))] = Int(value)
            }
        }
        return counters
    }

    func save(directory: String) throws(SystemError) {
        try Directory.writeAtomically(encoded, to: directory + "/" + Self.fileName, in: directory)
    }
}

/// The server's counters under a lock, shared by its session threads. The events and
/// bytes of sessions still running are added as they go (`progress`): a live session
/// lasts as long as both servers run, and `status` showed nothing received until it ended.
final class CounterBook: @unchecked Sendable {
    // `@unchecked Sendable` is sound: every property is only touched under `lock`.
    private let lock = Lock()
    /// The ended sessions' figures, and the rest.
    private var counters = ServerCounters()
    /// The running sessions' events and bytes so far, by session: a session leaves this
    /// the moment its whole figures join `counters`, under the same lock, so none counts twice.
    private var running: [ObjectIdentifier: SessionStatistics] = [:]
    private var dirty = true

    init(pid: Int, startedMillis: UInt64) {
        counters.pid = pid
        counters.startedMillis = startedMillis
    }

    /// The sessions open are those started and not ended, counted under this lock: a count
    /// taken outside it by each session's thread could be written after a later one's (50
    /// sessions ending at once on a loaded machine left `sessions.open` at 11 for good).
    func sessionStarted(_ session: ObjectIdentifier) {
        lock.withLock {
            running[session] = SessionStatistics()
            counters.sessionsStarted += 1
            counters.openSessions = running.count
            counters.peakSessions = max(counters.peakSessions, running.count)
            dirty = true
        }
    }

    /// A running session's figures so far; ignored once it ended.
    func progress(_ session: ObjectIdentifier, _ statistics: SessionStatistics) {
        lock.withLock {
            guard let known = running[session], known != statistics else { return }
            running[session] = statistics
            dirty = true
        }
    }

    func sessionEnded(_ session: ObjectIdentifier, _ report: SessionReport) {
        lock.withLock {
            running[session] = nil
            counters.count(report)
            counters.openSessions = running.count
            dirty = true
        }
    }

    /// Connections waiting to authenticate now.
    func pending(open: Int) {
        lock.withLock {
            counters.unauthenticatedOpen = open
            counters.unauthenticatedPeak = max(counters.unauthenticatedPeak, open)
            dirty = true
        }
    }

    func dropped(_ drop: UnauthenticatedDrop) {
        lock.withLock {
            switch drop {
            case .evicted: counters.unauthenticatedEvicted += 1
            case .deadline: counters.unauthenticatedTimedOut += 1
            }
            dirty = true
        }
    }

    func refusedBusy() {
        lock.withLock {
            counters.busyRefusals += 1
            dirty = true
        }
    }

    /// The counters to write, when they changed since the last call (or `force`).
    func takeChanged(force: Bool, now: UInt64) -> ServerCounters? {
        lock.withLock {
            guard dirty || force else { return nil }
            dirty = false
            counters.updatedMillis = now
            var shown = counters
            for statistics in running.values { shown.add(statistics) }
            return shown
        }
    }
}
