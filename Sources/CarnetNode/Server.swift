import CarnetCore
import CarnetNet
import CarnetSync
import CarnetSystem
import CarnetWire
import Foundation

/// `carnet serve`: accepts peers, dials the configured ones on a schedule (backoff and
/// jitter after failures), keeps sessions live so new events are pushed as they come, and
/// picks up what the CLI writes to the same store. Every session runs on its own thread;
/// nothing blocks the Swift concurrency pool.
public final class Server: Sendable {
    public struct Configuration: Sendable {
        public var listen: SocketAddress?
        public var peers: [SocketAddress] = []
        /// Between two sessions with a dialed peer that ended well.
        public var interval: Duration = .seconds(30)
        /// Sessions at once, accepted and dialed together; more are told `busy`. An accepted
        /// connection counts once it authenticates: until then it is in the pending budget.
        public var maxSessions = 256
        /// Accepted connections waiting to authenticate, from one address and in all; past
        /// either, the oldest is closed to make room (`PendingConnections`, SPEC 8.4).
        /// 32 from one address lets a co-op's devices behind one NAT start at once, while one
        /// address holds at most a quarter of the budget.
        public var maxPendingPerAddress = 32
        public var maxPending = 128
        /// An accepted connection that has not sent a message 1 readable under the ledger's
        /// secret by then is closed, told nothing (SPEC 8.4): one message, so even a slow
        /// rural link needs well under a second. A member is past it once its message 1
        /// read: its first SEALED frame waits until it has taken this node's SUMMARY, in
        /// parts when large, which can take a loaded farm longer; the idle timeout bounds it.
        public var handshakeDeadline: Duration = .seconds(5)
        /// How often the log sums up the unauthenticated connections dropped.
        public var dropSummaryInterval: Duration = .seconds(10)
        public var connectTimeout: Duration = .seconds(10)
        /// How long a fold of the whole ledger, made for a save the files beside the log
        /// could not take (`SharedStore.saveServedStatus`), is kept unused before it is let
        /// go: at a million entries it holds some 200 MB.
        public var foldKeptUnused: Duration = .seconds(300)
        public var session = SessionSettings()
        public var seed: UInt64 = 0

        public init() {}
    }

    private let store: SharedStore
    private let secret: LedgerSecret

    /// The secret in the node's directory now, read for each session, so that
    /// `carnet secret rotate` or `install` takes effect without a restart; the one the
    /// server started with when the file cannot be read.
    private var currentSecret: LedgerSecret {
        (try? LedgerSecret.load(directory: store.directory)) ?? secret
    }
    private let configuration: Configuration
    private let log: @Sendable (String) -> Void
    private let state: ServerState
    private let drops = DropSummary()
    /// The message-1 keys this process answered: a replayed message 1 gets nothing (SPEC 8.2.6).
    private let replays = ReplayGuard()
    private let counters = CounterBook(pid: Int(ProcessInfo.processInfo.processIdentifier), startedMillis: Server.wallMillis)
    /// The sessions running, whose figures `serve-stats` and peer-state follow as they go.
    private let live: LiveSessions
    private let wakeup: Wakeup
    private let listener: TCPListener?
    private let threads = DispatchGroup()
    /// Held from `init` until `run` returns: a second server on this directory is refused.
    private let serveLock: ServeLock

    /// Takes the directory's serve lock first (a second server on the same node is refused,
    /// naming the first), then binds the listening socket at once, so a port in use is an
    /// error before anything else starts.
    public init(store: SharedStore, secret: LedgerSecret, configuration: Configuration,
                log: @escaping @Sendable (String) -> Void) throws(NodeError) {
        self.store = store
        self.secret = secret
        self.configuration = configuration
        self.log = log
        live = LiveSessions(directory: store.directory, pid: Int(ProcessInfo.processInfo.processIdentifier))
        state = ServerState(perAddress: configuration.maxPendingPerAddress, pendingTotal: configuration.maxPending)
        serveLock = try ServeLock(directory: store.directory)
        do {
            wakeup = try Wakeup()
            listener = try configuration.listen.map { address throws(NetError) in try TCPListener(address: address) }
        } catch {
            serveLock.release()
            throw .network("cannot listen on \(configuration.listen?.description ?? "-"): \(error)")
        }
        serveLock.announce(listening: listener.map { SocketAddress(host: $0.address.host, port: $0.port).description })
    }

    /// The port actually listened on (useful with port 0).
    public var port: UInt16? { listener?.port }

    /// Active sessions right now.
    public var sessionCount: Int { state.sessionCount }

    /// Of those, accepted connections not authenticated yet.
    public var pendingCount: Int { state.pendingCount }

    /// Runs until `stop()`: returns after every session has ended, and the status and views
    /// files are saved if that is quick (`SharedStore.saveServedStatus`).
    public func run() {
        if let listener {
            spawn { self.acceptLoop(listener) }
        }
        for (index, peer) in configuration.peers.enumerated() {
            spawn { self.dialLoop(peer, seed: self.configuration.seed &+ UInt64(index)) }
        }
        spawn { self.maintenanceLoop() }
        threads.wait()
        logDrops()
        // The status and views files are left current if that is quick: from the files
        // beside the log, or a fold whose last run was fast (a small ledger's, in
        // milliseconds). Otherwise they stay stale, which readers refuse and rebuild (stop
        // within 2 s).
        if let failure = store.saveServedStatus(stopping: true) { log("warning: \(failure)") }
        saveCounters(force: true)
        serveLock.release()
    }

    /// Stops accepting and dialing, ends every session (telling peers why); any thread.
    public func stop() {
        for runner in state.stopAll() { runner.stop() }
        wakeup.signal()
        listener?.close()
    }

    private func spawn(_ body: @escaping @Sendable () -> Void) {
        threads.enter()
        let thread = Thread { [threads] in
            body()
            threads.leave()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    // MARK: - Accepting

    private func acceptLoop(_ listener: TCPListener) {
        log("listening on \(listener.address.host):\(listener.port)")
        while !state.stopping {
            let connection: TCPConnection?
            do {
                connection = try listener.accept(timeout: .seconds(1), wakeup: wakeup)
            } catch {
                if state.stopping { break }
                log("accept failed: \(error); retrying in 1 s")
                Thread.sleep(forTimeInterval: 1)
                continue
            }
            guard let connection else { continue }
            let secret = currentSecret
            guard let runner = try? SessionRunner(connection: connection),
                  case let .admitted(evicting) = state.admitAccepted(runner, host: connection.peer.host, secret: secret,
                                                                     limit: configuration.maxSessions) else {
                refuseBusy(connection)
                continue
            }
            evicting?.stop(.evicted)
            counters.sessionStarted(ObjectIdentifier(runner))
            live.began(runner, dialed: nil, sinceMillis: Self.wallMillis)
            counters.pending(open: state.pendingCount)
            spawn { self.serveAccepted(runner, from: connection.peer.host, secret: secret) }
        }
    }

    /// One accepted session, on its own thread: it leaves the pending budget once the peer
    /// authenticates; dropped before that, it goes to the log's summary, not a line of its own.
    private func serveAccepted(_ runner: SessionRunner, from host: String, secret: LedgerSecret) {
        let report = runner.run(role: .listener, store: store, secret: secret, live: true, settings: configuration.session,
                                handshakeDeadline: configuration.handshakeDeadline, replays: replays.check,
                                authenticated: {
                                    self.state.authenticated(runner)
                                    self.counters.pending(open: self.state.pendingCount)
                                }, peerMet: logPeerClock)
        state.finish(runner)
        counters.sessionEnded(ObjectIdentifier(runner), report)
        counters.pending(open: state.pendingCount)
        // The log line first: recording the peer may wait for another session's write of
        // peer-state, and the line says what happened, as soon as it happened.
        if let dropped = report.dropped {
            counters.dropped(dropped)
            drops.add(dropped, host: host)
        } else {
            logSession(report)
        }
        live.ended(runner, report, wallMillis: Self.wallMillis)
    }

    /// Too many sessions: an ERROR `busy` in clear (SPEC 8.2: the one error a listener
    /// sends before reading message 1), so the peer's message is clear.
    private func refuseBusy(_ connection: TCPConnection) {
        let busy = Frame(type: .error, payload: SessionMessage.error(ErrorMessage(
            code: .busy, message: "the node has \(configuration.maxSessions) sessions open; try again later")).body)
        counters.refusedBusy()
        try? connection.send(busy.encoded, timeout: .seconds(2))
        connection.shutdownWrite()
        connection.close()
        log("refused a session from \(connection.peer): \(configuration.maxSessions) sessions open")
    }

    // MARK: - Dialing

    private func dialLoop(_ peer: SocketAddress, seed: UInt64) {
        var backoff = Backoff(seed: seed)
        while !state.stopping {
            let dialedWith = currentSecret
            let report = dialOnce(peer)
            let wait: Duration
            if let report, report.succeeded {
                backoff.reset()
                wait = configuration.interval
            } else {
                wait = backoff.nextDelay()
            }
            if state.stopping { break }
            waitToDial(wait, dialedWith: dialedWith)
        }
    }

    /// Sleeps `wait` before the next dial, unless the node is stopping or its secret was
    /// replaced meanwhile: a node that just ran `secret install` rejoins at once rather
    /// than after the interval or a backoff earned with the old secret.
    private func waitToDial(_ wait: Duration, dialedWith: LedgerSecret) {
        let clock = ContinuousClock()
        let until = clock.now + wait
        while !state.stopping, clock.now < until {
            _ = try? wakeup.waitAlone(timeout: min(.seconds(1), until - clock.now))
            if let now = try? LedgerSecret.load(directory: store.directory), now != dialedWith { return }
        }
    }

    private func dialOnce(_ peer: SocketAddress, grants: Bool = true) -> SessionReport? {
        let address = peer.description
        let connection: TCPConnection
        do {
            connection = try TCPConnection.connect(to: peer, timeout: configuration.connectTimeout)
        } catch {
            var report = SessionReport(address: address, role: .dialer)
            report.transportError = "cannot reach \(address): \(error)"
            PeerBook.record(report, address: address, directory: store.directory, wallMillis: Self.wallMillis)
            log("peer \(address): \(report.transportError!)")
            return report
        }
        let secret = currentSecret
        guard let runner = try? SessionRunner(connection: connection),
              state.admitDialed(runner, secret: secret, limit: configuration.maxSessions) else {
            connection.close()
            return nil
        }
        counters.sessionStarted(ObjectIdentifier(runner))
        live.began(runner, dialed: address, sinceMillis: Self.wallMillis)
        var settings = configuration.session
        settings.wantsReceipt = ReceiptBook.wanted(address: address, store: store)
        settings.grants = settings.grants && grants
        var report = runner.run(role: .dialer, store: store, secret: secret, live: true, settings: settings,
                                peerMet: logPeerClock)
        report.dialedAgainWithoutGrants = !grants
        state.finish(runner)
        counters.sessionEnded(ObjectIdentifier(runner), report)
        logSession(report)
        live.ended(runner, report, wallMillis: Self.wallMillis)
        if GrantsFallback.refusedGrants(report, settings: settings) {
            // A listener from before grants (SPEC 8.2.1): once more without them.
            log("peer \(address) runs a Carnet from before grants: dialing again without them")
            return dialOnce(peer, grants: false)
        }
        return report
    }

    // MARK: - Maintenance

    /// Picks up the CLI's writes twice a second (pushed to live peers at once), ends the
    /// sessions made with a secret that `secret rotate` or `install` (maybe in another
    /// process) replaced since, keeps the status file, the counters and the peers' records
    /// fresh while sessions run, and sums up dropped connections.
    private func maintenanceLoop() {
        let clock = ContinuousClock()
        var lastDropSummary = clock.now
        var ticks = 0
        while !state.stopping {
            _ = try? wakeup.waitAlone(timeout: .milliseconds(500))
            if state.stopping { break }
            do {
                try store.refresh()
            } catch {
                log("warning: cannot read the log: \(error)")
            }
            closeSessionsOnReplacedSecret()
            ticks += 1
            if ticks % 4 == 0 {
                saveStatusInBackground()
                store.coolFold(unusedFor: configuration.foldKeptUnused)
            }
            followLiveSessions()
            saveCounters(force: false)
            if clock.now - lastDropSummary >= configuration.dropSummaryInterval {
                lastDropSummary = clock.now
                logDrops()
            }
        }
    }

    /// Leaves the status and views files current on a thread of its own: at a million
    /// events building the views takes seconds, which neither the CLI's writes (picked up
    /// by this loop) nor stopping should wait for. One at a time; stopping makes one still
    /// building write nothing (`SharedStore.saveServedStatus`).
    private func saveStatusInBackground() {
        guard !store.isSaving else { return }
        let thread = Thread { [store, log] in
            let folded = store.foldedSaveCount.count
            if let failure = store.saveServedStatus(stopping: false) { log("warning: \(failure)") }
            // A slow fold is told, with why the files could not take what came: a fast one
            // (a small ledger's) would only fill the log.
            let now = store.foldedSaveCount
            if now.count > folded, let cost = now.cost, cost >= .seconds(1) {
                let seconds = Double(cost.components.seconds) + Double(cost.components.attoseconds) / 1e18
                log("views folded from every event in \(String(format: "%.1f", seconds)) s (\(now.why ?? "the files beside the log were not read"))")
            }
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// A session authenticated with a secret that is no longer the node's is ended: whoever
    /// the secret was rotated against (a stolen device) must not keep a live session. The
    /// peer is told `secret-retired` in the channel; its next dial is refused the same way.
    /// A secret file that cannot be read now changes nothing (the next look will tell).
    private func closeSessionsOnReplacedSecret() {
        guard let current = try? LedgerSecret.load(directory: store.directory) else { return }
        for runner in state.takeReplaced(current: current) {
            log("session with \(runner.peerAddress) closed: the ledger secret was replaced")
            runner.stop(.secretReplaced)
        }
    }

    private func logDrops() {
        if let line = drops.take(perAddress: configuration.maxPendingPerAddress, total: configuration.maxPending,
                                 deadline: configuration.handshakeDeadline) {
            log(line)
        }
    }

    /// The running sessions' events and bytes join the counters, and their peers' records
    /// follow them (`LiveSessions`).
    private func followLiveSessions() {
        for (runner, progress) in live.snapshots() {
            counters.progress(ObjectIdentifier(runner), progress.statistics)
        }
        live.recordDue(store: store, wallMillis: Self.wallMillis)
    }

    /// Rewrites `serve-stats` when the counters changed (every half second at most).
    private func saveCounters(force: Bool) {
        guard let changed = counters.takeChanged(force: force, now: Self.wallMillis) else { return }
        do {
            try changed.save(directory: store.directory)
        } catch {
            log("warning: cannot write \(ServerCounters.fileName): \(error)")
        }
    }

    private func logSession(_ report: SessionReport) {
        // A signed ledger's peer is named by the node its device proved (SPEC 8.2.7).
        let device = report.statistics.peerDevice == nil ? "" : ", device verified"
        let who = report.peer.map { "\($0.label) (\($0.node.short)\(device))" } ?? report.address
        let stats = report.statistics
        var line = "session with \(who): received \(stats.eventsReceivedNew) new events, sent \(stats.eventsSent)"
            + " (\(stats.bytesReceived) bytes in, \(stats.bytesSent) out)"
        if stats.grantsInForce { line += ", grants in force" }
        if let failure = report.failure { line += "; ended: \(failure)" }
        log(line)
        if let stamps = ClockWarning.stamps(count: stats.eventsStampedAhead, farthestMillis: stats.farthestStampAheadMillis,
                                            peer: report.peer?.label ?? report.address) {
            log("warning: " + stamps)
        }
    }

    /// A peer whose clock is off past the bound, said once per session as soon as the
    /// peer named itself (SPEC 8.2.10); the stamps it sent are summed up at the end.
    private func logPeerClock(_ peer: SummaryMessage, _ statistics: SessionStatistics) {
        if let warning = statistics.peerClockOffsetMillis.flatMap({ ClockWarning.offset($0, peer: peer.label) }) {
            log("warning: " + warning)
        }
    }

    static var wallMillis: UInt64 { UInt64(Date().timeIntervalSince1970 * 1000) }
}
