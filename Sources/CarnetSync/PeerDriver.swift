import CarnetCore
import CarnetWire

/// The one interpreter of a `Session`'s directives, and the policy around it: what a node
/// does for one peer. A shell (the TCP server and client, the simulation, the fuzz target,
/// test harnesses) owns the connection and the clock, and calls the driver for everything
/// else, passing the node's store and the connection's transport into each call.
///
/// Pure and synchronous: a batch is persisted within the call that received it (a shell
/// that models disk latency delays what the call wrote instead). The policy, in one place:
/// a persisted batch is acknowledged with how many events were new, and with this node's
/// summary when it now holds a fork the peer has not heard of; a peer's summary is
/// answered with the store's plan of what it lacks; news reach the peer only once both
/// sides keep the session live; a fork learned elsewhere (another session, another
/// process), and a continuation under a new id wherever it came from, is told to the peer
/// as soon as the session can take it (SPEC 8.3 rule 6).
public struct PeerDriver: Sendable {
    public let live: Bool
    /// This session's place in the store's news feed.
    public let feed: Int
    public private(set) var session: Session
    public private(set) var report = PeerDriverReport()
    /// The forks this node held when the session last told its peer its summary (or kept
    /// a change for its first one).
    public private(set) var forksSummarized: Int
    /// The id this node wrote under then: a continuation under a new id since is a change
    /// the peer cannot infer (its link event), even when it brought no fork.
    public private(set) var nodeSummarized: NodeID
    /// Set by `newsArrived`, and at the start: the feed may hold events from before the
    /// session went live, which must go out once it is (no later wake may come for them).
    private var newsWaiting = true
    /// When a live dialer's held-back relays go to its listener (`Session+Relay`); nil
    /// when none are held.
    private var relayDue: Duration?
    /// This session's relay delay: the setting, stretched by up to half again by the
    /// session's own randomness, so that dialers holding the same events for one listener
    /// do not all send them at the same instant when it lacks them (the first copy it gets
    /// is pushed to the others, which then drop theirs). Drawn from a hash of the nonce, so
    /// that the timing of relays says nothing of the ephemeral key.
    private let relayDelay: Duration
    private let loan: PeerStoreLoan
    /// The session gave its `close` (checked by `checkContract`).
    private var closeGiven = false

    /// Registers the session in `store`'s news feed (`wake` is called from any thread
    /// when there is news: the shell then calls `newsArrived`) and makes the session,
    /// which tells the peer what the store holds now. `replays`: a listening process's
    /// replay cache (SPEC 8.2.6).
    public init<Store: PeerStore>(role: SessionRole, secret: [UInt8], nonce: [UInt8], live: Bool,
                                  settings: SessionSettings = SessionSettings(), retired: [RetiredSecret] = [],
                                  wallMillis: UInt64 = 0, replays: ReplayCheck? = nil, store: Store,
                                  wake: @escaping @Sendable () -> Void = {}) {
        let registration = store.register(live: live, wake: wake)
        let loan = PeerStoreLoan()
        self.live = live
        self.loan = loan
        let draw = SHA256.hash(Array("carnet relay delay".utf8) + nonce).w0 >> 11
        relayDelay = settings.relayDelay + settings.relayDelay * (Double(draw) / Double(1 << 54))
        feed = registration.session
        forksSummarized = registration.forks
        nodeSummarized = registration.summary.node
        let heads = store.signsBatches
            ? HeadSource(own: { loan.node }, head: { loan.signedHead(at: $0) },
                         extend: { loan.chainToSignedHead(after: $0) }) : nil
        // A signed ledger's sessions prove their devices (SPEC 8.2.7); format 1 has none.
        let devices = store.signsBatches
            ? DeviceCredentials(ownKey: { loan.deviceKey }, sign: { loan.signWithDevice($0) },
                                declaredKey: { loan.declaredKey(of: $0) }, newestHeld: { loan.newestHeld(of: $0) }) : nil
        session = Session(role: role, secret: secret, nonce: nonce, local: registration.summary, settings: settings,
                          retired: retired, ledgerID: store.ledgerID, wallMillis: wallMillis, context: { node, endSeq, count in
            loan.chainEvents(of: node, endingAt: endSeq, count: count)
        }, heads: heads, replays: replays, devices: devices)
    }

    /// True once the session closed or the transport failed: the shell stops calling in
    /// and closes the connection.
    public var isFinished: Bool { session.isClosed || report.sendFailure != nil }

    // MARK: - Inputs

    /// Opens the session (this side's HELLO).
    public mutating func start<Store: PeerStore, Transport: PeerTransport>(store: Store, transport: inout Transport, now: Duration) {
        run(store, &transport, now) { $0.start(now: now) }
    }

    /// Bytes from the peer, in any chunking.
    public mutating func received<Store: PeerStore, Transport: PeerTransport>(_ bytes: [UInt8], store: Store,
                                                                              transport: inout Transport, now: Duration) {
        run(store, &transport, now) { $0.receive(bytes, now: now) }
    }

    /// The peer closed its side of the connection (EOF).
    public mutating func peerClosed<Store: PeerStore, Transport: PeerTransport>(store: Store, transport: inout Transport, now: Duration) {
        run(store, &transport, now) { $0.peerClosed(now: now) }
    }

    /// The store woke the session: there is news (offered once the session is live).
    public mutating func newsArrived<Store: PeerStore, Transport: PeerTransport>(store: Store, transport: inout Transport, now: Duration) {
        newsWaiting = true
        run(store, &transport, now) { _ in [] }
    }

    /// Time passes (call it often: the node's loop does every 250 ms): what the store
    /// learned meanwhile goes to the peer, then the session's timeouts and pings.
    public mutating func tick<Store: PeerStore, Transport: PeerTransport>(store: Store, transport: inout Transport, now: Duration) {
        guard !isFinished else { return }
        loan.lend(store)
        defer { loan.end() }
        poll(store, &transport, now)
        if !isFinished { carryOut(session.tick(now: now), store, &transport, now) }
    }

    /// Closes from this side (shutdown, too many sessions), telling the peer why.
    public mutating func close<Store: PeerStore, Transport: PeerTransport>(_ code: SessionErrorCode, _ message: String, store: Store,
                                                                           transport: inout Transport, now: Duration) {
        run(store, &transport, now) { $0.close(code, message, now: now) }
    }

    /// The shell is done with the session: the store stops keeping news for it.
    public func finish<Store: PeerStore>(store: Store) {
        store.releaseGrants(session: feed)
        store.unregister(feed)
    }

    // MARK: - Carrying out

    /// One input: its directives, then what the store learned meanwhile.
    private mutating func run<Store: PeerStore, Transport: PeerTransport>(_ store: Store, _ transport: inout Transport, _ now: Duration,
                                                                          _ input: (inout Session) -> [SessionDirective]) {
        guard report.sendFailure == nil else { return }
        loan.lend(store)
        defer { loan.end() }
        carryOut(input(&session), store, &transport, now)
        if !isFinished { poll(store, &transport, now) }
    }

    /// News, when both sides keep the session live (a one-shot peer gets what it lacks from
    /// its plan); then a fork another session or process brought, which this peer must hear
    /// of (before its first SUMMARY, the session keeps it for that SUMMARY; until it can take
    /// it, it says no and is asked again at the next call).
    private mutating func poll<Store: PeerStore, Transport: PeerTransport>(_ store: Store, _ transport: inout Transport, _ now: Duration) {
        if newsWaiting && session.isLiveWithPeer {
            newsWaiting = false
            var news = store.news(for: feed)
            if session.holdsBackRelays {
                // Own events go at once; relayed ones wait for the listener to show it has them.
                let own = store.node
                if news.contains(where: { $0.dot.node != own }) { relayDue = relayDue ?? now + relayDelay }
                news.removeAll { $0.dot.node != own }
            }
            if !news.isEmpty { carryOut(session.offer(news, now: now), store, &transport, now) }
        }
        if let due = relayDue, now >= due, !isFinished, let holdings = session.peerHoldings {
            relayDue = nil
            carryOut(session.relay(plan: store.missingPlan(from: holdings), now: now), store, &transport, now)
        }
        guard !isFinished, let changed = changedSummary(store) else { return }
        let (accepted, directives) = session.historyChanged(changed.summary, now: now)
        if accepted { summarized(changed) }
        carryOut(directives, store, &transport, now)
    }

    /// This node's summary when its history changed since the session last told its peer
    /// in a way the peer cannot infer: it holds more forks, or it continued under a new id.
    /// The second needs its own check: a store that held its own fork before continuing
    /// adds none when it does, and its link event then reached no peer of the session that
    /// caused it (the store feeds it to the other sessions only) until a later session.
    private func changedSummary<Store: PeerStore>(_ store: Store) -> (forks: Int, summary: SummaryMessage)? {
        // After a continuation, asked below any fork count, the store answers with what it
        // holds. The id is read apart from the summary: a continuation landing between the
        // two reads is seen at the next call (the mark takes the id from the summary told,
        // never from this read).
        store.summaryIfForked(since: store.node == nodeSummarized ? forksSummarized : -1, live: live)
    }

    /// The session told its peer (or kept for its first SUMMARY) this summary.
    private mutating func summarized(_ changed: (forks: Int, summary: SummaryMessage)) {
        forksSummarized = changed.forks
        nodeSummarized = changed.summary.node
    }

    /// Carries out directives in order, with those they lead to; stops at a failed send.
    private mutating func carryOut<Store: PeerStore, Transport: PeerTransport>(_ directives: [SessionDirective], _ store: Store,
                                                                               _ transport: inout Transport, _ now: Duration) {
        checkContract(directives)
        var queue = directives[...]
        while let directive = queue.popFirst() {
            var next: [SessionDirective] = []
            switch directive {
            case let .send(bytes):
                do {
                    try transport.send(bytes)
                } catch {
                    report.sendFailure = error.description
                    return
                }
            case let .persist(batch, events):
                next = persist(batch: batch, events, store, now)
            case let .offerEventsMissing(summary):
                next = offer(store.missingPlan(from: summary), now)
            case let .refuseIncoming(batch, reason):
                next = session.refuse(batch: batch, reason: reason, now: now)
            case let .grantAsked(ranges):
                let answer = store.grant(ranges, session: feed)
                next = session.grant(answer.granted, held: answer.held, now: now)
            case .reofferLater:
                relayDue = relayDue ?? now + relayDelay
            case let .peerIdentified(peer):
                report.peer = peer
            case .acknowledged:
                report.acknowledgedBatches += 1
            case let .receiptReceived(receipt):
                report.receipt = receipt
            case let .peerRefused(batch, reason):
                report.refusedBatches.append(RefusedBatch(batch: batch, reason: reason))
            case .caughtUp:
                if report.caughtUpAt == nil { report.caughtUpAt = now }
                // Caught up under a budget may leave events on either side (SPEC 8.3.9):
                // this side's summary is then not what the peer holds.
                report.summaryWhenCaughtUp = session.budgetBytes == 0 ? store.summary : nil
            case let .close(end):
                report.end = end
            case .inputOutOfState:
                // A race the driver cannot avoid (a persist that finished after a later
                // frame of the same read closed the session) or a driver bug: counted,
                // never acted on.
                report.misusedInputs += 1
            }
            checkContract(next)
            queue += next
        }
    }

    /// What the peer lacks, to the session: all of it, or from a live dialer its own
    /// node's events and every event of a forked node now (its DONE follows them) and the
    /// rest (relays) as news once the relay delay has passed, planned again then
    /// (`Session+Relay`, SPEC 8.3 rule 8). A forked node's first branch goes with its
    /// other branch, never after it: in a signed ledger a branch without the node's first
    /// event (its key) is refused, which stops the node for the session (the T2
    /// simulation's signed seed 100008 never converged when the branch went alone).
    private mutating func offer(_ plan: MissingPlan, _ now: Duration) -> [SessionDirective] {
        guard session.holdsBackRelays else { return session.offer(plan: plan, now: now) }
        let own = session.summaries.local.node
        let forked = Set(plan.branchEvents.map(\.dot.node))
        var immediate = plan
        immediate.ranges.removeAll { $0.node != own && !forked.contains($0.node) }
        if immediate.ranges.count < plan.ranges.count { relayDue = relayDue ?? now + relayDelay }
        return session.offer(plan: immediate, now: now)
    }

    /// Stores a peer's batch and tells the session how it went: acknowledged with the count
    /// of new events and, when this node's history changed in a way its peer has not heard
    /// of (a fork this batch revealed or another session brought, or the new id this node
    /// continued under), with this node's new summary.
    private mutating func persist<Store: PeerStore>(batch: UInt64, _ events: SignedEvents, _ store: Store, _ now: Duration) -> [SessionDirective] {
        if let reason = store.refusal(of: events) {
            store.release(events.events, session: feed)
            return session.refuse(batch: batch, reason: reason, now: now)
        }
        do throws(Store.PersistFailure) {
            let new = try store.persist(events, fromSession: feed)
            // Stored: held from now on, so no session needs them reserved.
            store.release(events.events, session: feed)
            let changed = changedSummary(store)
            if let changed { summarized(changed) }
            return session.persisted(batch: batch, newEvents: UInt64(new), changedSummary: changed?.summary, now: now)
        } catch {
            return session.persistFailed(batch: batch, reason: "\(error)", now: now)
        }
    }

    /// A session's promise to its driver: a `close` comes last in its list, once, and
    /// nothing follows it. A breach is recorded (the first), not acted on.
    private mutating func checkContract(_ directives: [SessionDirective]) {
        // An out-of-state report asks nothing of the driver, even after the close.
        let directives = directives.filter { if case .inputOutOfState = $0 { false } else { true } }
        guard !directives.isEmpty, report.contractBreach == nil else { return }
        if closeGiven {
            report.contractBreach = "the session gave \(directives.count) directives after it closed"
            return
        }
        let closes = directives.indices.filter { if case .close = directives[$0] { true } else { false } }
        closeGiven = !closes.isEmpty
        if closes.count > 1 || closes.first.map({ $0 != directives.count - 1 }) == true {
            report.contractBreach = "a close directive is not the last of its list"
        } else if !closes.isEmpty && !session.isClosed {
            report.contractBreach = "the session asked to close but is not closed"
        }
    }
}
