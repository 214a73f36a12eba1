import CarnetCore
import CarnetWire

/// One sync session with one peer, as a pure state machine (protocol/SPEC.md, section 8):
/// bytes and time go in, directives come out. It owns no socket and no store: a driver
/// feeds it what arrives, persists what it asks, computes the events it asks for, and
/// writes what it says to send. Tests run two sessions against each other in memory.
///
/// Order of a session (version 2): the dialer sends Noise message 1, encrypted under the
/// ledger's PSK, with a tag of its state; the listener, if it reads it, answers with
/// message 2 carrying its first SUMMARY ("same" when the tag matches its own state); the
/// dialer sends its SUMMARY (a delta against the listener's) with the events the listener
/// lacks; the listener answers with acknowledgements and the events the dialer lacks.
/// Everything after the handshake is a SEALED frame. Each side says DONE; both close once
/// every batch is acknowledged: two round trips after TCP connects (one when in sync).
/// With `live` on both sides, the session stays open instead.
///
/// This type only dispatches: each input goes to the part that owns its concern, the
/// handshake (`HandshakeSteps`), the summary exchange (`SummaryExchange`), transfer and
/// flow control (`Transfer`, with its `SendQueue`), and batch priming (`BatchPriming`);
/// it moves between states and turns what they hand back into directives. An input the
/// current state cannot take is answered with `SessionDirective.inputOutOfState`.
public struct Session: Sendable {
    public let role: SessionRole
    public let settings: SessionSettings
    let handshake: HandshakeSteps
    /// What each side said it holds; lives for the whole session.
    var summaries: SummaryExchange
    let priming: BatchPriming
    /// A signed ledger's device keys (SPEC 8.2.7); nil in format 1, where no side proves one.
    let devices: DeviceCredentials?
    /// The peer's device proof and the handshake hash it signed, kept until the peer's
    /// first SUMMARY names the node it claims to be.
    var peerProof: (proof: DeviceProof, handshakeHash: [UInt8])?
    /// A dialer that asked the listener for its key: the listener's next SEALED frame
    /// starts with it, and the listener's proof is checked then.
    var awaitingPeerKey = false
    /// The parts of the peer's split SUMMARY received so far (SPEC 8.1): nothing of it is
    /// read before its last part.
    var summaryParts = SummaryAssembly()
    /// Custody receipts (SPEC 9.6): asked, owed, received.
    var receipts = ReceiptState()
    /// The ledger's id (a signed ledger's): what a custody receipt is signed for.
    let ledgerID: LedgerID?
    var state: State
    private var decoder = FrameDecoder()
    /// When `start` ran, on the session's monotonic clock: with `handshake.wallMillis`, the
    /// wall clock at any later instant (`wallMillis(at:)`).
    private(set) var startedAt: Duration = .zero
    private var lastReceived: Duration = .zero
    private var lastSent: Duration = .zero
    public internal(set) var statistics = SessionStatistics()
    /// What the latest frames sent were, for accounting by kind (their types are encrypted).
    public internal(set) var sentLog = SentLog()

    enum State: Sendable {
        case idle
        /// The handshake runs: a dialer has sent message 1 and awaits message 2 (with the
        /// Noise state); a listener awaits message 1 (nil).
        case handshaking(NoiseHandshakeState?)
        case established(Established)
        case closed
    }

    /// What a session runs on once the handshake finished: its channel and its transfer.
    struct Established: Sendable {
        var channel: SecureChannel
        var transfer: Transfer

        init(_ transport: NoiseTransport, settings: SessionSettings) {
            channel = SecureChannel(transport)
            transfer = Transfer(settings: settings)
        }
    }

    /// Events of `node`'s first branch with seqs `endSeq - count + 1 ... endSeq`, or nil
    /// when this side does not hold them all.
    public typealias ContextProvider = @Sendable (_ node: NodeID, _ endSeq: UInt64, _ count: Int) -> [Event]?

    /// `local` is this side's identity and full compact summary (its `form` is ignored).
    /// `nonce` is the session's randomness: 32 fresh bytes from a cryptographic source,
    /// this side's ephemeral X25519 private key (an input, so that tests and the simulation
    /// replay). `ledgerID` enters the PSK (nil for a node without one). `wallMillis` is the
    /// wall clock when the session starts (the dialer's goes in message 1, the
    /// listener's in message 2; each side measures the other's offset, 8.2.10). `context` looks up chain contexts
    /// for primed batches (nil: this side neither primes nor accepts primed batches'
    /// contexts, and cannot answer with a plan). `replays` is a listening process's replay
    /// cache (8.2.6), shared by its sessions. `devices`: a signed ledger's device keys, with
    /// which both sides prove their devices (8.2.7).
    public init(role: SessionRole, secret: [UInt8], nonce: [UInt8], local: SummaryMessage,
                settings: SessionSettings = SessionSettings(), retired: [RetiredSecret] = [],
                ledgerID: LedgerID? = nil, wallMillis: UInt64 = 0, context: ContextProvider? = nil,
                heads: HeadSource? = nil, replays: ReplayCheck? = nil, devices: DeviceCredentials? = nil) {
        self.role = role
        self.handshake = HandshakeSteps(role: role, secret: secret, ledgerID: ledgerID, retired: retired, nonce: nonce,
                                        wallMillis: wallMillis, replays: replays, provesDevices: devices != nil,
                                        budgetBytes: role == .dialer ? settings.budgetBytes : 0,
                                        asksForReceipt: role == .dialer && settings.wantsReceipt,
                                        // A metered dialer spends no bytes on OFFER and GRANT (SPEC 8.3.9).
                                        speaksGrants: settings.grants && (role == .listener || settings.budgetBytes == 0))
        self.devices = devices
        self.ledgerID = ledgerID
        receipts.asked = handshake.asksForReceipt
        self.summaries = SummaryExchange(local: local)
        self.settings = settings
        self.priming = BatchPriming(context: context, contextLength: settings.primingContext, heads: heads)
        self.state = .idle
    }

    public var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    /// True once the peer proved it knows the secret in this session: for a dialer, the
    /// listener's message 2 decrypted; for a listener, a SEALED frame of the dialer opened
    /// (message 1 alone could be a recording of another session's) and, in a signed
    /// ledger, its device proof verified.
    public var isAuthenticated: Bool {
        if case let .established(established) = state {
            return role == .dialer || (established.channel.opened > 0 && (devices == nil || statistics.peerDevice != nil))
        }
        return false
    }

    /// True once both sides asked for a live session (it stays open and takes news).
    public var isLiveWithPeer: Bool {
        if case .established = state { return summaries.peerIsLive && summaries.local.live }
        return false
    }

    /// Events this side holds on to for the peer (queued or unacknowledged): bounded by
    /// what is in transit, however long a live session runs.
    public var retainedEvents: Int {
        if case let .established(established) = state { return established.transfer.retainedCount }
        return 0
    }

    /// The peer's identity, once it sent its summary.
    public var peer: SummaryMessage? {
        if case .established = state { return summaries.peer }
        return nil
    }

    // MARK: - Inputs

    /// Opens the session: a dialer sends message 1; a listener sends nothing until a
    /// member's message 1 arrives.
    public mutating func start(now: Duration) -> [SessionDirective] {
        guard case .idle = state else { return outOfState(.start) }
        startedAt = now
        lastReceived = now
        statistics.waits += 1
        guard role == .dialer else {
            decoder = FrameDecoder(opening: [.handshake1])
            state = .handshaking(nil)
            return []
        }
        decoder = FrameDecoder(opening: [.handshake2, .error])
        let (noise, frame) = handshake.opening(holding: summaries.local.summary)
        state = .handshaking(noise)
        return [send(frame, now: now)]
    }

    /// Bytes from the peer, in any chunking.
    public mutating func receive(_ bytes: [UInt8], now: Duration) -> [SessionDirective] {
        switch state {
        case .idle, .closed: return outOfState(.receive)
        case .handshaking, .established: break
        }
        lastReceived = now
        statistics.bytesReceived += bytes.count
        if let overrun = budgetOverrun() { return fail(overrun, now: now) }
        decoder.feed(bytes)
        var directives: [SessionDirective] = []
        while !isClosed {
            let frame: Frame?
            do {
                frame = try decoder.next()
            } catch {
                // A version-1 dialer is told in words its code reads; nobody else hears a thing.
                var reply: [UInt8]?
                if role == .listener, case let .unsupportedVersion(version) = error { reply = Version1.refusal(peerVersion: version) }
                directives += fail(failure(for: error), sending: reply, now: now)
                break
            }
            guard let frame else { break }
            directives += handle(frame, now: now)
        }
        return directives
    }

    /// The peer closed its side of the connection (EOF). Fine once the session completed;
    /// otherwise the session was interrupted and what was persisted stays persisted. Not
    /// a rejection of the peer's input: a cut link looks the same as a truncated frame.
    /// Ignored once closed: the peer hanging up after this side closed is how a
    /// connection ends.
    public mutating func peerClosed(now: Duration) -> [SessionDirective] {
        guard !isClosed else { return [] }
        let duringHandshake: Bool
        if case .handshaking = state { duringHandshake = true } else { duringHandshake = false }
        state = .closed
        statistics.elapsed = now - startedAt
        let partial = decoder.bufferedBytes
        if duringHandshake && role == .dialer && partial == 0 {
            // The listener's answer to a message 1 it cannot read: no answer at all.
            return [.close(SessionEnd(.failed(.authenticationFailed, Self.closedDuringHandshake)))]
        }
        let reason = partial > 0 ? "the connection closed mid-frame (\(partial) bytes of a frame arrived; none of it was applied)"
            : "the connection closed before the session finished"
        return [.close(SessionEnd(.interrupted(reason)))]
    }

    /// What the peer lacks, answering `offerEventsMissing`: ranges the session reads from
    /// the store (through the context provider) as it sends them.
    public mutating func offer(plan: MissingPlan, now: Duration) -> [SessionDirective] {
        guard case var .established(established) = state else { return outOfState(.offerPlan) }
        guard priming.context != nil else {
            return fail(SessionFailure(.storageFailed, "this side cannot read its store (a session made without a context provider)"), now: now)
        }
        established.transfer.offered(ownFirst(plan))
        state = .established(established)
        return pump(now: now)
    }

    /// Events the peer may lack, given one by one: in live mode, events just written or
    /// received from another peer; or an answer to `offerEventsMissing`. Those the peer's
    /// holdings show it holds are dropped: a hub learning a farm's events pushes them only
    /// to peers that lack them.
    public mutating func offer(_ events: [Event], now: Duration) -> [SessionDirective] {
        guard case var .established(established) = state else { return outOfState(.offerEvents) }
        established.transfer.offered(priming.mayLack(events, peerHoldings: summaries.peerHoldings))
        state = .established(established)
        return pump(now: now)
    }

    /// The answer to `grantAsked`: what this node reserved for the session of the peer's
    /// offer (`granted`) and what it holds already (`held`), told to the peer in a GRANT.
    /// Only granted events are taken from the peer from now on.
    public mutating func grant(_ granted: [GrantRange], held: [GrantRange], now: Duration) -> [SessionDirective] {
        guard case var .established(established) = state, established.transfer.grantedToPeer.deciding else {
            return outOfState(.grant)
        }
        established.transfer.grantedToPeer.deciding = false
        established.transfer.grantedToPeer.add(granted)
        let frame = established.channel.seal(.grant(granted: granted, held: held))
        state = .established(established)
        return [send(frame, now: now)] + pump(now: now)
    }

    /// True once both sides put grants in force in the handshake (SPEC 8.2, 8.3 rule 8).
    public var grantsInForce: Bool {
        if case let .established(established) = state { return established.transfer.grants.inForce }
        return false
    }

    /// A batch the driver was asked to persist is durable. `changedSummary` is set when
    /// the batch revealed a fork to this side: its history changed in a way the peer
    /// cannot infer from what it sent. The session then tells the peer what this side
    /// holds (before acknowledging, so the peer cannot finish first) and offers again
    /// what the peer lacks, so both branches travel in this same session.
    public mutating func persisted(batch: UInt64, newEvents: UInt64, changedSummary: SummaryMessage? = nil,
                                   now: Duration) -> [SessionDirective] {
        guard case var .established(established) = state else { return outOfState(.persisted) }
        if let failure = established.transfer.stored(batch: batch, newEvents: newEvents) { return fail(failure, now: now) }
        var directives: [SessionDirective] = []
        if let changedSummary { directives += resummarize(changedSummary.summary, &established, now: now) }
        directives.append(send(established.channel.seal(.ack(AckMessage(batch: batch, newEvents: newEvents))), now: now))
        state = .established(established)
        return directives + pump(now: now)
    }

    /// This side's history changed in a way the peer cannot infer from this session: a
    /// fork of some node reached this side through another session (or another process).
    /// The session tells the peer what this side holds now and offers again what the peer
    /// lacks, as `persisted` does for a fork its own batch revealed; without it, a live
    /// session planned before the fork would never send the other branch. Ignored until
    /// both sides' first SUMMARY crossed (returns false then, so the driver asks again
    /// later): the peer's first SUMMARY may be a delta against this side's first one, and
    /// read against a newer one it would claim events the peer lacks (found by the
    /// simulation, seed 885: the hub then primed batches with a context the farm lacked).
    ///
    /// Before this side's first SUMMARY has gone out, the change is kept for it instead, so
    /// that the peer never plans from a summary this side knows is stale. (Found by the
    /// K 2–12 soak, seed 703515: a farm learned 226 events and a fork through one hub
    /// while its handshake with the other crawled over a slow link; its first SUMMARY,
    /// built when the session began, said it lacked them all, the re-summary followed
    /// at once, but the hub had planned and sent all 226 before it arrived.)
    public mutating func historyChanged(_ summary: SummaryMessage, now: Duration) -> (accepted: Bool, directives: [SessionDirective]) {
        if isClosed { return (false, outOfState(.historyChanged)) }
        if summaries.firstSummaryUnsent {
            // Once a dialer's message 1 went out, its state tag names the summary it had.
            let namedByHello: Bool
            switch state {
            case .idle: namedByHello = false
            case .handshaking: namedByHello = role == .dialer
            case .established, .closed: namedByHello = true
            }
            summaries.changedBeforeFirstSummary(summary.summary, namedByHello: namedByHello)
            return (true, [])
        }
        guard case var .established(established) = state, summaries.bothFirstSummariesCrossed else { return (false, []) }
        let directives = resummarize(summary.summary, &established, now: now)
        state = .established(established)
        return (true, directives + pump(now: now))
    }

    /// The driver will not store a batch (its events break a rule the store enforces):
    /// the peer is told why and does not send that batch's nodes again in this session.
    public mutating func refuse(batch: UInt64, reason: String, now: Duration) -> [SessionDirective] {
        guard case var .established(established) = state else { return outOfState(.refuse) }
        if let failure = established.transfer.stored(batch: batch, newEvents: nil) { return fail(failure, now: now) }
        let frame = established.channel.seal(.ack(AckMessage(batch: batch, newEvents: 0, refusal: reason)))
        state = .established(established)
        return [send(frame, now: now)] + pump(now: now)
    }

    /// The driver could not persist a batch (disk full, I/O error): the session stops;
    /// nothing unacknowledged was lost, the next session resends it.
    public mutating func persistFailed(batch: UInt64, reason: String, now: Duration) -> [SessionDirective] {
        guard case .established = state else { return outOfState(.persistFailed) }
        return fail(SessionFailure(.storageFailed, "could not store the peer's batch \(batch): \(reason)"), now: now)
    }

    /// Time passes: handshake and idle timeouts, pings in live mode. Never out of state.
    public mutating func tick(now: Duration) -> [SessionDirective] {
        switch state {
        case .idle, .closed:
            return []
        case .handshaking:
            if now - startedAt > settings.handshakeTimeout {
                return fail(SessionFailure(.timeout, "the peer did not complete the handshake within \(settings.handshakeTimeout)"), now: now)
            }
            return []
        case var .established(established):
            if now - lastReceived > settings.idleTimeout {
                return fail(SessionFailure(.timeout, "the peer sent nothing for \(settings.idleTimeout)"), now: now)
            }
            if summaries.peerIsLive, now - lastSent >= settings.pingInterval {
                let frame = established.channel.seal(.ping(UInt64(now.components.seconds)))
                state = .established(established)
                return [send(frame, now: now)]
            }
            return []
        }
    }

    /// A signed ledger's node without a device key cannot prove its device (SPEC 8.2.7).
    static let noDeviceKey = SessionFailure(.authenticationFailed, "this node belongs to a signed ledger but holds no device key "
                                                + "(device.key) to prove its device with")

    /// What a dialer says when the listener hung up on its message 1: a listener closes
    /// without a word on a message 1 it cannot read (protocol/SPEC.md 8.2).
    static let closedDuringHandshake = "the peer closed the connection during the handshake: it is not a Carnet node of this "
        + "ledger, or this node's ledger secret is not the peer's (run `carnet secret install FILE` with the current secret), "
        + "or the peer's ledger was upgraded to a signed one (`carnet ledger upgrade`: join it with `carnet init --ledger-file FILE`)"

    /// Closes from this side (shutdown, too many sessions): tells the peer why. Ignored
    /// once closed, so that a shutdown may close every session without asking.
    public mutating func close(_ code: SessionErrorCode, _ message: String, now: Duration) -> [SessionDirective] {
        fail(SessionFailure(code, message), now: now)
    }

    /// Sends this side's changed summary, waits for the peer's DONE again, and offers what
    /// the peer lacks against what it is known to hold now.
    mutating func resummarize(_ changed: CompactSummary, _ established: inout Established, now: Duration) -> [SessionDirective] {
        summaries.restate(changed, on: &established.channel).map { send($0, now: now) } + awaitPeerAgain(&established)
    }

    /// After a re-summary went out: one more round trip, and a new offer when the peer's
    /// holdings are known.
    mutating func awaitPeerAgain(_ established: inout Established) -> [SessionDirective] {
        statistics.waits += 1
        let holdings = summaries.peerHoldings
        established.transfer.resummarized(reoffering: holdings != nil)
        return holdings.map { [.offerEventsMissing(from: $0)] } ?? []
    }

    // MARK: - Sending

    /// Sends batches while the window allows, then DONE, then closes when both sides are
    /// caught up (unless both asked for a live session).
    mutating func pump(now: Duration) -> [SessionDirective] {
        guard case var .established(established) = state else { return [] }
        let receipt = receiptDue(&established, now: now)
        // The listener's key, asked for, rides in front of its next frame: both sides count it.
        established.transfer.keyDue = role == .dialer ? awaitingPeerKey : established.channel.nextFramePrefix != nil
        let pumped = established.transfer.pump(on: &established.channel, summaries: summaries, priming: priming, role: role,
                                        staysOpen: summaries.peerIsLive && summaries.local.live,
                                        waitingForReceipt: receipts.awaited, statistics: &statistics)
        var directives = (receipt.map { [$0] } ?? []) + pumped.frames.map { send($0, now: now) }
        if pumped.caughtUp { directives.append(.caughtUp) }
        if pumped.complete {
            state = .closed
            statistics.elapsed = now - startedAt
            directives.append(.close(SessionEnd(.completed)))
            return directives
        }
        state = .established(established)
        return directives
    }

    mutating func send(_ frame: Frame, now: Duration) -> SessionDirective {
        sentLog.record(frame)
        return send(bytes: frame.encoded, now: now)
    }

    mutating func send(bytes: [UInt8], now: Duration) -> SessionDirective {
        statistics.bytesSent += bytes.count
        statistics.framesSent += 1
        lastSent = now
        return .send(bytes)
    }

    /// Closes, telling the peer why in a SEALED ERROR once the channel exists (`toPeer`,
    /// when the peer should read other words than this side's report). During the
    /// handshake nothing is sent: no channel exists to say it in, and a listener tells a
    /// stranger nothing (`reply` is the exception a step hands over: message 2 with an
    /// ERROR, or the answer to a version-1 peer).
    mutating func fail(_ failure: SessionFailure, sending reply: [UInt8]? = nil, now: Duration) -> [SessionDirective] {
        guard !isClosed else { return [] }
        var directives: [SessionDirective] = []
        if case let .established(established) = state {
            let error = SessionMessage.error(ErrorMessage(code: failure.code, message: failure.toPeer ?? failure.message))
            directives.append(send(established.channel.sealLast(error), now: now))
        } else if let reply {
            directives.append(send(bytes: reply, now: now))
        }
        state = .closed
        statistics.elapsed = now - startedAt
        return directives + [.close(SessionEnd(.failed(failure.code, failure.message)))]
    }

    mutating func closeByPeer(_ code: SessionErrorCode, _ message: String) -> [SessionDirective] {
        state = .closed
        return [.close(SessionEnd(.closedByPeer(code, message)))]
    }

    /// The answer to an input the current state cannot take (`OutOfStateInput` says when
    /// that happens): nothing changed.
    func outOfState(_ input: OutOfStateInput.Input) -> [SessionDirective] {
        let phase: OutOfStateInput.State
        switch state {
        case .idle: phase = .idle
        case .handshaking: phase = .handshake
        case .established: phase = .established
        case .closed: phase = .closed
        }
        return [.inputOutOfState(OutOfStateInput(input, in: phase))]
    }

    /// Why the stream is refused. A peer of another version is named, so that its user
    /// knows what to upgrade.
    private func failure(for error: FrameError) -> SessionFailure {
        switch error {
        case .notCarnet: return SessionFailure(.notCarnet, error.description)
        case let .unsupportedVersion(version):
            let message = version < Version1.current
                ? "the peer runs an older Carnet (protocol \(version)): upgrade Carnet on it"
                : "the peer runs a newer Carnet (protocol \(version)); this node speaks protocol \(Version1.current): upgrade Carnet here"
            return SessionFailure(.unsupportedVersion, message)
        case .tooLarge: return SessionFailure(.frameTooLarge, error.description)
        case .malformed: return SessionFailure(.malformed, error.description)
        }
    }
}
