import CarnetCore
import CarnetReplicaNode
import CarnetSimulation
import CarnetSync
import CarnetTestKit
import CarnetWire
import Testing

/// Live-session bugs the T2 simulation found, each reduced to the fewest steps that show
/// it, kept as regression tests now that they are fixed: a session brings the peer's
/// summary forward with what the peer acknowledged and sent (`CompactSummary.holding`),
/// drops news the peer holds (`Session.offer`), never reads an event it has in flight
/// from a range again (`Transfer`), and tells its peer of a fork another session brought
/// (`Session.historyChanged`, driven by `SharedStore.summaryIfForked`); the link event of
/// a node continuing under a new id is news (`SharedStore.persist`).
struct LiveSessionRegressionTests {
    /// Node X's first two events, then two different third events (a restored backup).
    static func nodeXForkedAtSeq3() -> (Event, Event, Event, Event) {
        var x = Replica(node: NodeID.derived(from: "X"))
        let x1 = x.write(.append(Entry(id: "x1", kind: "harvest", fields: [])), wallMillis: 1_000)
        let x2 = x.write(.append(Entry(id: "x2", kind: "harvest", fields: [])), wallMillis: 2_000)
        var restored = x
        let x3 = x.write(.append(Entry(id: "x3", kind: "harvest", fields: [])), wallMillis: 3_000)
        let x3b = restored.write(.append(Entry(id: "x3-again", kind: "harvest", fields: [])), wallMillis: 4_000)
        return (x1, x2, x3, x3b)
    }

    /// Found by `seed=54 K=5 hubs=1` (live mode; the plans have changed since: today
    /// `seed=31206 K=5 hubs=1` in `SimulationRegressionSeedTests`): after the heal, each farm's live session
    /// with the hub, open since before a restored farm forked, learned of the fork and sent
    /// the hub 70–120 events the hub already held (0 new), 4.7 KB for one farm, breaking
    /// the I6 budget (28,688 bytes sent against 23,261).
    ///
    /// Cause: `Session.persisted(batch:newEvents:changedSummary:now:)` answers a revealed
    /// fork with `offerEventsMissing(from: transfer.peerSummary)`. In a live session that
    /// summary is the one the peer sent when the session started; everything this side
    /// pushed since (and the peer acknowledged) is missing from it, so the new plan's
    /// ranges send it all again. `Transfer.nextBatch` reads ranges without checking
    /// `queued`, so events sent earlier in the same session as news are not filtered out.
    @Test func aForkRevealedInALongLiveSessionResendsWhatThePeerAlreadyAcknowledged() {
        // Node X forks at seq 3: two different events follow X2.
        let (x1, x2, x3, x3b) = Self.nodeXForkedAtSeq3()
        var farmReplica = Replica(node: NodeID.derived(from: "farm"))
        var hubReplica = Replica(node: NodeID.derived(from: "hub"))
        farmReplica.admit(contentsOf: [x1, x2, x3])
        hubReplica.admit(contentsOf: [x1, x2, x3])
        var farm = LivePeer(role: .dialer, replica: farmReplica, nonce: 1)
        var hub = LivePeer(role: .listener, replica: hubReplica, nonce: 2)
        LivePeer.exchange(&farm, &hub, farm.start(now: .zero), hub.start(now: .zero))
        #expect(farm.session.isLiveWithPeer && hub.session.isLiveWithPeer)

        // The farm records 20 entries; its live session pushes them and the hub stores them.
        let written = (0..<20).map { index in
            farm.store.write(.append(Entry(id: "f\(index)", kind: "sale", fields: [])), wallMillis: 10_000 + UInt64(index))
        }
        LivePeer.exchange(&farm, &hub, farm.newsArrived(now: .seconds(1)), [])
        #expect(hub.store.replica.eventCount == 23)
        let sentBefore = farm.session.statistics.eventsSent

        // The hub learns X's other branch from another farm and pushes it: the farm sees
        // the fork, re-summarizes, and plans again against the hub's summary of long ago.
        hub.store.learn([x3b])
        LivePeer.exchange(&farm, &hub, [], hub.newsArrived(now: .seconds(2)))
        #expect(farm.store.replica.forks.count == 1 && hub.store.replica.summary == farm.store.replica.summary)
        let statistics = farm.session.statistics
        let sentAfterFork = statistics.eventsSent - sentBefore
        let duplicates = statistics.eventsSent - statistics.eventsSentNew
        #expect(duplicates == 0, "after the fork the farm sent \(sentAfterFork) events, \(duplicates) of them already held by the hub")
    }

    /// Found by `seed=5052 K=8 hubs=2` (live mode; today `seed=31746 K=3 hubs=2` in
    /// `SimulationRegressionSeedTests`):
    /// after the heal, the first hub learned 27 events from one farm and pushed them as news
    /// on its five other live sessions, to farms whose summaries, sent when those sessions
    /// started, already listed all 27 (they had them from the second hub): 135 events sent
    /// for nothing, over the I6 budget.
    ///
    /// Cause: `Session.offer(_ events:)` queues news without looking at what the peer said
    /// it holds (`Transfer.enqueue` only skips events queued before in the session).
    @Test func liveNewsIncludeEventsThePeersSummaryShowsItHolds() {
        var elsewhere = Replica(node: NodeID.derived(from: "another farm"))
        let events = (0..<5).map { elsewhere.write(.append(Entry(id: "e\($0)", kind: "harvest", fields: [])), wallMillis: 1_000 + UInt64($0)) }
        var farmReplica = Replica(node: NodeID.derived(from: "farm"))
        farmReplica.admit(contentsOf: events)
        var farm = LivePeer(role: .dialer, replica: farmReplica, nonce: 1)
        var hub = LivePeer(role: .listener, replica: Replica(node: NodeID.derived(from: "hub")), nonce: 2)
        // The farm's summary lists the events; its copy for the hub is on the way...
        let held = LivePeer.exchange(&farm, &hub, farm.start(now: .zero), hub.start(now: .zero), hold: { $0 == .events })
        #expect(!held.isEmpty && hub.session.peer != nil)
        // ...when the hub learns them from another peer: news for this session.
        hub.store.learn(events)
        LivePeer.exchange(&farm, &hub, held, hub.newsArrived(now: .seconds(1)))
        let pushed = hub.session.statistics.eventsSent
        #expect(pushed == 0, "the hub pushed \(pushed) events the farm's summary listed")
    }

    /// Found by `seed=5159 K=8 hubs=1` (live mode; today `seed=31972 K=9 hubs=1` in
    /// `SimulationRegressionSeedTests`):
    /// the hub was restored from an empty backup and wrote under its old id again; a farm
    /// whose live session with the hub was planned before the hub learned of that fork
    /// (through another farm's session) never received the hub's new branch nor the link
    /// event of the hub's new id, and held the hub's later writes as pending forever: no
    /// convergence in 12 h of quiet (I1, I2, I4 fail on that farm).
    ///
    /// Causes, together: (1) the plan rule "the peer is ahead on this node: send nothing,
    /// it will send its branch and the next rule applies" (`Replica.missingPlan`) only
    /// works if the fork is revealed in this same session; here the peer's copy arrives
    /// after another session revealed it, so `persisted` gets no `changedSummary` and the
    /// session never re-summarizes; there is no way to tell a live session that this
    /// side's history changed elsewhere. (2) The link event `NodeStore.persist` writes
    /// when a node continues under a new id is not news (`SharedStore.persist` feeds only
    /// the batch's new events), so the hub's next writes reach live peers without their
    /// predecessor.
    @Test func aForkLearnedThroughAnotherSessionNeverReachesALiveSessionPlannedBefore() {
        let hubID = NodeID.derived(from: "hub")
        var original = Replica(node: hubID)
        let h1 = original.write(.append(Entry(id: "h1", kind: "delivery", fields: [])), wallMillis: 1_000)
        let h2 = original.write(.append(Entry(id: "h2", kind: "delivery", fields: [])), wallMillis: 2_000)
        // The hub, restored from an empty backup, writes seq 1 again.
        var restored = Replica(node: hubID)
        restored.write(.append(Entry(id: "h1-again", kind: "delivery", fields: [])), wallMillis: 3_000)
        let hubStore = LivePeer.store(restored, label: "hub")
        var farmA = Replica(node: NodeID.derived(from: "farm A"))
        var farmB = Replica(node: NodeID.derived(from: "farm B"))
        farmA.admit(contentsOf: [h1, h2])
        farmB.admit(contentsOf: [h1, h2])
        var a = LivePeer(role: .dialer, replica: farmA, nonce: 1)
        var hubForA = LivePeer(role: .listener, store: hubStore, nonce: 2)
        var b = LivePeer(role: .dialer, replica: farmB, nonce: 3)
        var hubForB = LivePeer(role: .listener, store: hubStore, nonce: 4)

        // Farm B's session is planned first; its copy of h1, h2 is still on the way...
        let heldForHub = LivePeer.exchange(&b, &hubForB, b.start(now: .zero), hubForB.start(now: .zero), hold: { $0 == .events })
        #expect(!heldForHub.isEmpty && b.session.isLiveWithPeer)
        // ...when farm A's session brings them first: the hub sees its fork and continues
        // under a new id; farm A gets everything.
        LivePeer.exchange(&a, &hubForA, a.start(now: .zero), hubForA.start(now: .zero))
        #expect(hubStore.replica.node != hubID && a.store.replica.summary == hubStore.replica.summary)
        // What the hub learned from A is news for B's session; then B's copy arrives (not
        // new any more), and the hub records an entry, pushed to B as news.
        LivePeer.exchange(&b, &hubForB, heldForHub, hubForB.newsArrived(now: .seconds(2)))
        hubStore.write(.append(Entry(id: "h-next", kind: "delivery", fields: [])), wallMillis: 60_000)
        LivePeer.exchange(&b, &hubForB, [], hubForB.newsArrived(now: .seconds(3)))

        let farm = b.store.replica
        #expect(farm.summary == hubStore.replica.summary,
                "farm B holds \(farm.eventCount) events (\(farm.history.pendingCount) pending), the hub \(hubStore.replica.eventCount)")
        #expect(farm.history.pendingCount == 0, "farm B holds the hub's new entry without its predecessor")
    }
}

extension LiveSessionRegressionTests {
    /// Found by the K 2–12 soak, `seed=350326 K=11 hubs=2`: after the heal, a hub sent a
    /// farm 21 events, then 55 more, that the farm itself had sent the hub earlier in the
    /// same session (353 events in all, over the I6 budget).
    ///
    /// Cause: news is checked against the peer's summary when it is queued
    /// (`Session.offer`), not when it goes out. On a slow link it waits behind a full
    /// window, and meanwhile the peer, which learned the same events from the other hub,
    /// sends them here: the brought-forward summary then shows the peer holds them, but
    /// nobody looked again. `Transfer.nextBatch` now drops queued events the peer surely
    /// holds (`Session.peer(_:surelyHolds:context:)`).
    @Test func newsWaitingBehindAFullWindowIsNotSentBackToThePeerThatSentItMeanwhile() {
        var other = Replica(node: NodeID.derived(from: "another farm"))
        let earlier = (0..<5).map { other.write(.append(Entry(id: "a\($0)", kind: "harvest", fields: [])), wallMillis: 1_000 + UInt64($0)) }
        let news = (0..<5).map { other.write(.append(Entry(id: "b\($0)", kind: "harvest", fields: [])), wallMillis: 2_000 + UInt64($0)) }
        var oneBatchInFlight = LivePeer.relaysAtOnce
        oneBatchInFlight.window = 1
        var farm = LivePeer(role: .dialer, replica: Replica(node: NodeID.derived(from: "farm")), nonce: 1)
        var hub = LivePeer(role: .listener, replica: Replica(node: NodeID.derived(from: "hub")), nonce: 2, settings: oneBatchInFlight)
        LivePeer.exchange(&farm, &hub, farm.start(now: .zero), hub.start(now: .zero))
        #expect(farm.session.isLiveWithPeer && hub.session.isLiveWithPeer)

        // The hub pushes the earlier events (one batch fills its window), then learns the news.
        hub.store.learn(earlier)
        let earlierBatch = hub.newsArrived(now: .seconds(1))
        hub.store.learn(news)
        let waiting = hub.newsArrived(now: .seconds(1))
        #expect(waiting.isEmpty, "the news should wait behind the full window")
        // The farm learns all of them from elsewhere and pushes them to the hub before the
        // hub's batch arrives (the earlier ones race the hub's: neither side can know).
        farm.store.learn(earlier + news)
        let farmPush = farm.newsArrived(now: .seconds(2))
        let hubAck = hub.receive(farmPush, now: .seconds(2))
        // The hub's batch arrives; the farm's acknowledgement opens the hub's window.
        LivePeer.exchange(&farm, &hub, [], earlierBatch + hubAck)
        let sent = hub.session.statistics.eventsSent
        #expect(sent == UInt64(earlier.count), "the hub sent \(sent) events: the farm had sent it the \(news.count) news events already")
        #expect(farm.store.replica.summary == hub.store.replica.summary)
    }
}

extension LiveSessionRegressionTests {
    /// Found by the K 2–12 soak, `seed=703515 K=2 hubs=2` (and 403752, 702256, 703777):
    /// a farm learned 226 events and a fork through one hub while its handshake with the
    /// other crawled over a slow link. Its first SUMMARY, built when the session began,
    /// said it lacked them; the re-summary (`historyChanged`) followed at once, but the
    /// hub planned from the first and sent all 226 again before the second arrived.
    ///
    /// Cause: `historyChanged` was refused until both first SUMMARYs had crossed (the
    /// seed 885 rule), so a change known before this side's first SUMMARY went out could
    /// only follow it. Now the first SUMMARY carries it (a dialer's HELLO state tag still
    /// names the summary it was made from: a listener's `same` is answered `same`, and
    /// the change then told at once).
    @Test func aForkLearnedDuringTheHandshakeGoesInTheFirstSummary() {
        let (x1, x2, x3, x3b) = Self.nodeXForkedAtSeq3()
        var y = Replica(node: NodeID.derived(from: "Y"))
        let ys = (0..<10).map { y.write(.append(Entry(id: "y\($0)", kind: "sale", fields: [])), wallMillis: 5_000 + UInt64($0)) }
        var hubReplica = Replica(node: NodeID.derived(from: "hub"))
        hubReplica.admit(contentsOf: [x1, x2, x3] + ys)
        var farm = LivePeer(role: .dialer, replica: Replica(node: NodeID.derived(from: "farm")), nonce: 1)
        var hub = LivePeer(role: .listener, replica: hubReplica, nonce: 2)
        let farmHello = farm.start(now: .zero)
        let hubHello = hub.start(now: .zero)
        // While the HELLOs travel, the farm learns everything, and the fork, from elsewhere.
        farm.store.learn([x1, x2, x3, x3b] + ys)
        #expect(farm.store.replica.forks.count == 1)
        #expect(farm.tick(now: .zero).isEmpty, "nothing to send before the handshake")
        #expect(farm.forksSummarized == 1, "the session should take the change for its first summary")
        LivePeer.exchange(&farm, &hub, farmHello, hubHello)
        let resent = hub.session.statistics.eventsSent
        #expect(resent == 0, "the hub sent \(resent) events the farm held before its first summary went out")
        #expect(hub.store.replica.summary == farm.store.replica.summary)
    }
}

extension LiveSessionRegressionTests {
    /// Found by the sync harness once it ran with continuation on, as a node does
    /// (`anInterruptedSessionResumes…`, seeds 3080 and 3084): a node whose store held its
    /// own fork before continuing (as a server's does once `refresh()` took in another
    /// process's copy of its lost branch) continued at the next batch it persisted, and the
    /// peer that sent it never got the link event in that session; live, the node's next
    /// write then reached that peer without its predecessor.
    ///
    /// Cause: the driver re-summarized only when the store held more forks than it had
    /// told, and that continuation added none; the store feeds the link event as news to
    /// every session but the one whose batch caused it ("its peer gets it from its new
    /// plan", a plan nothing asked for). Now a new node id is such a change too
    /// (`PeerDriver.nodeSummarized`, SPEC 8.3 rule 6).
    @Test func aContinuationThatAddsNoForkReachesTheLivePeerWhoseBatchCausedIt() {
        let (x1, x2, x3, x3b) = Self.nodeXForkedAtSeq3()
        var laptopReplica = Replica(node: x1.dot.node)
        laptopReplica.admit(contentsOf: [x1, x2, x3, x3b])
        #expect(laptopReplica.hasForkedItself)
        var hubReplica = Replica(node: NodeID.derived(from: "hub"))
        hubReplica.admit(contentsOf: [x1, x2, x3, x3b])
        hubReplica.write(.append(Entry(id: "h1", kind: "delivery", fields: [])), wallMillis: 5_000)
        var laptop = LivePeer(role: .dialer, replica: laptopReplica, nonce: 1)
        var hub = LivePeer(role: .listener, replica: hubReplica, nonce: 2)
        // The hub's entry is the laptop's first batch: it continues under a new id.
        LivePeer.exchange(&laptop, &hub, laptop.start(now: .zero), hub.start(now: .zero))
        let continued = laptop.store.replica.node
        #expect(continued != x1.dot.node && laptop.session.isLiveWithPeer)
        // Its next write goes to the hub as news.
        laptop.store.write(.append(Entry(id: "next", kind: "sale", fields: [])), wallMillis: 60_000)
        LivePeer.exchange(&laptop, &hub, laptop.newsArrived(now: .seconds(1)), [])

        let held = hub.store.replica
        #expect(held.history.chainLength(of: continued) == 2, "the hub holds \(held.history.chainLength(of: continued)) events of \(continued.short) in its chain")
        #expect(held.history.pendingCount == 0, "the hub holds the laptop's next write without its link event")
        #expect(held.summary == laptop.store.replica.summary)
    }
}

/// One end of an in-memory live session: the node's driver (`PeerDriver`) over an
/// in-memory node (`ReplicaPeerStore`, continuing under a new id when it finds its own
/// history forked, as a node does), everything carried out at once (persist included);
/// enough for regression tests that need exact control of the order. Several peers may
/// share one store (a hub's sessions); what one learns is news for the others.
private typealias LivePeer = DrivenPeer

extension DrivenPeer {
    /// Settings whose dialer relays at once (`relayDelay` zero): these reductions push
    /// other nodes' events from a dialer as news the moment it learns them, as every live
    /// dialer did before the relay hold-back (SPEC 8.3 rule 8), and as one still does once
    /// the delay has passed; the mechanisms they pin are the same.
    fileprivate static var relaysAtOnce: SessionSettings {
        var settings = SessionSettings()
        settings.relayDelay = .zero
        return settings
    }

    fileprivate init(role: SessionRole, replica: Replica, nonce: UInt8, settings: SessionSettings = LivePeer.relaysAtOnce) {
        self.init(role: role, store: LivePeer.store(replica, label: "\(role)"), nonce: nonce, settings: settings)
    }

    fileprivate init(role: SessionRole, store: ReplicaPeerStore, nonce: UInt8, settings: SessionSettings = LivePeer.relaysAtOnce) {
        self.init(role: role, secret: Array("a ledger secret of 32 bytes.....".utf8), nonce: [UInt8](repeating: nonce, count: 32),
                  live: true, settings: settings, store: store)
    }

    fileprivate static func store(_ replica: Replica, label: String) -> ReplicaPeerStore {
        ReplicaPeerStore(replica, ledger: "sim", label: label)
    }

    /// The store's forks when this session last summarized.
    fileprivate var forksSummarized: Int { driver.forksSummarized }

    /// Delivers bytes both ways until neither side has anything more to say. From the
    /// first frame going to `b` whose message `hold` is true of, frames to `b` are kept back
    /// (in order: the nonce counter forbids skipping one) and returned instead.
    @discardableResult
    fileprivate static func exchange(_ a: inout LivePeer, _ b: inout LivePeer, _ toB: [UInt8], _ toA: [UInt8],
                         hold: (FrameType) -> Bool = { _ in false }) -> [UInt8] {
        var toB = toB, toA = toA
        var held: [UInt8] = []
        var rounds = 0
        while !(toA.isEmpty && toB.isEmpty), rounds < 1_000 {
            rounds += 1
            var forB: [UInt8] = []
            // `toB` is `a`'s latest output: its log says what each frame carries (the
            // message types travel encrypted).
            let outgoing = frames(toB)
            let types = a.session.sentLog.last(outgoing.count).map(\.messageType)
            for (frame, type) in zip(outgoing, types) {
                if !held.isEmpty || hold(type) { held += frame } else { forB += frame }
            }
            let forA = toA
            toA = forB.isEmpty ? [] : b.receive(forB, now: .seconds(1))
            toB = forA.isEmpty ? [] : a.receive(forA, now: .seconds(1))
        }
        return held
    }

    /// Cuts a byte stream of whole frames into frames (4-byte length, then the frame).
    fileprivate static func frames(_ bytes: [UInt8]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var offset = 0
        while offset + 4 <= bytes.count {
            let length = Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            out.append(Array(bytes[offset..<(offset + 4 + length)]))
            offset += 4 + length
        }
        return out
    }
}
