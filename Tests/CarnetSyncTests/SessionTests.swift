import CarnetCore
import CarnetSync
import CarnetTestKit
import CarnetWire
import Testing

/// Two writers' replicas from a random history (each wrote, synced now and then, some were
/// restored from old backups and forked), so each lacks some of the other's events; and
/// the replica that merged both, which is what each must hold after one session.
private func divergentReplicas(seed: UInt64, steps: Int = 80) -> (Replica, Replica, merged: Replica) {
    let history = RandomHistory(seed: seed, nodes: 4, steps: steps)
    let a = history.replicas[0], b = history.replicas[1]
    var merged = a
    merged.merge(with: b)
    return (a, b, merged)
}

/// How many nodes `replica` holds that `merged` does not, each of them a new id one side
/// continued under in the session, holding its one link event; -1 when one is something else.
private func continuations(in replica: Replica, beyond merged: Replica) -> Int {
    let known = Set(merged.history.nodeIDs)
    let new = replica.history.nodeIDs.filter { !known.contains($0) }
    let links = new.filter { node in
        replica.history.events(of: node).count == 1 && replica.predecessors(of: node).first.map(known.contains) == true
    }
    return links.count == new.count ? links.count : -1
}

struct SessionSyncTests {
    @Test func oneSessionGivesBothSidesEveryEventInAnyChunking() {
        let seed = testSeed(default: 0x5E55_1000)
        for round in 0..<60 {
            let roundSeed = seed &+ UInt64(round)
            let (a, b, merged) = divergentReplicas(seed: roundSeed)
            var settingsRNG = SplitMix64(seed: roundSeed ^ 0x5E77)
            var settings = SessionSettings()
            settings.batchEvents = Int.random(in: 1...40, using: &settingsRNG)
            settings.window = Int.random(in: 1...8, using: &settingsRNG)
            var pair = SessionPair(dialer: Side(role: .dialer, replica: b, secret: testSecret, nonceSeed: 1, settings: settings),
                                   listener: Side(role: .listener, replica: a, secret: testSecret, nonceSeed: 2, settings: settings),
                                   seed: roundSeed)
            pair.start()
            let steps = pair.run()
            #expect(pair.dialer.end == SessionEnd(.completed), "seed \(roundSeed): dialer \(String(describing: pair.dialer.end)) after \(steps) steps")
            #expect(pair.listener.end == SessionEnd(.completed), "seed \(roundSeed): listener \(String(describing: pair.listener.end))")
            // Both hold the same event set; forks may need the re-summary to get there.
            #expect(pair.dialer.replica.summary == pair.listener.replica.summary, "seed \(roundSeed)")
            // Every event of either side, and besides them only the link events of a side
            // that found its own history forked and continued under a new id (SPEC 4).
            let links = continuations(in: pair.dialer.replica, beyond: merged)
            #expect(pair.dialer.replica.eventCount == merged.eventCount + links, "seed \(roundSeed)")
            #expect(pair.dialer.replica.history.pendingCount == merged.history.pendingCount, "seed \(roundSeed)")
            #expect(pair.dialer.identifiedPeer?.node == a.node && pair.listener.identifiedPeer?.node == b.node)
        }
    }

    @Test func inSyncPeersExchangeOnlyTheHandshakeAndSummaries() {
        let (a, _, merged) = divergentReplicas(seed: 7)
        var full = a
        full.admit(contentsOf: merged.allEvents)
        var other = Replica(node: NodeID.derived(from: "farm"))
        other.admit(contentsOf: merged.allEvents)
        var pair = SessionPair(dialer: Side(role: .dialer, replica: other, secret: testSecret, nonceSeed: 1),
                               listener: Side(role: .listener, replica: full, secret: testSecret, nonceSeed: 2), seed: 7)
        pair.start()
        pair.run()
        #expect(pair.dialer.end?.isSuccess == true && pair.listener.end?.isSuccess == true)
        let stats = pair.dialer.session.statistics
        #expect(stats.eventsSent == 0 && stats.eventsReceived == 0 && stats.batchesSent == 0)
        #expect(pair.dialer.persistedBatches == 0 && pair.listener.persistedBatches == 0)
    }

    @Test func anInterruptedSessionResumesResendingAtMostTheBatchInFlight() {
        let seed = testSeed(default: 0xC07)
        var forkFreeRounds = 0
        defer { #expect(forkFreeRounds >= 5, "seed \(seed): only \(forkFreeRounds) rounds without a fork") }
        for round in 0..<25 {
            let roundSeed = seed &+ UInt64(round)
            let (a, b, merged) = divergentReplicas(seed: roundSeed, steps: 150)
            var settings = SessionSettings()
            settings.batchEvents = 5
            var first = SessionPair(dialer: Side(role: .dialer, replica: b, secret: testSecret, nonceSeed: 1, settings: settings),
                                    listener: Side(role: .listener, replica: a, secret: testSecret, nonceSeed: 2, settings: settings),
                                    seed: roundSeed)
            first.cutAfterBytes = 300 + Int(roundSeed % 700)
            first.start()
            first.run()
            let dialerSent = first.dialer.session.statistics.eventsSent
            // The second session starts from what each side persisted.
            var second = SessionPair(dialer: Side(role: .dialer, replica: first.dialer.replica, secret: testSecret, nonceSeed: 3, settings: settings),
                                     listener: Side(role: .listener, replica: first.listener.replica, secret: testSecret, nonceSeed: 4, settings: settings),
                                     seed: roundSeed &+ 1)
            second.start()
            second.run()
            #expect(second.dialer.end?.isSuccess == true, "seed \(roundSeed): \(String(describing: second.dialer.end)) / \(String(describing: second.listener.end)) \(second.toDialer.count) \(second.toListener.count) \(second.dialer.session) \(second.listener.session)")
            #expect(second.dialer.replica.summary == second.listener.replica.summary, "seed \(roundSeed)")
            // Events the listener already held that the dialer sent again. What was in
            // flight at the cut was not stored, so it is new; what was stored is in the
            // listener's summary and not sent again. Without forks: none at all. (With a
            // fork, the difference rule sends a branch's events generously, by design.)
            let stats = second.dialer.session.statistics
            let resent = stats.eventsSent - stats.eventsSentNew
            if merged.forks.isEmpty {
                forkFreeRounds += 1
                #expect(resent == 0, "seed \(roundSeed): \(resent) events resent (first session sent \(dialerSent))")
            }
        }
    }

    @Test func aRefusedBatchIsNotSentAgainAndTheRestStillSyncs() {
        // A history where the dialer holds events of two nodes the listener lacks.
        let (a, b) = (11...400).lazy.map { divergentReplicas(seed: UInt64($0), steps: 120) }
            .first { pair in
                pair.1.history.nodeIDs.filter { pair.1.history.chainLength(of: $0) > pair.0.history.chainLength(of: $0) }.count >= 2
            }.map { ($0.0, $0.1) }!
        let refusedNode = b.history.nodeIDs.first { b.history.chainLength(of: $0) > a.history.chainLength(of: $0) }!
        let listener = Side(role: .listener, replica: a, secret: testSecret, nonceSeed: 2)
        listener.refuseNodes = [refusedNode]
        var settings = SessionSettings()
        settings.batchEvents = 3
        var pair = SessionPair(dialer: Side(role: .dialer, replica: b, secret: testSecret, nonceSeed: 1, settings: settings),
                               listener: listener, seed: 11)
        pair.start()
        pair.run()
        #expect(pair.dialer.end?.isSuccess == true, "\(String(describing: pair.dialer.end))")
        // Batches already in flight may be refused too, and a refused batch of several
        // nodes is retried node by node; but no batch is sent twice, so this is bounded.
        #expect(pair.dialer.refused.count <= 2 * settings.window, "\(pair.dialer.refused.count) refusals")
        #expect(Set(pair.dialer.refused).count == pair.dialer.refused.count)
        for node in b.history.nodeIDs where node != refusedNode {
            #expect(pair.listener.replica.history.chainLength(of: node) >= b.history.chainLength(of: node))
        }
        #expect(pair.listener.replica.history.chainLength(of: refusedNode) < b.history.chainLength(of: refusedNode))
    }

    @Test(arguments: [false, true])
    func aTwoWaySyncTakesTwoRoundTripsAfterConnecting(grants: Bool) {
        let (a, b, _) = divergentReplicas(seed: 21)
        #expect(!a.eventsMissing(from: b.summary).isEmpty && !b.eventsMissing(from: a.summary).isEmpty)
        var settings = SessionSettings()
        settings.grants = grants
        var dialer = Side(role: .dialer, replica: b, secret: testSecret, nonceSeed: 1, settings: settings)
        var listener = Side(role: .listener, replica: a, secret: testSecret, nonceSeed: 2, settings: settings)
        // Flights, each delivered whole: the dialer's first, the listener's answer, and so on.
        var flight = dialer.start(now: .zero)
        #expect(listener.start(now: .zero).isEmpty, "a listener says nothing before a member's message 1")
        var dialerFlights = 1
        var toDialer = listener.receive(flight, now: .zero)
        // Round trip 1 brings the listener's message 2, its summary inside.
        #expect(frameTypes(toDialer, afterHello: true) == [.handshake2])
        while !toDialer.isEmpty, dialer.end == nil {
            flight = dialer.receive(toDialer, now: .zero)
            if dialer.end != nil { break }
            dialerFlights += 1
            toDialer = listener.receive(flight, now: .zero)
        }
        #expect(dialer.end?.isSuccess == true, "\(String(describing: dialer.end))")
        // The dialer waited for the peer twice: message 1 → message 2 with the summary, then its events
        // → acknowledgements + the listener's events. Grants put one more in between: its
        // SUMMARY and OFFER → the GRANT and the listener's OFFER (SPEC 8.3 rule 3).
        #expect(dialerFlights == (grants ? 3 : 2), "\(dialerFlights) round trips")
        #expect(dialer.session.statistics.waits == (grants ? 3 : 2))
        _ = listener.receive(flight, now: .zero)
        #expect(listener.end?.isSuccess == true && dialer.replica.summary == listener.replica.summary)
    }

    @Test func anInSyncSessionSendsAFewBytesOfLedgerData() {
        let history = RandomHistory(seed: 41, nodes: 21, steps: 300)
        var a = Replica(node: NodeID.derived(from: "hub"))
        a.admit(contentsOf: history.events)
        var b = Replica(node: NodeID.derived(from: "farm"))
        b.admit(contentsOf: history.events)
        #expect(a.summary.versionVector.nodes.count >= 20)
        var pair = SessionPair(dialer: Side(role: .dialer, replica: b, secret: testSecret, nonceSeed: 1),
                               listener: Side(role: .listener, replica: a, secret: testSecret, nonceSeed: 2), seed: 41)
        pair.start()
        pair.run()
        #expect(pair.dialer.end?.isSuccess == true && pair.listener.end?.isSuccess == true)
        // Everything both sides sent: message 1 (clock and state tag), message 2 with the
        // listener's "same", the dialer's "same", two DONEs; frame headers, ephemeral keys
        // and tags included. Version 1 sent 340 bytes; the goal for version 2 was 400.
        let dialerBytes = pair.dialer.session.statistics.bytesSent, listenerBytes = pair.listener.session.statistics.bytesSent
        print("in-sync session: dialer sent \(dialerBytes) bytes, listener \(listenerBytes), total \(dialerBytes + listenerBytes)")
        #expect(dialerBytes + listenerBytes <= 300, "\(dialerBytes) + \(listenerBytes) bytes")
        // The dialer is done after one round trip: message 1 → message 2 ("same") and DONE.
        #expect(pair.dialer.session.statistics.waits == 1)
    }
}

/// The frame types in `bytes` (on the wire: the messages inside SEALED frames are hidden).
func frameTypes(_ bytes: [UInt8], afterHello: Bool) -> [FrameType] {
    var decoder = FrameDecoder()
    decoder.feed(bytes)
    var types: [FrameType] = []
    while let frame = try? decoder.next() { types.append(frame.type) }
    return types
}

struct PrimedSessionTests {
    @Test func aPeerADayBehindGetsAPrimedBatchThatIsSmaller() {
        let history = RandomHistory(seed: 51, nodes: 1, steps: 400)
        let farm = history.replicas[0]
        let chain = farm.history.events(of: farm.node)
        var hub = Replica(node: NodeID.derived(from: "hub"))
        hub.admit(contentsOf: chain.prefix(chain.count - 40))
        func run(priming: Int) -> (SessionStatistics, Replica) {
            var settings = SessionSettings()
            settings.primingContext = priming
            var pair = SessionPair(dialer: Side(role: .dialer, replica: farm, secret: testSecret, nonceSeed: 1, settings: settings),
                                   listener: Side(role: .listener, replica: hub, secret: testSecret, nonceSeed: 2, settings: settings),
                                   seed: 51)
            pair.start()
            pair.run()
            #expect(pair.dialer.end?.isSuccess == true, "\(String(describing: pair.dialer.end))")
            return (pair.dialer.session.statistics, pair.listener.replica)
        }
        let (primed, primedHub) = run(priming: 256)
        let (plain, plainHub) = run(priming: 0)
        #expect(primed.primedBatches == 1 && plain.primedBatches == 0)
        #expect(primedHub.digest == plainHub.digest && primedHub.digest == farm.digest)
        #expect(primed.bytesSent < plain.bytesSent, "primed \(primed.bytesSent) vs plain \(plain.bytesSent)")
    }
}

struct SessionLiveTests {
    @Test func liveSessionsStayOpenAndPushNewEvents() {
        let (a, b, _) = divergentReplicas(seed: 31)
        var pair = SessionPair(dialer: Side(role: .dialer, replica: b, secret: testSecret, nonceSeed: 1, live: true),
                               listener: Side(role: .listener, replica: a, secret: testSecret, nonceSeed: 2, live: true), seed: 31)
        pair.start()
        pair.run()
        #expect(pair.dialer.end == nil && pair.listener.end == nil, "live sessions stay open: \(String(describing: pair.dialer.end)) \(String(describing: pair.listener.end))")
        #expect(pair.dialer.caughtUp && pair.listener.caughtUp)
        // The listener writes; its driver pushes the event.
        let (event, push) = pair.listener.write(.append(Entry(id: "live-1", kind: "harvest", fields: [])), wallMillis: 1_790_000_000_000,
                                                now: pair.now)
        #expect(!push.isEmpty)
        pair.toDialer += push
        pair.run()
        #expect(pair.dialer.replica.history.contains(event.id))
        // Idle: pings keep it alive; a silent peer is dropped.
        let later = pair.now + .seconds(20)
        let ping = pair.dialer.tick(now: later)
        #expect(!ping.isEmpty)
        let tooLate = later + .seconds(60)
        _ = pair.dialer.tick(now: tooLate)
        if case .failed(.timeout, _)? = pair.dialer.end?.outcome {} else {
            Issue.record("expected an idle timeout, got \(String(describing: pair.dialer.end))")
        }
    }

    /// A live session that pushes for a long time holds on only to what is in transit,
    /// not to an id of every event it ever pushed (the hub soak's memory grew with those).
    @Test func aLongLiveSessionRetainsOnlyWhatIsInTransit() {
        let (a, b, _) = divergentReplicas(seed: 33)
        var pair = SessionPair(dialer: Side(role: .dialer, replica: b, secret: testSecret, nonceSeed: 1, live: true),
                               listener: Side(role: .listener, replica: a, secret: testSecret, nonceSeed: 2, live: true), seed: 33)
        pair.start()
        pair.run()
        var pushed: [Event] = []
        for round in 0..<300 {
            let (event, push) = pair.listener.write(.append(Entry(id: "live-\(round)", kind: "harvest", fields: [])),
                                                    wallMillis: 1_790_000_000_000 + UInt64(round), now: pair.now)
            pushed.append(event)
            pair.toDialer += push
            pair.run()
        }
        #expect(pushed.allSatisfy { pair.dialer.replica.history.contains($0.id) })
        #expect(pair.listener.session.retainedEvents == 0, "retains \(pair.listener.session.retainedEvents) events after 300 pushes, all acknowledged")
        #expect(pair.dialer.end == nil && pair.listener.end == nil)
    }

    @Test func aLiveSessionWithAOneShotPeerCloses() {
        let (a, b, _) = divergentReplicas(seed: 32)
        var pair = SessionPair(dialer: Side(role: .dialer, replica: b, secret: testSecret, nonceSeed: 1, live: false),
                               listener: Side(role: .listener, replica: a, secret: testSecret, nonceSeed: 2, live: true), seed: 32)
        pair.start()
        pair.run()
        #expect(pair.dialer.end?.isSuccess == true && pair.listener.end?.isSuccess == true)
    }
}

