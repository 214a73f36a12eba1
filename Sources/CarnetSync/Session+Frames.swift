import CarnetCore
import CarnetWire

/// Frames from the peer, by state: the peer's HELLO and PROOF go to the handshake, and
/// once the channel is open each message goes to the part that owns it (SUMMARY to the
/// summary exchange; EVENTS, ACK and DONE to the transfer).
extension Session {
    /// A whole frame from the peer, to the part of the session its state gives it to.
    mutating func handle(_ frame: Frame, now: Duration) -> [SessionDirective] {
        switch state {
        case .idle, .closed:
            return []  // `receive` takes no bytes in these states
        case .awaitingHello:
            return handleHello(frame, now: now)
        case let .awaitingProof(handshake, established):
            return handleProof(frame, handshake: handshake, established: established, now: now)
        case var .established(established):
            guard let body = established.channel.open(frame) else {
                if frame.type == .error, let message = try? SessionMessage.decode(type: .error, body: frame.payload),
                   case let .error(error) = message {
                    // An unauthenticated ERROR: report it as such, never act on it otherwise.
                    return closeByPeer(error.code, "(unauthenticated) " + error.message)
                }
                return fail(SessionFailure(.badMAC, "a frame from the peer failed its MAC check (altered or injected bytes)"), now: now)
            }
            state = .established(established)
            let message: SessionMessage
            do {
                message = try SessionMessage.decode(type: frame.type, body: body)
            } catch {
                return fail(SessionFailure(.malformed, "the peer sent a malformed \(frame.type) message: \(error)"), now: now)
            }
            return handleEstablished(message, established, now: now)
        }
    }

    private mutating func handleHello(_ frame: Frame, now: Duration) -> [SessionDirective] {
        let accepted: HandshakeKeys, hello: HelloMessage
        switch handshake.acceptHello(frame) {
        case let .failure(failure): return fail(failure, now: now)
        case let .success((handshake, message)): (accepted, hello) = (handshake, message)
        }
        guard role == .listener else {
            state = .awaitingProof(accepted, nil)
            return []
        }
        // The listener proves itself and says what it holds at once, encrypted; when the
        // dialer holds the same, it says DONE at once too, so an in-sync dialer finishes in
        // one round trip.
        var established = Established(accepted, settings: settings)
        let same = handshake.dialer(of: hello, holds: summaries.local.summary)
        var directives = [send(handshake.proof(accepted), now: now),
                          send(summaries.listenersFirstSummary(dialerHoldsTheSame: same, on: &established.channel), now: now)]
        if same { directives.append(send(established.transfer.doneAtOnce(on: &established.channel), now: now)) }
        state = .awaitingProof(accepted, established)
        return directives
    }

    private mutating func handleProof(_ frame: Frame, handshake accepted: HandshakeKeys, established: Established?,
                                      now: Duration) -> [SessionDirective] {
        switch handshake.acceptProof(frame, of: accepted) {
        case let .closedByPeer(code, message): return closeByPeer(code, message)
        case let .failed(failure): return fail(failure, now: now)
        case .proven: break
        }
        if let established {
            // Listener: the dialer is a member; its SUMMARY and events follow.
            state = .established(established)
            return []
        }
        // Dialer: prove in turn; this side's SUMMARY goes out once the listener's arrives
        // (as a delta against it), in the same flight.
        state = .established(Established(accepted, settings: settings))
        return [send(handshake.proof(accepted), now: now)]
    }

    private mutating func handleEstablished(_ message: SessionMessage, _ established: Established, now: Duration) -> [SessionDirective] {
        var established = established
        switch message {
        case let .summary(message):
            return summaryArrived(message, &established, now: now)
        case let .events(message):
            guard summaries.peer != nil else {
                return fail(SessionFailure(.unexpectedMessage, "the peer sent events before its summary"), now: now)
            }
            switch established.transfer.batchArrived(message, priming: priming) {
            case let .failed(failure):
                return fail(failure, now: now)
            case let .refuse(reason):
                state = .established(established)
                return [.refuseIncoming(batch: message.batch, reason: reason)]
            case let .decoded(events):
                // The peer holds what it sends: a later plan or news check must not send it back.
                summaries.peerHolds(events.events)
                state = .established(established)
                return [.persist(batch: message.batch, events: events)]
            }
        case let .ack(ack):
            switch established.transfer.acknowledged(ack) {
            case let .failure(failure):
                return fail(failure, now: now)
            case let .success((directive, held)):
                summaries.peerHolds(held)
                state = .established(established)
                return [directive] + pump(now: now)
            }
        case let .done(lastBatch, answered):
            if let failure = established.transfer.peerSaidDone(lastBatch: lastBatch, summaries: answered, summariesSent: summaries.sent) {
                return fail(failure, now: now)
            }
            state = .established(established)
            return pump(now: now)
        case let .ping(token):
            let frame = established.channel.seal(.pong(token))
            state = .established(established)
            return [send(frame, now: now)]
        case .pong:
            return []
        case let .error(error):
            return closeByPeer(error.code, error.message)
        case .hello, .proof:
            return fail(SessionFailure(.unexpectedMessage, "the peer repeated the handshake inside the session"), now: now)
        }
    }

    /// The peer's SUMMARY: who it is (the first time), what it holds, a dialer's answer to
    /// the listener's first; then an offer of what it lacks, unless it said "same".
    private mutating func summaryArrived(_ message: SummaryMessage, _ established: inout Established, now: Duration) -> [SessionDirective] {
        let answering = summaries.firstSummaryUnsent
        let receipt: SummaryExchange.Receipt
        switch summaries.summaryArrived(message, role: role, on: &established.channel) {
        case let .failure(failure): return fail(failure, now: now)
        case let .success(taken): receipt = taken
        }
        var directives: [SessionDirective] = []
        if let identified = receipt.identified { directives.append(.peerIdentified(identified)) }
        statistics.summariesReceived += 1
        let same = message.form == .same
        established.transfer.peerSummarized(sameAsSaid: same, fromListener: role == .dialer)
        // The dialer's answer: unless both hold the same, the listener's acknowledgements
        // or events are one more round trip away.
        if answering && !same { statistics.waits += 1 }
        directives += receipt.answer.map { send($0, now: now) }
        if receipt.restated { directives += awaitPeerAgain(&established) }
        if same {
            // The peer holds what this side said it holds: nothing to offer.
            state = .established(established)
            return directives + pump(now: now)
        }
        established.transfer.askedForOffer()
        state = .established(established)
        directives.append(.offerEventsMissing(from: receipt.holdings))
        return directives
    }
}
