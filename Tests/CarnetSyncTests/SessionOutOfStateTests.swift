import CarnetCore
import CarnetReplicaNode
import CarnetSync
import CarnetTestKit
import CarnetWire
import Testing

/// Two sides whose replicas differ, so the dialer has events to send.
private func divergentSides(window: Int = 4) -> (Side, Side) {
    let history = RandomHistory(seed: 5, nodes: 3, steps: 40)
    var settings = SessionSettings()
    settings.window = window
    settings.grants = false  // the dialer's first flight carries batches (no OFFER round trip)
    return (Side(role: .dialer, replica: history.replicas[0], secret: testSecret, nonceSeed: 1, settings: settings),
            Side(role: .listener, replica: history.replicas[1], secret: testSecret, nonceSeed: 2, settings: settings))
}

private func outOfState(_ input: OutOfStateInput.Input, _ state: OutOfStateInput.State) -> [SessionDirective] {
    [.inputOutOfState(OutOfStateInput(input, in: state))]
}

private func someEvent(of side: Side) -> Event {
    side.replica.allEvents[0]
}

/// What `side` would tell its peer now (a change of history, for `historyChanged`).
private func summary(of side: Side) -> SummaryMessage {
    SummaryMessage(live: false, node: side.replica.node, ledger: "consortium", label: "side", summary: side.replica.compactSummary)
}

// Session is a value: the tests poke a copy of a side's session (the driver owns the
// original) and check that the copy reports the input and changes nothing.

struct SessionOutOfStateTests {
    @Test func inputsBeforeTheSessionIsEstablishedAreReportedAndChangeNothing() {
        let (dialer, listener) = divergentSides()
        let plan = dialer.replica.missingPlan(from: dialer.replica.expand(CompactSummary(entries: [])))
        // Idle: nothing but `start` is taken; a `tick` is always fine.
        var idle = dialer.session
        #expect(idle.receive([1, 2, 3], now: .zero) == outOfState(.receive, .idle))
        #expect(idle.offer(plan: plan, now: .zero) == outOfState(.offerPlan, .idle))
        #expect(idle.persistFailed(batch: 1, reason: "disk full", now: .zero) == outOfState(.persistFailed, .idle))
        #expect(idle.tick(now: .seconds(60)).isEmpty)
        #expect(idle.statistics == SessionStatistics())

        var pair = SessionPair(dialer: dialer, listener: listener, seed: 3)
        pair.start()
        // Handshake: the sessions started and asked for nothing yet.
        var shaking = pair.dialer.session
        let before = shaking.statistics
        #expect(shaking.start(now: .zero) == outOfState(.start, .handshake))
        #expect(shaking.offer([someEvent(of: pair.dialer)], now: .zero) == outOfState(.offerEvents, .handshake))
        #expect(shaking.offer(plan: plan, now: .zero) == outOfState(.offerPlan, .handshake))
        #expect(shaking.persisted(batch: 1, newEvents: 1, now: .zero) == outOfState(.persisted, .handshake))
        #expect(shaking.refuse(batch: 1, reason: "no", now: .zero) == outOfState(.refuse, .handshake))
        #expect(shaking.persistFailed(batch: 1, reason: "disk full", now: .zero) == outOfState(.persistFailed, .handshake))
        var listening = pair.listener.session
        #expect(listening.persisted(batch: 1, newEvents: 1, now: .zero) == outOfState(.persisted, .handshake))
        #expect(shaking.statistics == before && !shaking.isAuthenticated && !shaking.isClosed)
        // A change before the first SUMMARY is kept for it, not out of state.
        #expect(shaking.historyChanged(summary(of: pair.dialer), now: .zero) == (true, []))

        // The sides themselves go on and complete.
        pair.run()
        #expect(pair.dialer.end == SessionEnd(.completed) && pair.listener.end == SessionEnd(.completed))
        #expect(pair.dialer.replica.summary == pair.listener.replica.summary)
    }

    @Test func inputsAfterTheSessionClosedAreReportedExceptThoseAlwaysIgnorable() {
        let (dialer, listener) = divergentSides()
        var pair = SessionPair(dialer: dialer, listener: listener, seed: 4)
        pair.start()
        pair.run()
        #expect(pair.dialer.end == SessionEnd(.completed))
        var session = pair.dialer.session
        let statistics = session.statistics
        let plan = pair.dialer.replica.missingPlan(from: pair.dialer.replica.expand(CompactSummary(entries: [])))
        #expect(session.start(now: .seconds(1)) == outOfState(.start, .closed))
        #expect(session.receive([0x43], now: .seconds(1)) == outOfState(.receive, .closed))
        #expect(session.offer(plan: plan, now: .seconds(1)) == outOfState(.offerPlan, .closed))
        #expect(session.offer([someEvent(of: pair.dialer)], now: .seconds(1)) == outOfState(.offerEvents, .closed))
        #expect(session.persisted(batch: 1, newEvents: 0, now: .seconds(1)) == outOfState(.persisted, .closed))
        #expect(session.refuse(batch: 1, reason: "no", now: .seconds(1)) == outOfState(.refuse, .closed))
        #expect(session.persistFailed(batch: 1, reason: "disk full", now: .seconds(1)) == outOfState(.persistFailed, .closed))
        let changed = session.historyChanged(summary(of: pair.dialer), now: .seconds(1))
        #expect(!changed.accepted && changed.directives == outOfState(.historyChanged, .closed))
        // Time passing, the peer hanging up and a second close are how sessions end.
        #expect(session.tick(now: .seconds(100)).isEmpty)
        #expect(session.peerClosed(now: .seconds(1)).isEmpty)
        #expect(session.close(.shuttingDown, "bye", now: .seconds(1)).isEmpty)
        #expect(session.statistics == statistics && session.isClosed)
    }

    /// The race a driver cannot avoid: one read brings a batch and then a frame that ends
    /// the session, so the batch's persist completes after the session closed.
    @Test func aPersistCompletingAfterTheSessionFailedIsReported() throws {
        var (dialer, listener) = divergentSides()
        let toListener = dialer.start(now: .zero)
        var toDialer = listener.start(now: .zero)
        toDialer += listener.receive(toListener, now: .milliseconds(1))
        // The dialer's flight: PROOF, SUMMARY, and its first batches.
        let flight = dialer.receive(toDialer, now: .milliseconds(2))
        // Then a frame that fails its MAC, in the same read.
        let forged = Frame(type: .ping, payload: [UInt8](repeating: 0, count: 24)).encoded
        var session = listener.session
        let directives = session.receive(flight + forged, now: .milliseconds(3))
        let persists = directives.compactMap { directive -> UInt64? in
            if case let .persist(batch, _) = directive { return batch }
            return nil
        }
        let offers = directives.filter { if case .offerEventsMissing = $0 { true } else { false } }
        try #require(persists.first == 1 && offers.count == 1, "the dialer's batches and summary arrived: \(directives.count) directives")
        guard case let .close(end)? = directives.last, case .failed(.badMAC, _) = end.outcome else {
            Issue.record("the forged frame closes the session: \(String(describing: directives.last))")
            return
        }
        #expect(session.offer(plan: listener.replica.missingPlan(from: listener.replica.expand(CompactSummary(entries: []))),
                              now: .milliseconds(3)) == outOfState(.offerPlan, .closed))
        #expect(session.persisted(batch: 1, newEvents: 1, now: .milliseconds(4)) == outOfState(.persisted, .closed))
        #expect(session.refuse(batch: 1, reason: "no", now: .milliseconds(4)) == outOfState(.refuse, .closed))
    }

    /// The same race through the driver: it persists the batch, the session (closed by
    /// the forged frame) reports `persisted` out of state, and the driver counts it
    /// without calling it a breach of the session's contract.
    @Test func theDriverCountsAnInputOutOfStateAndCarriesOn() {
        var (dialer, listener) = divergentSides()
        let toListener = dialer.start(now: .zero)
        var toDialer = listener.start(now: .zero)
        toDialer += listener.receive(toListener, now: .milliseconds(1))
        let flight = dialer.receive(toDialer, now: .milliseconds(2))
        let forged = Frame(type: .ping, payload: [UInt8](repeating: 0, count: 24)).encoded
        _ = listener.receive(flight + forged, now: .milliseconds(3))
        #expect(listener.driver.report.misusedInputs >= 1)
        #expect(listener.driver.report.contractBreach == nil)
        guard case .failed(.badMAC, _)? = listener.end?.outcome else {
            Issue.record("the forged frame ends the session: \(String(describing: listener.end))")
            return
        }
    }

    @Test func anOutOfStateInputDescribesItself() {
        #expect(OutOfStateInput(.persisted, in: .closed).description == "persisted in state closed")
        #expect(OutOfStateInput(.offerPlan, in: .handshake).description == "offer(plan:) in state handshake")
    }
}
