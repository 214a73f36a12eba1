import CarnetCore
import CarnetWire

/// Frames from the peer, by state: the handshake messages go to the handshake, and once
/// the channel is open each SEALED frame is opened and its message goes to the part that
/// owns it (SUMMARY to the summary exchange; EVENTS, ACK and DONE to the transfer).
extension Session {
    /// A whole frame from the peer, to the part of the session its state gives it to.
    mutating func handle(_ frame: Frame, now: Duration) -> [SessionDirective] {
        switch state {
        case .idle, .closed:
            return []  // `receive` takes no bytes in these states
        case let .handshaking(noise?):
            return handleReply(frame, noise, now: now)
        case .handshaking(nil):
            return handleOpening(frame, now: now)
        case var .established(established):
            if devices != nil, frame.type == .sealed {
                if role == .listener, established.channel.opened == 0 { return handleProvedFirst(frame, established, now: now) }
                if role == .dialer, awaitingPeerKey { return handleKeyedFirst(frame, established, now: now) }
            }
            guard let opened = established.channel.open(frame) else {
                if frame.type == .error, case let .error(error)? = try? SessionMessage.decode(type: .error, body: frame.payload) {
                    // An ERROR in clear: reported as such, never acted on otherwise.
                    return closeByPeer(error.code, "(unauthenticated) " + error.message)
                }
                return fail(SessionFailure(.badMAC, "a frame from the peer did not decrypt under its key and next nonce "
                                                + "(altered, replayed, reordered, reflected or cut bytes); none of it was used"),
                            now: now)
            }
            state = .established(established)
            switch opened {
            case let .failure(error):
                return fail(SessionFailure(.malformed, "the peer sent a malformed message: \(error)"), now: now)
            case let .success(message):
                return handleEstablished(message, established, now: now)
            }
        }
    }

    /// A listener's first SEALED frame from the dialer in a signed ledger: the dialer's
    /// device proof (over the final handshake hash), kept for its SUMMARY, then its message.
    /// A dialer that asks for this side's key gets it in front of this side's next frame.
    private mutating func handleProvedFirst(_ frame: Frame, _ established: Established, now: Duration) -> [SessionDirective] {
        var established = established
        guard let opened = established.channel.open(frame, after: DeviceProof.decode(from:)) else {
            return fail(SessionFailure(.badMAC, "the peer's first frame did not decrypt under its key; none of it was used"), now: now)
        }
        state = .established(established)
        switch opened {
        case let .failure(error):
            return fail(SessionFailure(.malformed, "the peer's first frame (device proof and message) is malformed: \(error)"), now: now)
        case let .success((proof, message)):
            peerProof = (proof, established.channel.handshakeHash)
            if proof.asksForKey {
                guard let key = devices?.ownKey() else { return fail(Self.noDeviceKey, now: now) }
                established.channel.nextFramePrefix = DeviceProof.encode(key)
                state = .established(established)
            }
            return handleEstablished(message, established, now: now)
        }
    }

    /// A dialer's first SEALED frame from the listener after it asked for the listener's
    /// key: the key, with which the listener's proof from message 2 is checked before the
    /// frame's message (or anything after it) is taken in.
    private mutating func handleKeyedFirst(_ frame: Frame, _ established: Established, now: Duration) -> [SessionDirective] {
        var established = established
        guard let opened = established.channel.open(frame, after: DeviceProof.decodeKey(from:)) else {
            return fail(SessionFailure(.badMAC, "a frame from the peer did not decrypt under its key and next nonce; none of it was used"),
                        now: now)
        }
        state = .established(established)
        switch opened {
        case let .failure(error):
            return fail(SessionFailure(.malformed, "the peer's key and message are malformed: \(error)"), now: now)
        case let .success((key, message)):
            awaitingPeerKey = false
            peerProof?.proof.key = key
            guard let claimed = summaries.peer?.node else {
                return fail(SessionFailure(.unexpectedMessage, "the peer sent its key before its summary"), now: now)
            }
            if let failure = verifyPeerDevice(claimed: claimed) { return fail(failure, now: now) }
            return handleEstablished(message, established, now: now)
        }
    }

    /// Checks the peer's device proof against the node it claims (SPEC 8.2.7); on success
    /// the session knows which node's device the peer is.
    private mutating func verifyPeerDevice(claimed: NodeID) -> SessionFailure? {
        guard let devices else { return nil }
        guard let proof = peerProof else {
            return SessionFailure(.authenticationFailed, "the peer did not prove its device, which a signed ledger requires")
        }
        if let failure = devices.rejection(of: proof.proof, role: role.peer, handshakeHash: proof.handshakeHash, claimed: claimed) {
            return failure
        }
        // The key a custody receipt from this peer must verify under (SPEC 9.6).
        receipts.peerKey = proof.proof.key ?? devices.declaredKey(claimed)
        peerProof = nil
        statistics.peerDevice = claimed
        return nil
    }

    /// The listener on the dialer's message 1: a member gets message 2 with this side's
    /// first SUMMARY (and DONE at once when the dialer's state tag says it holds the same,
    /// so an in-sync dialer finishes in one round trip); anyone else gets what
    /// `HandshakeSteps.acceptOpening` says, usually nothing.
    private mutating func handleOpening(_ frame: Frame, now: Duration) -> [SessionDirective] {
        guard frame.type == .handshake1 else {
            return fail(SessionFailure(.unexpectedMessage, "expected the dialer's handshake, got a \(frame.type) frame"), now: now)
        }
        var noise: NoiseHandshakeState, hello: DialerHello
        switch handshake.acceptOpening(frame) {
        case let .refused(reply, failure): return fail(failure, sending: reply?.encoded, now: now)
        case let .admitted(state, message): (noise, hello) = (state, message)
        }
        let same = HandshakeKeys.stateTag(of: summaries.local.summary) == hello.stateTag
        let first = summaries.listenersFirstSummary(dialerHoldsTheSame: same)
        measurePeerClock(listenerReading: hello.wallMillis, now: now)
        let proofRoom = devices == nil ? 0 : DeviceProof.length(withKey: true)
        let inline = ListenerReply.fixedLength + proofRoom + SessionMessage.summary(first).encoded.count <= HandshakeSteps.maxReplyLength
        var prove: (([UInt8]) -> DeviceProof)?
        if let devices {
            // The signature alone, unless the SUMMARY follows: a dialer that lacks this
            // node's key asks for it in its first frame, having read the SUMMARY that names
            // the node (most dialers hold it: the key travels only to those that do not).
            guard devices.ownKey() != nil else { return fail(Self.noDeviceKey, now: now) }
            prove = { hash in
                // The key was just read, so signing cannot fail; were it to, the peer would
                // refuse the zero signature.
                devices.proof(role: .listener, handshakeHash: hash, peerNeedsNoKey: inline)
                    ?? DeviceProof(key: nil, signature: [UInt8](repeating: 0, count: DeviceProof.signatureLength))
            }
        }
        // Grants in force when the dialer asked and this side speaks them (it refused the bit otherwise).
        let grants = hello.flags & DialerHello.grantsFlag != 0
        let (message2, transport) = handshake.reply(&noise, inline ? .summary(first) : nil, wallMillis: wallMillis(at: now),
                                                   grants: grants, proving: prove)
        var established = Established(transport, settings: settings)
        if grants {
            established.transfer.putGrantsInForce()
            statistics.grantsInForce = true
        }
        receipts.asked = hello.flags & DialerHello.receiptFlag != 0
        established.transfer.receiptDue = receipts.asked
        applyBudget(hello.budgetBytes, to: &established.transfer)
        var directives = [send(message2, now: now)]
        if !inline { directives += established.channel.seal(first).map { send($0, now: now) } }
        if same { directives.append(send(established.transfer.doneAtOnce(on: &established.channel), now: now)) }
        state = .established(established)
        return directives
    }

    /// The dialer on the listener's message 2: the channel opens, and the listener's first
    /// SUMMARY is taken as any SUMMARY (this side's answer and events follow in one flight).
    private mutating func handleReply(_ frame: Frame, _ noise: NoiseHandshakeState, now: Duration) -> [SessionDirective] {
        switch handshake.acceptReply(frame, to: noise) {
        case let .closedByPeer(code, message): return closeByPeer(code, message)
        case let .failed(failure): return fail(failure, now: now)
        case let .admitted(transport, summary, proof, peerMillis, grants):
            measurePeerClock(dialerReading: peerMillis, now: now)
            var established = Established(transport, settings: settings)
            if grants {
                established.transfer.putGrantsInForce()
                statistics.grantsInForce = true
            }
            established.transfer.receiptDue = receipts.asked
            applyBudget(settings.budgetBytes, to: &established.transfer)
            if let devices {
                peerProof = proof
                // The listener holds this node's declaration surely when it holds the same,
                // or says it holds events of this node (seq 1 is the declaration).
                let own = summaries.local.node
                let holdsOwn = summary.map { $0.form == .same || ($0.summary[own.high]?.seq ?? 0) >= 1 } ?? false
                guard var mine = devices.proof(role: .dialer, handshakeHash: established.channel.handshakeHash,
                                               peerNeedsNoKey: holdsOwn) else {
                    return fail(Self.noDeviceKey, now: now)
                }
                // A listener's signature alone, for a node whose key this side lacks: ask.
                if let summary, proof?.proof.key == nil, devices.declaredKey(summary.node) == nil {
                    mine.asksForKey = true
                    awaitingPeerKey = true
                }
                established.channel.nextFramePrefix = mine.encoded
            }
            // Established before the SUMMARY is taken, so that a refusal of it (another
            // ledger, this same node) reaches the listener, SEALED.
            state = .established(established)
            guard let summary else { return [] }
            if summary.continued {
                // Message 2 carries a SUMMARY only when it fits there whole (SPEC 8.2.2).
                return fail(SessionFailure(.malformed, "the peer's handshake message carries part of a split summary"), now: now)
            }
            return summaryArrived(summary, &established, now: now)
        }
    }

    private mutating func handleEstablished(_ message: SessionMessage, _ established: Established, now: Duration) -> [SessionDirective] {
        var established = established
        if summaryParts.isOpen, message.frameType != .summary {
            return fail(SessionFailure(.unexpectedMessage, "the peer sent a \(message.frameType) between the parts of its summary"), now: now)
        }
        switch message {
        case let .summary(part):
            switch summaryParts.add(part) {
            case let .failure(refusal):
                return fail(SessionFailure(.malformed, refusal.reason), now: now)
            case .success(nil):
                state = .established(established)
                return []
            case let .success(whole?):
                return summaryArrived(whole, &established, now: now)
            }
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
                if established.transfer.grants.inForce, let refusal = established.transfer.grantedToPeer.refusal(of: events) {
                    return fail(SessionFailure(.malformed, refusal + " (grants are in force)"), now: now)
                }
                noteStamps(of: events.events, now: now)
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
        case let .receipt(receipt):
            return receiptArrived(receipt, established, now: now)
        case let .offer(ranges):
            guard established.transfer.grants.inForce else {
                // Without grants the type is unknown, as it was before them.
                return fail(SessionFailure(.malformed, "the peer sent a malformed message: unknown message type 11 (grants are not in force)"), now: now)
            }
            guard summaries.peer != nil, !established.transfer.grantedToPeer.deciding else {
                return fail(SessionFailure(.unexpectedMessage, "the peer sent an OFFER before its summary or before this side's GRANT"), now: now)
            }
            established.transfer.grantedToPeer.deciding = true
            state = .established(established)
            return [.grantAsked(ranges)]
        case let .grant(granted, held):
            guard established.transfer.grants.inForce else {
                return fail(SessionFailure(.malformed, "the peer sent a malformed message: unknown message type 12 (grants are not in force)"), now: now)
            }
            switch established.transfer.grantArrived(granted: granted, held: held, read: priming.context, heads: priming.heads) {
            case let .failure(failure):
                return fail(failure, now: now)
            case let .success(refusedSome):
                state = .established(established)
                // A one-shot session finishes without what another session brings (SPEC 8.3 rule 7).
                let later: [SessionDirective] = refusedSome && summaries.peerIsLive && summaries.local.live ? [.reofferLater] : []
                return later + pump(now: now)
            }
        case let .error(error):
            return closeByPeer(error.code, error.message)
        }
    }

    /// The peer's SUMMARY: who it is (the first time), what it holds, a dialer's answer to
    /// the listener's first; then an offer of what it lacks, unless it said "same".
    private mutating func summaryArrived(_ message: SummaryMessage, _ established: inout Established, now: Duration) -> [SessionDirective] {
        if devices != nil, statistics.peerDevice == nil, !awaitingPeerKey {
            // The peer's first SUMMARY names the node its device proof must show it is:
            // checked before anything of the peer is taken in (a dialer that asked for the
            // listener's key checks when the key arrives, before the listener's next message).
            if let failure = verifyPeerDevice(claimed: message.node) { return fail(failure, now: now) }
        }
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
