import CarnetCore
#if canImport(Glibc)
import Glibc
#endif
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
    /// Time from the start of the handshake to the end (or to catching up, in live mode).
    public var elapsed: Duration = .zero
    /// When the session first caught up, from its start.
    public var caughtUpAfter: Duration?
    public var refusedBatches: [String] = []
    /// The peer's summary as it ended: every event either side held, when it completed.
    public var summaryWhenCaughtUp: HistorySummary?
    /// What the peer was shown to hold as the session ended: its last summary with every
    /// event it acknowledged or sent since. Nil when no summary came from it.
    public var peerHeld: HistorySummary?
    /// Why the server closed the connection before the peer authenticated (a flood's
    /// leftovers: summed up in the log rather than told one by one).
    public var dropped: UnauthenticatedDrop?
    /// What the peer held as the session ended, as far as the session knows (its summary
    /// brought forward): what a budgeted sync left is measured against it.
    public var peerHoldings: CompactSummary?
    /// The peer's custody receipt for this node's events (SPEC 9.6), checked by the
    /// session: kept by `PeerBook.record`.
    public var receipt: CustodyReceipt?
    /// The peer refused grants (message 1's bit 2: a Carnet from before them) and this
    /// report is of the session dialed again without them (`GrantsFallback`).
    public var dialedAgainWithoutGrants = false

    public var succeeded: Bool { transportError == nil && (end?.isSuccess ?? false || caughtUpAfter != nil) }

    public var failure: String? {
        if let transportError { return transportError }
        if let end, !end.isSuccess { return end.description }
        if end == nil && caughtUpAfter == nil { return "the session ended before it finished" }
        return nil
    }
}

/// Why a listener closed a connection that had not authenticated.
public enum UnauthenticatedDrop: Sendable {
    /// A newer connection needed its place (`PendingConnections`).
    case evicted
    /// The handshake did not complete within the server's deadline.
    case deadline
}

/// Why the server ends a session of its own accord.
public enum StopReason: Sendable {
    case shuttingDown
    /// `secret rotate` or `install` replaced the secret the session authenticated with.
    case secretReplaced
    /// An unauthenticated connection closed to make room (`PendingConnections`).
    case evicted
}

/// Runs one session over one TCP connection on the calling thread (never the Swift
/// concurrency pool: every call here blocks, with a timeout). It owns the socket, the
/// wakeup and the clock; `PeerDriver` does the rest against the shared store (in live
/// mode, pushing what the node learns from elsewhere as the store wakes it).
public final class SessionRunner: Sendable {
    private let connection: TCPConnection
    private let wakeup: Wakeup
    private let stopRequest = StopFlag()
    /// The session's figures as it runs, for `serve`'s counters and peer-state.
    public let progress = SessionProgress()

    public init(connection: TCPConnection) throws(NodeError) {
        self.connection = connection
        do {
            wakeup = try Wakeup()
        } catch {
            throw .network(error.description)
        }
    }

    /// The peer's address, for the log.
    public var peerAddress: String { connection.peer.description }

    /// Ends the session soon, telling the peer why when the channel exists (any thread).
    public func stop(_ reason: StopReason = .shuttingDown) {
        stopRequest.set(reason)
        wakeup.signal()
    }

    /// `handshakeDeadline`: a listener's guard against connections that never prove
    /// anything (slow-loris; nil leaves it to the session's own timeout): by then, from the
    /// session's start, the peer must have sent a message 1 that reads under the ledger's
    /// secret (`Session.admittedOpening`, SPEC 8.4). Not its first SEALED frame: a dialer
    /// sends that only once it has taken this side's SUMMARY, in parts when large. That
    /// frame must then open within the idle timeout of message 1, however bytes trickle in.
    /// `authenticated` is called once, when the peer is. `replays`: the listening
    /// process's replay cache (SPEC 8.2.6). `peerMet` is called once, when the peer's
    /// first SUMMARY named it, with what the session measured so far (its clock offset).
    public func run(role: SessionRole, store: SharedStore, secret: LedgerSecret, live: Bool,
                    settings: SessionSettings = SessionSettings(), handshakeDeadline: Duration? = nil,
                    replays: ReplayCheck? = nil, authenticated: () -> Void = {},
                    peerMet: (SummaryMessage, SessionStatistics) -> Void = { _, _ in }) -> SessionReport {
        let clock = ContinuousClock()
        let started = clock.now
        func now() -> Duration { clock.now - started }
        // What another process (the CLI) wrote since this node last looked goes into this
        // session's summary.
        _ = try? store.refresh()
        var generator = SystemRandomNumberGenerator()
        // The session's ephemeral X25519 key: fresh for every session, never reused.
        let nonce = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let wakeup = self.wakeup
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        let wallMillis = UInt64(max(0, Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000))
        var driver = PeerDriver(role: role, secret: secret.bytes, nonce: nonce, live: live, settings: settings,
                                retired: LedgerSecret.retired(directory: store.directory), wallMillis: wallMillis,
                                replays: replays, store: store) { wakeup.signal() }
        var transport = ConnectionTransport(connection: connection, timeout: settings.idleTimeout)
        var report = SessionReport(address: connection.peer.description, role: role)

        // The deadline counts from the instant the session's own handshake timeout counts
        // from (not from before the store's refresh and registration, which can take a
        // while), so that at an equal deadline the session's timeout is the one told.
        let opened = now()
        driver.start(store: store, transport: &transport, now: opened)
        var isAuthenticated = false
        var metPeer = false
        /// When the peer's message 1 was found to read (a listener with a deadline).
        var admittedAt: Duration?
        while !driver.isFinished {
            if let reason = stopRequest.reason {
                let (code, message) = Self.closing(reason)
                if reason == .evicted, !isAuthenticated { report.dropped = .evicted }
                driver.close(code, message, store: store, transport: &transport, now: now())
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
                    if !driver.session.isClosed { report.transportError = "lost the connection to \(report.address): \(error)" }
                    break
                }
                if bytes.isEmpty {
                    driver.peerClosed(store: store, transport: &transport, now: now())
                } else {
                    driver.received(bytes, store: store, transport: &transport, now: now())
                }
            case .woken:
                wakeup.drain()
                driver.newsArrived(store: store, transport: &transport, now: now())
            case .timedOut:
                break
            }
            if report.transportError != nil { break }
            // One instant for both: at an equal deadline, the session's own timeout is the one told.
            let instant = now()
            driver.tick(store: store, transport: &transport, now: instant)
            if !metPeer, let peer = driver.report.peer {
                // Once, as soon as the peer named itself: a live session may run for weeks,
                // and what its handshake measured (its clock) is worth saying at once.
                metPeer = true
                peerMet(peer, driver.session.statistics)
            }
            if !isAuthenticated, driver.session.isAuthenticated {
                isAuthenticated = true
                authenticated()
            } else if !isAuthenticated, handshakeDeadline != nil, driver.session.admittedOpening {
                // Past the deadline; but any byte resets the idle timeout, and a message 1
                // may be a recording (a process whose replay cache never saw it), followed by
                // a frame that never completes: the first SEALED frame has the idle timeout,
                // from message 1, to open. A member taking this side's SUMMARY sends nothing
                // meanwhile, so the idle timeout bounds it the same.
                let since = admittedAt ?? instant
                admittedAt = since
                if driver.session.awaitsFirstSealedFrame, instant - since > settings.idleTimeout, !driver.isFinished {
                    driver.close(.timeout, "the peer sent no SEALED frame within \(settings.idleTimeout) of its handshake",
                                 store: store, transport: &transport, now: instant)
                }
            } else if !isAuthenticated, let handshakeDeadline, instant - opened > handshakeDeadline, !driver.isFinished {
                report.dropped = .deadline
                driver.close(.timeout, "the peer did not complete the handshake within \(handshakeDeadline)", store: store,
                             transport: &transport, now: instant)
            }
            progress.publish(driver)
        }
        driver.finish(store: store)
        if let failure = driver.report.sendFailure {
            report.transportError = "lost the connection to \(report.address) while sending: \(failure)"
        }
        report.peer = driver.report.peer
        report.end = driver.report.end
        report.caughtUpAfter = driver.report.caughtUpAt
        report.refusedBatches = driver.report.refusedBatches.map(\.description)
        report.summaryWhenCaughtUp = driver.report.summaryWhenCaughtUp
        report.receipt = driver.report.receipt
        report.peerHeld = driver.session.peerHoldings.map(store.expand)
        progress.publish(driver)
        report.statistics = driver.session.statistics
        report.peerHoldings = driver.session.peerHoldingsNow
        report.elapsed = now()
        // Everything this side wrote is in the socket; say so, and close without waiting
        // for the peer (it has acknowledged all it needs).
        connection.shutdownWrite()
        while let bytes = try? connection.receive(maxBytes: 64 << 10, timeout: .zero), !bytes.isEmpty {}
        connection.close()
        return report
    }
}

extension SessionRunner {
    /// What the peer is told (when the channel exists; before, nothing is sent).
    static func closing(_ reason: StopReason) -> (SessionErrorCode, String) {
        switch reason {
        case .shuttingDown: (.shuttingDown, "the node is shutting down")
        case .secretReplaced:
            (.secretRetired, "the ledger secret was replaced on this node; run `carnet secret install FILE` with the new secret file")
        case .evicted: (.busy, "too many connections waiting to authenticate; try again later")
        }
    }
}

/// The session's bytes go to the socket, each write bounded by the idle timeout.
private struct ConnectionTransport: PeerTransport {
    let connection: TCPConnection
    let timeout: Duration

    func send(_ bytes: [UInt8]) throws(PeerTransportFailure) {
        do {
            try connection.send(bytes, timeout: timeout)
        } catch {
            throw PeerTransportFailure("\(error)")
        }
    }
}

/// A stop request one thread sets and another polls; the first reason given stays.
final class StopFlag: @unchecked Sendable {
    // `@unchecked Sendable` is sound: `value` is only touched under `lock`.
    private let lock = Lock()
    private var value: StopReason?

    func set(_ reason: StopReason) { lock.withLock { if value == nil { value = reason } } }
    var reason: StopReason? { lock.withLock { value } }
}
