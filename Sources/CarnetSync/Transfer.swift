import CarnetCore
import CarnetWire

/// Transfer and flow control of an authenticated session: batches numbered and sent while
/// the window allows, acknowledged or refused by the peer; the peer's batches taken in
/// order, handed to the driver to persist and acknowledged once durable; DONE each way;
/// and the moment both sides are caught up. What is still to send is the `SendQueue`'s.
/// Every field states its invariant.
struct Transfer: Sendable {
    let settings: SessionSettings
    /// What this side has yet to send.
    private(set) var queue: SendQueue
    /// `offerEventsMissing` directives not yet answered by `offer`. DONE waits for zero.
    private(set) var offersPending = 0
    /// Batches sent and not acknowledged, oldest first, with their events (kept so that a
    /// refused batch of several nodes can be retried node by node). At most `window`.
    private var inFlight: [(batch: UInt64, events: [Event], primed: Bool)] = []
    /// Number of the next batch this side sends (from 1).
    private var nextOutgoing: UInt64 = 1
    /// Number of the next batch expected from the peer (from 1, no gaps).
    private var nextIncoming: UInt64 = 1
    /// Received batches handed to the driver to persist and not yet acknowledged, in order.
    private var persisting: [UInt64] = []
    /// This side said DONE for the peer's latest summary (and has not queued anything since).
    private var doneSent = false
    /// The peer's DONE answering this side's latest summary: the last batch it sent.
    private var peerDone: UInt64?
    /// `caughtUp` was reported since the last re-summary.
    private var reportedCaughtUp = false
    private var eventsSent: UInt64 = 0
    private var eventsSentNew: UInt64 = 0
    private var eventsReceived: UInt64 = 0
    private var eventsReceivedNew: UInt64 = 0
    /// The session's byte budget, both ways on the socket (SPEC 8.3.9); nil without one.
    private(set) var budget: Int?
    /// A listener under the dialer's budget sends no EVENTS before the dialer's first
    /// DONE: the dialer's own events, which exist nowhere else, take the budget first.
    private var eventsWaitForPeerDone = false
    /// The peer said DONE at least once in this session.
    private var peerSaidDoneOnce = false
    /// A batch did not fit the budget: no batch is sent after it, and DONE follows what was.
    private(set) var heldBack = false
    /// A custody receipt is still to come either way (SPEC 9.6): its frame is kept back
    /// from a budget.
    var receiptDue = false
    /// A listener's device key is still to travel in front of its next frame, because the
    /// dialer asked for it (SPEC 8.2.7): 48 bytes kept back from a budget.
    var keyDue = false
    /// What this side would send and the peer has not granted yet (SPEC 8.3 rule 8).
    var grants = GrantGate()
    /// What this side granted the peer: the only events it takes from it.
    var grantedToPeer = GrantedToPeer()

    /// Both sides set their handshake bit: from now on every event waits for a grant.
    mutating func putGrantsInForce() {
        grants.inForce = true
        queue.grantsInForce = true
    }

    init(settings: SessionSettings) {
        self.settings = settings
        queue = SendQueue(settings: settings)
    }

    /// Events this side holds on to for the peer (queued or unacknowledged).
    var retainedCount: Int { queue.retainedCount }

    /// The session runs under a byte budget of `bytes` (0: none). A listener's events wait
    /// for the dialer's DONE (`waitForPeerDone`).
    mutating func setBudget(_ bytes: UInt32, waitForPeerDone: Bool) {
        guard bytes > 0 else { return }
        budget = Int(bytes)
        eventsWaitForPeerDone = waitForPeerDone
    }

    /// Bytes kept back from the budget for each small SEALED frame still to come either
    /// way (an ACK, a DONE): its 21 bytes of header and tag and an inner message of at
    /// most 11 bytes (an ACK of a batch numbered below 2^14 that stored fewer than 2^14
    /// new events, or a DONE).
    static let controlFrameReserve = 32

    // MARK: - Offers

    /// The driver was asked what the peer lacks (`offerEventsMissing`).
    mutating func askedForOffer() {
        offersPending += 1
    }

    /// What the peer lacks, as a plan; answers one `offerEventsMissing` (if one is pending).
    mutating func offered(_ plan: MissingPlan) {
        enqueue(plan)
        offersPending = max(0, offersPending - 1)
    }

    /// Relays a live dialer held back (`Session+Relay`), planned when their delay passed:
    /// queued as news is, answering no offer.
    mutating func relayed(_ plan: MissingPlan) {
        enqueue(plan)
    }

    /// What the peer may lack, one by one; answers one `offerEventsMissing` (if one is pending).
    mutating func offered(_ events: [Event]) {
        if grants.inForce { grants.hold(events) } else { queue.enqueue(events) }
        offersPending = max(0, offersPending - 1)
    }

    /// To the queue, or, with grants in force, to wait for the peer's GRANT.
    private mutating func enqueue(_ plan: MissingPlan) {
        if grants.inForce { grants.hold(plan) } else { queue.enqueue(plan) }
    }

    /// The peer's GRANT: what it granted goes to the queue. True when it refused some of
    /// the offer for a reason other than holding it (another of its sessions brings it):
    /// a live session offers it again later.
    /// In a signed ledger (`heads`) only what ends where this side may cut goes (SPEC 8.3
    /// rule 8), with what lets it end there.
    mutating func grantArrived(granted: [GrantRange], held: [GrantRange], read: GrantGate.ChainReader?,
                               heads: HeadSource? = nil) -> Result<Bool, SessionFailure> {
        switch grants.granted(granted, held: held, read: read, heads: heads) {
        case let .failure(failure):
            return .failure(failure)
        case let .success((plan, events, refusedSome, cuts)):
            queue.allowCuts(cuts)
            queue.enqueueGranted(plan, read: read)
            queue.enqueue(events)
            return .success(refusedSome)
        }
    }

    // MARK: - Summaries

    /// The peer's SUMMARY arrived: every SUMMARY is followed by a DONE from its sender (a
    /// changed summary comes with a new offer), so wait for that one, except after a
    /// listener's "same", which comes with its DONE. A SUMMARY that is not "same" may ask
    /// for more events: this side's DONE is to be said again.
    mutating func peerSummarized(sameAsSaid: Bool, fromListener: Bool) {
        if !(fromListener && sameAsSaid) { peerDone = nil }
        if !sameAsSaid { doneSent = false }
    }

    /// This side sent a re-summary: the peer's DONE is awaited again, and, when the peer's
    /// holdings are known (an offer follows), this side's own DONE waits for the offer.
    mutating func resummarized(reoffering: Bool) {
        peerDone = nil
        reportedCaughtUp = false
        if reoffering {
            doneSent = false
            offersPending += 1
        }
    }

    /// A listener whose state the dialer's HELLO named: nothing to send either way, so it
    /// says DONE at once, counting the dialer's tag as its first summary.
    mutating func doneAtOnce(on channel: inout SecureChannel) -> Frame {
        doneSent = true
        return channel.seal(.done(lastBatch: 0, summaries: 1))
    }

    // MARK: - The peer's batches

    /// What becomes of a batch from the peer.
    enum Arrival {
        /// Decoded: the session asks its driver to persist it.
        case decoded(SignedEvents)
        /// Its priming cannot be used here: the driver answers with `refuse`.
        case refuse(String)
        case failed(SessionFailure)
    }

    /// Takes in the peer's batch, in order, decoded (against this side's chain context when
    /// primed).
    mutating func batchArrived(_ message: EventsMessage, priming: BatchPriming) -> Arrival {
        let batch = message.batch
        guard batch == nextIncoming else {
            return .failed(SessionFailure(.unexpectedMessage, "the peer sent batch \(batch), expected \(nextIncoming)"))
        }
        nextIncoming += 1
        persisting.append(batch)
        let events: SignedEvents
        do {
            events = try priming.decode(message)
        } catch let problem as BatchPriming.Problem {
            return .refuse(problem.reason)
        } catch {
            return .failed(SessionFailure(.malformed, "the peer's batch \(batch) does not decode: \(error)"))
        }
        eventsReceived += UInt64(events.events.count)
        return .decoded(events)
    }

    /// The driver made the peer's oldest unacknowledged batch durable (`newEvents` of it new
    /// here), or refused it (`newEvents` nil): the ACK to send follows, unless the batch was
    /// not the one awaited.
    mutating func stored(batch: UInt64, newEvents: UInt64?) -> SessionFailure? {
        guard persisting.first == batch else {
            return SessionFailure(.unexpectedMessage, "batch \(batch) \(newEvents == nil ? "refused" : "persisted") out of order")
        }
        persisting.removeFirst()
        if let newEvents { eventsReceivedNew += newEvents }
        return nil
    }

    /// The peer said DONE for this side's latest summary and every batch it names is
    /// durable and acknowledged here: what a custody receipt waits for.
    var peerDoneAndStored: Bool { peerDone != nil && persisting.isEmpty }

    /// The peer's DONE: the last batch it sent, and how many of this side's summaries it
    /// answers (`summariesSent` of them were sent). A DONE answering an older summary does not count.
    mutating func peerSaidDone(lastBatch: UInt64, summaries: UInt64, summariesSent: UInt64) -> SessionFailure? {
        guard lastBatch == nextIncoming - 1, summaries <= summariesSent else {
            return SessionFailure(.unexpectedMessage, "the peer said DONE after batch \(lastBatch) for \(summaries) summaries, but sent \(nextIncoming - 1) batches and received \(summariesSent) summaries")
        }
        peerDone = summaries == summariesSent ? lastBatch : nil
        peerSaidDoneOnce = true
        return nil
    }

    // MARK: - This side's batches

    /// The peer's ACK of one of this side's batches: the directive that reports it, and the
    /// events the peer now holds (none when it refused them).
    mutating func acknowledged(_ ack: AckMessage) -> Result<(SessionDirective, held: [Event]), SessionFailure> {
        guard let index = inFlight.firstIndex(where: { $0.batch == ack.batch }) else {
            return .failure(SessionFailure(.unexpectedMessage, "the peer acknowledged batch \(ack.batch), which is not in flight"))
        }
        let acknowledged = inFlight.remove(at: index)
        if let reason = ack.refusal {
            queue.refused(acknowledged.events, wasPrimed: acknowledged.primed)
            return .success((.peerRefused(batch: ack.batch, reason: reason), []))
        }
        eventsSentNew += ack.newEvents
        queue.acknowledged(acknowledged.events)
        return .success((.acknowledged(batch: ack.batch, newEvents: ack.newEvents), acknowledged.events))
    }

    /// What `pump` did.
    struct Pumped {
        /// Frames to send, in order: batches, then perhaps DONE.
        var frames: [Frame] = []
        /// Both sides just became caught up (reported once per summary).
        var caughtUp = false
        /// Caught up, and the session is not live: it is complete.
        var complete = false
    }

    /// Under a budget, the most bytes the next batch's encoding may take: what is left of
    /// the budget less what is due after it (`pump` checks the whole frame), less 64
    /// bytes for the frame around the batch (header, tag, the EVENTS fields, a primed
    /// batch's context) so that a batch cut to the room also fits as a frame. Nil without
    /// a budget; at least 1, so that a full budget still cuts a batch, which then does not
    /// fit and stops the sending.
    private func budgetRoom(_ statistics: SessionStatistics, pending: Int) -> Int? {
        guard let budget else { return nil }
        return max(1, budget - statistics.bytesSent - statistics.bytesReceived - pending - dueAfterNextBatch - 64)
    }

    /// What the next batch leaves due, kept back from a budget: an ACK of it and of every
    /// batch in flight either way, and both DONEs.
    private var dueAfterNextBatch: Int {
        Self.controlFrameReserve * (inFlight.count + 1 + persisting.count + 2) + (receiptDue ? Session.receiptFrameReserve : 0)
            + (keyDue ? DeviceProof.keyLength : 0)
    }

    /// Sends batches while the window allows, then DONE once nothing is left to send or
    /// offer; says when both sides are caught up, and whether that completes the session
    /// (`staysOpen`: both sides asked for a live session).
    mutating func pump(on channel: inout SecureChannel, summaries: SummaryExchange, priming: BatchPriming,
                       role: SessionRole, staysOpen: Bool, waitingForReceipt: Bool = false,
                       statistics: inout SessionStatistics) -> Pumped {
        var pumped = Pumped()
        var pumpedBytes = 0
        if let ranges = grants.nextOffer(read: priming.context, heads: priming.heads) {
            pumped.frames.append(channel.seal(.offer(ranges)))
            statistics.waits += 1  // for the peer's GRANT
        }
        while inFlight.count < settings.window, !heldBack, !(eventsWaitForPeerDone && !peerSaidDoneOnce),
              let batch = queue.nextBatch(read: priming.context, heads: priming.heads,
                                          peerHolds: priming.surelyHeld(by: summaries.peerHoldings),
                                          byteLimit: budgetRoom(statistics, pending: pumpedBytes)) {
            let number = nextOutgoing
            let (payload, primedWith) = batch.plain ? (batch.encoded ?? BatchPriming.plain(batch.events, heads: batch.heads), nil)
                : priming.encode(batch.events, heads: batch.heads, plain: batch.encoded, peerHoldings: summaries.peerHoldings)
            let message = SessionMessage.events(EventsMessage(batch: number, context: primedWith, payload: payload))
            if let budget {
                // The batch and what it leaves due: past the budget, this batch and all
                // after it wait for the next session (nothing of them was sent).
                let frameBytes = channel.sealedLength(message)
                let used = statistics.bytesSent + statistics.bytesReceived + pumpedBytes
                guard used + frameBytes + dueAfterNextBatch <= budget else {
                    heldBack = true
                    statistics.heldBackByBudget = true
                    break
                }
                pumpedBytes += frameBytes
            }
            nextOutgoing += 1
            if role == .listener && number == 1 { statistics.waits += 1 }  // for the dialer's acks
            pumped.frames.append(channel.seal(message))
            inFlight.append((number, batch.events, primedWith != nil))
            if primedWith != nil { statistics.primedBatches += 1 }
            eventsSent += UInt64(batch.events.count)
        }
        if !doneSent, summaries.peer != nil, offersPending == 0, grants.isIdle, queue.isEmpty || heldBack {
            pumped.frames.append(channel.seal(.done(lastBatch: nextOutgoing - 1, summaries: summaries.arrived)))
            doneSent = true
        }
        // A dialer that asked for a custody receipt is caught up only once it has it.
        let caughtUp = doneSent && inFlight.isEmpty && persisting.isEmpty && peerDone != nil && offersPending == 0 && !waitingForReceipt
            && grants.isIdle && !grantedToPeer.deciding
        if caughtUp && !reportedCaughtUp {
            reportedCaughtUp = true
            pumped.caughtUp = true
        }
        statistics.eventsSent = eventsSent
        statistics.eventsSentNew = eventsSentNew
        statistics.eventsReceived = eventsReceived
        statistics.eventsReceivedNew = eventsReceivedNew
        statistics.batchesSent = Int(nextOutgoing - 1)
        pumped.complete = caughtUp && !staysOpen
        return pumped
    }
}
