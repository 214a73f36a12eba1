import CarnetCore
import CarnetNet
import CarnetSync
import CarnetSystem
import CarnetWire

/// What one session did, for `carnet sync`'s report, `status` and the server's log.
public struct SessionReport: Sendable {
    public var address: String
    public var role: SessionRole
    /// Who the peer said it is (after authentication).
    public var peer: SummaryMessage?
    /// How the session ended; nil when the connection failed underneath it.
    public var end: SessionEnd?
    /// A network failure (reset, timeout writing) that ended the session.
    public var transportError: String?
    public var statistics = SessionStatistics()
    /// Time from the first HELLO to the end (or to catching up, in live mode).
    public var elapsed: Duration = .zero
    /// When the session first caught up, from its start.
    public var caughtUpAfter: Duration?
    public var refusedBatches: [String] = []
    /// The peer's summary as it ended: every event either side held, when it completed.
    public var peerSummaryAtEnd: HistorySummary?

    public var succeeded: Bool { transportError == nil && (end?.isSuccess ?? false || caughtUpAfter != nil) }

    public var failure: String? {
        if let transportError { return transportError }
        if let end, !end.isSuccess { return end.description }
        if end == nil && caughtUpAfter == nil { return "the session ended before it finished" }
        return nil
    }
}

/// Runs one `Session` over one TCP connection on the calling thread (never the Swift
/// concurrency pool: every call here blocks, with a timeout). It carries out the
/// session's directives against the shared store, and in live mode pushes what the node
/// learns from elsewhere as it arrives.
public final class SessionRunner: Sendable {
    private let connection: TCPConnection
    private let wakeup: Wakeup
    private let stopRequest = StopFlag()

    public init(connection: TCPConnection) throws(NodeError) {
        self.connection = connection
        do {
            wakeup = try Wakeup()
        } catch {
            throw .network(error.description)
        }
    }

    /// Ends the session soon, telling the peer the node is shutting down (any thread).
    public func stop() {
        stopRequest.set()
        wakeup.signal()
    }

    public func run(role: SessionRole, store: SharedStore, secret: LedgerSecret, live: Bool,
                    settings: SessionSettings = SessionSettings()) -> SessionReport {
        let clock = ContinuousClock()
        let started = clock.now
        func now() -> Duration { clock.now - started }
        // What another process (the CLI) wrote since this node last looked goes into this
        // session's summary.
        _ = try? store.refresh()
        var generator = SystemRandomNumberGenerator()
        let nonce = (0..<HelloMessage.nonceLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let wakeup = self.wakeup
        let (feedID, local, forksAtStart) = store.register(live: live) { wakeup.signal() }
        // The forks this node held when the session last told its peer its summary.
        var forksSummarized = forksAtStart
        defer { store.unregister(feedID) }
        var session = Session(role: role, secret: secret.bytes, nonce: nonce, local: local,
                              settings: settings, retired: LedgerSecret.retired(directory: store.directory)) { node, endSeq, count in
            store.chainEvents(of: node, endingAt: endSeq, count: count)
        }
        var report = SessionReport(address: connection.peer.description, role: role)

        /// Carries out directives, including those they lead to; false once the
        /// connection failed.
        func carryOut(_ directives: [SessionDirective]) -> Bool {
            var queue = directives[...]
            while let directive = queue.popFirst() {
                switch directive {
                case let .send(bytes):
                    do {
                        try connection.send(bytes, timeout: settings.idleTimeout)
                    } catch {
                        report.transportError = "lost the connection to \(report.address) while sending: \(error)"
                        return false
                    }
                case let .persist(batch, events):
                    do {
                        let new = try store.receive(events, fromSession: feedID)
                        // A fork this batch revealed, or one another session brought since.
                        let changed = store.summaryIfForked(since: forksSummarized, live: live)
                        if let changed { forksSummarized = changed.forks }
                        queue += session.persisted(batch: batch, newEvents: UInt64(new), changedSummary: changed?.summary, now: now())
                    } catch {
                        queue += session.persistFailed(batch: batch, reason: error.description, now: now())
                    }
                case let .offerEventsMissing(summary):
                    queue += session.offer(plan: store.missingPlan(from: summary), now: now())
                case let .peerIdentified(peer):
                    report.peer = peer
                case .acknowledged:
                    break
                case .inputOutOfState: break
                case let .refused(batch, reason):
                    report.refusedBatches.append("batch \(batch): \(reason)")
                case let .refuse(batch, reason):
                    queue += session.refuse(batch: batch, reason: reason, now: now())
                case .caughtUp:
                    if report.caughtUpAfter == nil { report.caughtUpAfter = now() }
                    report.peerSummaryAtEnd = store.summary
                case let .close(end):
                    report.end = end
                }
            }
            return true
        }

        var healthy = carryOut(session.start(now: now()))
        // Set by a wake; the feed may also hold events from before this session was live.
        var newsWaiting = true
        while healthy && !session.isClosed {
            if stopRequest.isSet {
                healthy = carryOut(session.close(.shuttingDown, "the node is shutting down", now: now()))
                break
            }
            let waited: TCPConnection.WaitResult
            do {
                waited = try connection.waitForInput(timeout: .milliseconds(250), wakeup: wakeup)
            } catch {
                report.transportError = "lost the connection to \(report.address): \(error)"
                break
            }
            switch waited {
            case .readable:
                let bytes: [UInt8]
                do {
                    bytes = try connection.receive(maxBytes: 64 << 10, timeout: .seconds(1))
                } catch {
                    if session.isClosed { break }
                    report.transportError = "lost the connection to \(report.address): \(error)"
                    healthy = false
                    continue
                }
                healthy = carryOut(bytes.isEmpty ? session.peerClosed(now: now()) : session.receive(bytes, now: now()))
            case .woken:
                wakeup.drain()
                newsWaiting = true
            case .timedOut:
                break
            }
            // Only a session both sides keep open takes news: a one-shot peer gets what it
            // lacks from its plan. News that came before the session went live waits in the
            // feed and goes out as soon as it is (no later wake may come to fetch it).
            if healthy && newsWaiting && session.isLiveWithPeer {
                newsWaiting = false
                let news = store.news(for: feedID)
                if !news.isEmpty { healthy = carryOut(session.offer(news, now: now())) }
            }
            // A fork another session (or process) brought: this peer must hear of it.
            if healthy && session.isAuthenticated, let changed = store.summaryIfForked(since: forksSummarized, live: live) {
                let (accepted, directives) = session.historyChanged(changed.summary, now: now())
                if accepted { forksSummarized = changed.forks }
                healthy = carryOut(directives)
            }
            if healthy && !session.isClosed { healthy = carryOut(session.tick(now: now())) }
        }
        report.statistics = session.statistics
        report.elapsed = now()
        // Everything this side wrote is in the socket; say so, and close without waiting
        // for the peer (it has acknowledged all it needs).
        connection.shutdownWrite()
        while let bytes = try? connection.receive(maxBytes: 64 << 10, timeout: .zero), !bytes.isEmpty {}
        connection.close()
        return report
    }
}

/// A flag one thread sets and another polls.
final class StopFlag: @unchecked Sendable {
    // `@unchecked Sendable` is sound: `value` is only touched under `lock`.
    private let lock = Lock()
    private var value = false

    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
