import CarnetCore
import CarnetWire

/// One sync session with one peer, as a pure state machine (protocol/SPEC.md, section 8):
/// bytes and time go in, directives come out. It owns no socket and no store: a driver
/// feeds it what arrives, persists what it asks, computes the events it asks for, and
/// writes what it says to send. Tests run two sessions against each other in memory.
///
/// Order of a session: HELLOs both ways (the dialer's carries a keyed tag of its state);
/// the listener answers with its proof and its SUMMARY, encrypted (or "same" when the tag
/// matches its own state); the dialer checks the proof before proving itself and sending
/// its SUMMARY (a delta against the listener's) with the events the listener lacks; the
/// listener answers with acknowledgements and the events the dialer lacks. Everything
/// after a PROOF is under MAC. Each side says DONE; both close once every batch is
/// acknowledged: two round trips after TCP connects. With `live` on both sides, the
/// session stays open instead.
public struct Session: Sendable {
    public let role: SessionRole
    public let settings: SessionSettings
    /// What this side says about itself (its full compact summary).
    private var local: SummaryMessage
    /// A dialer's summary that changed after its HELLO named `local` by its state tag and
    /// before its first SUMMARY went out (`historyChanged`): that SUMMARY carries it.
    private var changedBeforeFirstSummary: CompactSummary?
    private let secret: [UInt8]
    /// Secrets this node held before the current one (`carnet secret rotate`), to tell a
    /// peer still on one of them how to rejoin.
    private let retired: [RetiredSecret]
    private let ownNonce: [UInt8]
    private var state: State
    /// Looks up `count` events of a node's first branch ending at a seq, for primed
    /// batches (nil: this side neither primes nor accepts primed batches' contexts).
    private let context: ContextProvider?
    private var decoder = FrameDecoder()
    private var startedAt: Duration = .zero
    private var lastReceived: Duration = .zero
    private var lastSent: Duration = .zero
    public private(set) var statistics = SessionStatistics()

    enum State: Sendable {
        case idle
        /// Own HELLO sent, peer's awaited.
        case awaitingHello
        /// HELLOs exchanged; the peer's proof is awaited. The listener has sent its proof
        /// and summary, so it already has the transfer state.
        case awaitingProof(Handshake, Transfer?)
        case established(Transfer)
        case closed
    }

    /// `local` is this side's identity and full compact summary (its `form` is ignored).
    /// Events of `node`'s first branch with seqs `endSeq - count + 1 ... endSeq`, or nil
    /// when this side does not hold them all.
    public typealias ContextProvider = @Sendable (_ node: NodeID, _ endSeq: UInt64, _ count: Int) -> [Event]?

    public init(role: SessionRole, secret: [UInt8], nonce: [UInt8], local: SummaryMessage,
                settings: SessionSettings = SessionSettings(), retired: [RetiredSecret] = [],
                context: ContextProvider? = nil) {
        precondition(nonce.count == HelloMessage.nonceLength, "a session nonce is 32 random bytes")
        self.role = role
        self.secret = secret
        self.retired = retired
        self.ownNonce = nonce
        self.local = local
        self.local.form = .full
        self.settings = settings
        self.context = context
        self.state = .idle
    }

    public var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    /// True once the peer proved it knows the secret.
    public var isAuthenticated: Bool {
        if case .established = state { return true }
        return false
    }

    /// True once both sides asked for a live session (it stays open and takes news).
    public var isLiveWithPeer: Bool {
        if case let .established(transfer) = state { return transfer.isLive && local.live }
        return false
    }

    /// Events this side holds on to for the peer (queued or unacknowledged): bounded by
    /// what is in transit, however long a live session runs.
    public var retainedEvents: Int {
        if case let .established(transfer) = state { return transfer.retainedCount }
        return 0
    }

    /// The peer's identity, once it sent its summary.
    public var peer: SummaryMessage? {
        if case let .established(transfer) = state { return transfer.peer }
        return nil
    }

    // MARK: - Inputs

    /// Opens the session: sends this side's HELLO.
    public mutating func start(now: Duration) -> [SessionDirective] {
        guard case .idle = state else { return [] }
        startedAt = now
        lastReceived = now
        state = .awaitingHello
        statistics.waits += 1
        let tag = role == .dialer ? Handshake.stateTag(secret: secret, dialerNonce: ownNonce, summary: local.summary) : 0
        let hello = HelloMessage(role: role, nonce: ownNonce, stateTag: tag, secretID: Handshake.secretID(secret))
        return [send(Frame(type: .hello, payload: SessionMessage.hello(hello).body), now: now)]
    }

    /// Bytes from the peer, in any chunking.
    public mutating func receive(_ bytes: [UInt8], now: Duration) -> [SessionDirective] {
        guard !isClosed else { return [] }
        lastReceived = now
        statistics.bytesReceived += bytes.count
        decoder.feed(bytes)
        var directives: [SessionDirective] = []
        while !isClosed {
            let frame: Frame?
            do {
                frame = try decoder.next()
            } catch {
                directives += fail(code(for: error), error.description, now: now)
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
    public mutating func peerClosed(now: Duration) -> [SessionDirective] {
        guard !isClosed else { return [] }
        state = .closed
        statistics.elapsed = now - startedAt
        let partial = decoder.bufferedBytes
        let reason = partial > 0 ? "the connection closed mid-frame (\(partial) bytes of a frame arrived; none of it was applied)"
            : "the connection closed before the session finished"
        return [.close(SessionEnd(.interrupted(reason)))]
    }

    /// What the peer lacks, answering `offerEventsMissing`: ranges the session reads from
    /// the store (through the context provider) as it sends them.
    public mutating func offer(plan: MissingPlan, now: Duration) -> [SessionDirective] {
        guard case var .established(transfer) = state else { return [] }
        guard context != nil else {
            return fail(.storageFailed, "this side cannot read its store (a session made without a context provider)", now: now)
        }
        transfer.enqueue(plan)
        transfer.offersPending = max(0, transfer.offersPending - 1)
        state = .established(transfer)
        return pump(now: now)
    }

    /// Events the peer may lack, given one by one: in live mode, events just written or
    /// received from another peer; or an answer to `offerEventsMissing`. Those the peer's
    /// summary (brought forward by what it acknowledged and sent since) shows it holds
    /// are dropped: a hub learning a farm's events pushes them only to peers that lack them.
    public mutating func offer(_ events: [Event], now: Duration) -> [SessionDirective] {
        guard case var .established(transfer) = state else { return [] }
        if let context, let summary = transfer.peerSummary {
            transfer.enqueue(events.filter { !Self.peer(summary, holds: $0, context: context) })
        } else {
            transfer.enqueue(events)
        }
        transfer.offersPending = max(0, transfer.offersPending - 1)
        state = .established(transfer)
        return pump(now: now)
    }

    /// A batch the driver was asked to persist is durable. `changedSummary` is set when
    /// the batch revealed a fork to this side: its history changed in a way the peer
    /// cannot infer from what it sent. The session then tells the peer what this side
    /// holds (before acknowledging, so the peer cannot finish first) and offers again
    /// what the peer lacks, so both branches travel in this same session.
    public mutating func persisted(batch: UInt64, newEvents: UInt64, changedSummary: SummaryMessage? = nil,
                                   now: Duration) -> [SessionDirective] {
        guard case var .established(transfer) = state else { return [] }
        guard transfer.persisting.first == batch else {
            return fail(.unexpectedMessage, "batch \(batch) persisted out of order", now: now)
        }
        transfer.persisting.removeFirst()
        transfer.eventsReceivedNew += newEvents
        var directives: [SessionDirective] = []
        if let changedSummary { directives += resummarize(changedSummary, &transfer, now: now) }
        directives.append(send(transfer.outgoing.seal(.ack(AckMessage(batch: batch, newEvents: newEvents))), now: now))
        state = .established(transfer)
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
        if firstSummaryUnsent {
            switch state {
            case .idle, .awaitingHello where role == .listener:
                local.summary = summary.summary  // no state tag names it yet
            default:
                changedBeforeFirstSummary = summary.summary  // the HELLO's tag names `local`
            }
            return (true, [])
        }
        guard case var .established(transfer) = state, transfer.lastSentSummary != nil, transfer.peer != nil else { return (false, []) }
        let directives = resummarize(summary, &transfer, now: now)
        state = .established(transfer)
        return (true, directives + pump(now: now))
    }

    /// True until this side's first SUMMARY has been sent: a listener sends it on the
    /// dialer's HELLO, a dialer on the listener's first SUMMARY.
    private var firstSummaryUnsent: Bool {
        switch state {
        case .idle, .awaitingHello: return true
        case let .awaitingProof(_, transfer): return transfer?.lastSentSummary == nil
        case let .established(transfer): return transfer.lastSentSummary == nil
        case .closed: return false
        }
    }

    /// Sends this side's changed summary, waits for the peer's DONE again, and offers what
    /// the peer lacks against what it is known to hold now.
    private mutating func resummarize(_ changed: SummaryMessage, _ transfer: inout Transfer, now: Duration) -> [SessionDirective] {
        statistics.waits += 1
        local.summary = changed.summary
        var directives = [send(transfer.sealSummary(local), now: now)]
        transfer.peerDone = nil
        transfer.reportedCaughtUp = false
        if let peerSummary = transfer.peerSummary {
            transfer.doneSent = false
            transfer.offersPending += 1
            directives.append(.offerEventsMissing(from: peerSummary))
        }
        return directives
    }

    /// The driver will not store a batch (its events break a rule the store enforces):
    /// the peer is told why and does not send that batch's nodes again in this session.
    public mutating func refuse(batch: UInt64, reason: String, now: Duration) -> [SessionDirective] {
        guard case var .established(transfer) = state else { return [] }
        guard transfer.persisting.first == batch else {
            return fail(.unexpectedMessage, "batch \(batch) refused out of order", now: now)
        }
        transfer.persisting.removeFirst()
        let frame = transfer.outgoing.seal(.ack(AckMessage(batch: batch, newEvents: 0, rejection: reason)))
        state = .established(transfer)
        return [send(frame, now: now)] + pump(now: now)
    }

    /// The driver could not persist a batch (disk full, I/O error): the session stops;
    /// nothing unacknowledged was lost, the next session resends it.
    public mutating func persistFailed(batch: UInt64, reason: String, now: Duration) -> [SessionDirective] {
        fail(.storageFailed, "could not store the peer's batch \(batch): \(reason)", now: now)
    }

    /// Time passes: handshake and idle timeouts, pings in live mode.
    public mutating func tick(now: Duration) -> [SessionDirective] {
        switch state {
        case .idle, .closed:
            return []
        case .awaitingHello, .awaitingProof:
            if now - startedAt > settings.handshakeTimeout {
                return fail(.timeout, "the peer did not complete the handshake within \(settings.handshakeTimeout)", now: now)
            }
            return []
        case var .established(transfer):
            if now - lastReceived > settings.idleTimeout {
                return fail(.timeout, "the peer sent nothing for \(settings.idleTimeout)", now: now)
            }
            if transfer.isLive, now - lastSent >= settings.pingInterval {
                var outgoing = transfer.outgoing
                let frame = outgoing.seal(.ping(UInt64(now.components.seconds)))
                transfer.outgoing = outgoing
                state = .established(transfer)
                return [send(frame, now: now)]
            }
            return []
        }
    }

    /// Closes from this side (shutdown, too many sessions): tells the peer why.
    public mutating func close(_ code: SessionErrorCode, _ message: String, now: Duration) -> [SessionDirective] {
        fail(code, message, now: now)
    }

    // MARK: - Frames

    private mutating func handle(_ frame: Frame, now: Duration) -> [SessionDirective] {
        switch state {
        case .idle, .closed:
            return []
        case .awaitingHello:
            return handleHello(frame, now: now)
        case let .awaitingProof(handshake, transfer):
            return handleProof(frame, handshake: handshake, transfer: transfer, now: now)
        case var .established(transfer):
            var incoming = transfer.incoming
            guard let body = incoming.open(frame) else {
                if frame.type == .error, let message = try? SessionMessage.decode(type: .error, body: frame.payload),
                   case let .error(error) = message {
                    // An unauthenticated ERROR: report it as such, never act on it otherwise.
                    return closeByPeer(error.code, "(unauthenticated) " + error.message)
                }
                return fail(.badMAC, "a frame from the peer failed its MAC check (altered or injected bytes)", now: now)
            }
            transfer.incoming = incoming
            let plain = frame.type == .summary ? transfer.summaryIn.apply(body) : body
            state = .established(transfer)
            let message: SessionMessage
            do {
                message = try SessionMessage.decode(type: frame.type, body: plain)
            } catch {
                return fail(.malformed, "the peer sent a malformed \(frame.type) message: \(error)", now: now)
            }
            return handleEstablished(message, now: now)
        }
    }

    private mutating func handleHello(_ frame: Frame, now: Duration) -> [SessionDirective] {
        guard frame.type == .hello,
              case let .hello(hello)? = try? SessionMessage.decode(type: .hello, body: frame.payload) else {
            return fail(.notCarnet, "the peer's first message is not a Carnet HELLO", now: now)
        }
        guard hello.role == role.peer else {
            return fail(.unexpectedMessage, "both ends of the connection claim to be the \(role)", now: now)
        }
        guard hello.nonce != ownNonce else {
            return fail(.unexpectedMessage, "the peer echoed this side's nonce (a reflected handshake)", now: now)
        }
        if hello.secretID != 0, let old = retired.first(where: { $0.id == hello.secretID }) {
            // Only a hint (anyone may copy an id off the wire), so it can only end the
            // session, never admit a peer; the message tells the peer how to rejoin.
            return fail(.secretRetired,
                        "the peer still uses the ledger's old secret, \(old.note): it must get "
                            + "the new secret file and run `carnet secret install FILE`",
                        toPeer: "this node's ledger secret is no longer valid: it was \(old.note). "
                            + "Get the new secret file from whoever replaced it and run "
                            + "`carnet secret install FILE`", now: now)
        }
        let handshake = Handshake(secret: secret, role: role, ownNonce: ownNonce, peerNonce: hello.nonce)
        guard role == .listener else {
            state = .awaitingProof(handshake, nil)
            return []
        }
        // The listener proves itself and says what it holds at once, encrypted: "same" when
        // the dialer's state tag is its own, else its whole compact summary.
        var transfer = Transfer(handshake: handshake, settings: settings)
        let sameState = Handshake.stateTag(secret: secret, dialerNonce: hello.nonce, summary: local.summary) == hello.stateTag
        var summary = local
        if sameState {
            summary.form = .same
            summary.summary = CompactSummary(entries: [])
        }
        var directives = [send(Frame(type: .proof, payload: handshake.ownProof), now: now),
                          send(transfer.sealSummary(summary, full: local.summary), now: now)]
        if sameState {
            // Nothing to send either way: say DONE at once, counting the dialer's tag as its
            // first summary, so an in-sync dialer finishes in one round trip.
            directives.append(send(transfer.outgoing.seal(.done(lastBatch: 0, summaries: 1)), now: now))
            transfer.doneSent = true
        }
        state = .awaitingProof(handshake, transfer)
        return directives
    }

    private mutating func handleProof(_ frame: Frame, handshake: Handshake, transfer: Transfer?,
                                      now: Duration) -> [SessionDirective] {
        if frame.type == .error, case let .error(error)? = try? SessionMessage.decode(type: .error, body: frame.payload) {
            return closeByPeer(error.code, error.message)
        }
        guard frame.type == .proof else {
            return fail(.unexpectedMessage, "expected the peer's proof, got a \(frame.type) message", now: now)
        }
        guard frame.payload.count == 32 else {
            return fail(.malformed, "the peer's proof is \(frame.payload.count) bytes long, not 32", now: now)
        }
        guard handshake.verifyPeerProof(frame.payload) else {
            return fail(.authenticationFailed,
                        "the peer did not prove it knows this ledger's secret (a wrong secret, or another ledger)", now: now)
        }
        if let transfer {
            // Listener: the dialer is a member; its SUMMARY and events follow.
            state = .established(transfer)
            return []
        }
        // Dialer: prove in turn; this side's SUMMARY goes out once the listener's arrives
        // (as a delta against it), in the same flight.
        state = .established(Transfer(handshake: handshake, settings: settings))
        return [send(Frame(type: .proof, payload: handshake.ownProof), now: now)]
    }

    private mutating func handleEstablished(_ message: SessionMessage, now: Duration) -> [SessionDirective] {
        guard case var .established(transfer) = state else { return [] }
        switch message {
        case let .summary(message):
            guard message.ledger == local.ledger else {
                return fail(.ledgerMismatch, "the peer belongs to ledger \"\(message.ledger)\", this node to \"\(local.ledger)\"", now: now)
            }
            guard message.node != local.node else {
                return fail(.sameNode, "the peer is this same node (\(message.node.short)); a node does not sync with itself", now: now)
            }
            // What the peer holds, in full: "same" and "delta" are relative to this side's
            // latest summary (its own state, for a dialer that has sent none yet).
            let reference = transfer.lastSentSummary ?? local.summary
            let peerSummary: CompactSummary
            switch message.form {
            case .full: peerSummary = message.summary
            case .same: peerSummary = reference
            case .delta: peerSummary = reference.applying(message.summary)
            }
            var directives: [SessionDirective] = []
            if transfer.peer == nil {
                var identified = message
                identified.form = .full
                identified.summary = peerSummary
                directives.append(.peerIdentified(identified))
            }
            transfer.peer = message
            transfer.peerSummary = peerSummary
            transfer.summariesReceived += 1
            statistics.summariesReceived += 1
            // Every SUMMARY is followed by a DONE from its sender (a changed summary comes
            // with a new offer): wait for that one. A listener's "same" comes with its DONE.
            if !(role == .dialer && message.form == .same) { transfer.peerDone = nil }
            if message.form != .same { transfer.doneSent = false }
            if transfer.lastSentSummary == nil {
                // The dialer's answer to the listener's summary: unless both hold the same,
                // the listener's acknowledgements or events are one more round trip away.
                if message.form != .same { statistics.waits += 1 }
                var answer = local
                if message.form == .same {
                    // `same` answers `same`: it names the state the HELLO's tag named.
                    answer.form = .same
                    answer.summary = CompactSummary(entries: [])
                    directives.append(send(transfer.sealSummary(answer, full: local.summary), now: now))
                    if let changed = changedBeforeFirstSummary {
                        // Changed since: told at once, as `historyChanged` would.
                        changedBeforeFirstSummary = nil
                        var message = local
                        message.summary = changed
                        directives += resummarize(message, &transfer, now: now)
                    }
                } else {
                    if let changed = changedBeforeFirstSummary {
                        local.summary = changed
                        changedBeforeFirstSummary = nil
                    }
                    answer.form = .delta
                    answer.summary = local.summary.delta(against: peerSummary)
                    directives.append(send(transfer.sealSummary(answer, full: local.summary), now: now))
                }
            }
            if message.form == .same {
                // The peer holds what this side said it holds: nothing to offer.
                state = .established(transfer)
                return directives + pump(now: now)
            }
            transfer.offersPending += 1
            state = .established(transfer)
            directives.append(.offerEventsMissing(from: peerSummary))
            return directives
        case let .events(message):
            let batch = message.batch
            guard transfer.peer != nil else {
                return fail(.unexpectedMessage, "the peer sent events before its summary", now: now)
            }
            guard batch == transfer.nextIncoming else {
                return fail(.unexpectedMessage, "the peer sent batch \(batch), expected \(transfer.nextIncoming)", now: now)
            }
            transfer.nextIncoming += 1
            transfer.persisting.append(batch)
            let events: [Event]
            do {
                events = try decodeBatch(message)
            } catch let problem as BatchProblem {
                state = .established(transfer)
                return [.refuse(batch: batch, reason: problem.reason)]
            } catch {
                return fail(.malformed, "the peer's batch \(batch) does not decode: \(error)", now: now)
            }
            transfer.eventsReceived += UInt64(events.count)
            // The peer holds what it sends: a later plan or news check must not send it back.
            transfer.peerSummary = transfer.peerSummary?.holding(events)
            state = .established(transfer)
            return [.persist(batch: batch, events: events)]
        case let .ack(ack):
            guard let index = transfer.inFlight.firstIndex(where: { $0.batch == ack.batch }) else {
                return fail(.unexpectedMessage, "the peer acknowledged batch \(ack.batch), which is not in flight", now: now)
            }
            let acknowledged = transfer.inFlight.remove(at: index)
            var directives: [SessionDirective] = []
            if let reason = ack.rejection {
                transfer.refused(acknowledged.events, wasPrimed: acknowledged.primed)
                directives.append(.refused(batch: ack.batch, reason: reason))
            } else {
                transfer.eventsSentNew += ack.newEvents
                transfer.acknowledged(acknowledged.events)
                transfer.peerSummary = transfer.peerSummary?.holding(acknowledged.events)
                directives.append(.acknowledged(batch: ack.batch, newEvents: ack.newEvents))
            }
            state = .established(transfer)
            return directives + pump(now: now)
        case let .done(lastBatch, summaries):
            guard lastBatch == transfer.nextIncoming - 1, summaries <= transfer.summariesSent else {
                return fail(.unexpectedMessage, "the peer said DONE after batch \(lastBatch) for \(summaries) summaries, but sent \(transfer.nextIncoming - 1) batches and received \(transfer.summariesSent) summaries", now: now)
            }
            // A DONE answering an older summary of this side does not count.
            transfer.peerDone = summaries == transfer.summariesSent ? lastBatch : nil
            state = .established(transfer)
            return pump(now: now)
        case let .ping(token):
            var outgoing = transfer.outgoing
            let frame = outgoing.seal(.pong(token))
            transfer.outgoing = outgoing
            state = .established(transfer)
            return [send(frame, now: now)]
        case .pong:
            return []
        case let .error(error):
            return closeByPeer(error.code, error.message)
        case .hello, .proof:
            return fail(.unexpectedMessage, "the peer repeated the handshake inside the session", now: now)
        }
    }

    /// Why a primed batch cannot be taken: this side lacks its context, or holds another.
    private struct BatchProblem: Error {
        var reason: String
    }

    private func decodeBatch(_ message: EventsMessage) throws -> [Event] {
        guard let named = message.context else { return try EventBatch.decode(message.payload) }
        guard let context, let events = context(named.node, named.endSeq, Int(named.count)), events.count == Int(named.count) else {
            throw BatchProblem(reason: "this node does not hold the context the batch is primed with "
                + "(\(named.count) events of \(named.node.short) up to seq \(named.endSeq))")
        }
        let decoded: [Event]
        do {
            decoded = try EventBatch.decode(message.payload, primedWith: events)
        } catch {
            throw BatchProblem(reason: "the batch does not decode against this node's context: \(error)")
        }
        guard decoded.first?.dot.node == named.node, decoded.first?.previous == events.last?.hash else {
            throw BatchProblem(reason: "this node holds another history before the batch")
        }
        return decoded
    }

    /// The bytes of a batch, primed when the peer's summary shows it holds exactly the
    /// chain just before the batch's first event (its head there is that event's
    /// predecessor): the usual case of a peer a day behind on a farm's events.
    private func encodeBatch(_ events: [Event], plain: [UInt8]?, peer: CompactSummary?) -> (payload: [UInt8], context: BatchContext?) {
        guard settings.primingContext > 0, let context, let first = events.first, first.dot.seq > 1,
              let entry = peer?[first.dot.node.high],
              entry.heads == [CompactSummary.Head(seq: first.dot.seq - 1, hash: first.previous.w0)] else {
            return (plain ?? EventBatch.encode(events), nil)
        }
        let count = Int(min(UInt64(settings.primingContext), first.dot.seq - 1))
        guard let prior = context(first.dot.node, first.dot.seq - 1, count), prior.count == count,
              prior.last?.hash == first.previous else {
            return (plain ?? EventBatch.encode(events), nil)
        }
        return (EventBatch.encode(events, primedWith: prior),
                BatchContext(node: first.dot.node, endSeq: first.dot.seq - 1, count: UInt64(count)))
    }

    // MARK: - Sending

    /// Sends batches while the window allows, then DONE, then closes when both sides are
    /// caught up.
    private mutating func pump(now: Duration) -> [SessionDirective] {
        guard case var .established(transfer) = state else { return [] }
        var directives: [SessionDirective] = []
        while transfer.inFlight.count < settings.window,
              let batch = transfer.nextBatch(read: context, peerHolds: peerHolds(transfer.peerSummary)) {
            if role == .listener && batch.number == 1 { statistics.waits += 1 }  // for the dialer's acks
            let (payload, primedWith) = batch.plain ? (batch.encoded ?? EventBatch.encode(batch.events), nil)
                : encodeBatch(batch.events, plain: batch.encoded, peer: transfer.peerSummary)
            let frame = transfer.outgoing.seal(.events(EventsMessage(batch: batch.number, context: primedWith, payload: payload)))
            transfer.inFlight.append((batch.number, batch.events, primedWith != nil))
            if primedWith != nil { statistics.primedBatches += 1 }
            transfer.eventsSent += UInt64(batch.events.count)
            directives.append(send(frame, now: now))
        }
        if !transfer.doneSent, transfer.peer != nil, transfer.offersPending == 0, transfer.outboxIsEmpty {
            let frame = transfer.outgoing.seal(.done(lastBatch: transfer.nextOutgoing - 1, summaries: transfer.summariesReceived))
            transfer.doneSent = true
            directives.append(send(frame, now: now))
        }
        let caughtUp = transfer.doneSent && transfer.inFlight.isEmpty && transfer.persisting.isEmpty
            && transfer.peerDone != nil && transfer.offersPending == 0
        if caughtUp && !transfer.reportedCaughtUp {
            transfer.reportedCaughtUp = true
            directives.append(.caughtUp)
        }
        statistics.eventsSent = transfer.eventsSent
        statistics.eventsSentNew = transfer.eventsSentNew
        statistics.eventsReceived = transfer.eventsReceived
        statistics.eventsReceivedNew = transfer.eventsReceivedNew
        statistics.batchesSent = Int(transfer.nextOutgoing - 1)
        if caughtUp && !(transfer.isLive && local.live) {
            transfer.reportedCaughtUp = true
            state = .closed
            statistics.elapsed = now - startedAt
            directives.append(.close(SessionEnd(.completed)))
            return directives
        }
        state = .established(transfer)
        return directives
    }

    /// Whether the peer, per `summary` (brought forward), surely holds an event about to be sent.
    private func peerHolds(_ summary: CompactSummary?) -> (Event) -> Bool {
        guard let context, let summary else { return { _ in false } }
        return { Self.peer(summary, surelyHolds: $0, context: context) }
    }

    private mutating func send(_ frame: Frame, now: Duration) -> SessionDirective {
        let bytes = frame.encoded
        statistics.bytesSent += bytes.count
        statistics.framesSent += 1
        lastSent = now
        return .send(bytes)
    }

    /// Tells the peer why (under MAC once authenticated) and closes.
    /// Sends ERROR (`toPeer`, when the peer should read other words than this side's
    /// report) and closes.
    private mutating func fail(_ code: SessionErrorCode, _ message: String, toPeer: String? = nil,
                               now: Duration) -> [SessionDirective] {
        guard !isClosed else { return [] }
        let error = SessionMessage.error(ErrorMessage(code: code, message: toPeer ?? message))
        let frame: Frame
        if case let .established(transfer) = state {
            var outgoing = transfer.outgoing
            frame = outgoing.seal(error)
        } else {
            frame = Frame(type: .error, payload: error.body)
        }
        let directive = send(frame, now: now)
        state = .closed
        statistics.elapsed = now - startedAt
        return [directive, .close(SessionEnd(.failed(code, message)))]
    }

    private mutating func closeByPeer(_ code: SessionErrorCode, _ message: String) -> [SessionDirective] {
        state = .closed
        return [.close(SessionEnd(.closedByPeer(code, message)))]
    }

    private func code(for error: FrameError) -> SessionErrorCode {
        switch error {
        case .notCarnet: .notCarnet
        case .unsupportedVersion: .unsupportedVersion
        case .tooLarge: .frameTooLarge
        case .malformed: .malformed
        }
    }
}

/// What a session counts, for `carnet sync`'s report and `status --json`.
public struct SessionStatistics: Sendable, Equatable {
    public var bytesSent = 0
    public var bytesReceived = 0
    public var framesSent = 0
    /// Events sent, and how many of them the peer did not hold.
    public var eventsSent: UInt64 = 0
    public var eventsSentNew: UInt64 = 0
    public var eventsReceived: UInt64 = 0
    public var eventsReceivedNew: UInt64 = 0
    public var batchesSent = 0
    /// Batches sent primed with events the peer held (their strings did not travel again).
    public var primedBatches = 0
    /// The peer's SUMMARY messages taken in (its first, then one per change it told).
    public var summariesReceived = 0
    /// The protocol's round trips after TCP connected, as its structure fixes them: one for
    /// the HELLO exchange (it brings the listener's proof and summary); one more for the
    /// dialer unless both held the same events (its events' acknowledgements, or the
    /// listener's events); one more for the listener when it sent events; one per summary
    /// re-sent after a fork.
    public var waits = 0
    public var elapsed: Duration = .zero

    public init() {}
}
