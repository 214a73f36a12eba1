import CarnetCore
import CarnetReplicaNode
import CarnetSync
import CarnetTestKit
import Testing

/// A live dialer holds back relays, other nodes' events, for its relay delay (SPEC 8.3
/// rule 8, issue 19 item 5): a farm must not push to a hub what the hub gets from the other
/// hub meanwhile; its own events go at once; a relay the hub never showed still goes.
struct RelayHoldbackTests {
    /// A farm (dialer) and a hub (listener), live and caught up, with a 2 s relay delay.
    private static func livePair(seed: UInt64) -> SessionPair {
        var settings = SessionSettings()
        settings.relayDelay = .seconds(2)
        var pair = SessionPair(dialer: Side(role: .dialer, replica: Replica(node: NodeID.derived(from: "farm")), secret: testSecret,
                                            nonceSeed: 1, live: true, settings: settings),
                               listener: Side(role: .listener, replica: Replica(node: NodeID.derived(from: "hub")), secret: testSecret,
                                              nonceSeed: 2, live: true, settings: settings),
                               seed: seed)
        pair.start()
        pair.run()
        return pair
    }

    /// Five events another farm wrote: what the farm and the hub learn from another session.
    private static func otherFarmsEvents() -> [Event] {
        let other = ReplicaPeerStore(Replica(node: NodeID.derived(from: "other farm")), ledger: "consortium", label: "other")
        return (0..<5).map { other.write(.append(Entry(id: "other-\($0)", kind: "harvest", fields: [])), wallMillis: 1_790_000_000_000 + UInt64($0)) }
    }

    @Test func aRelayTheHubGotMeanwhileIsNeverSent() {
        var pair = Self.livePair(seed: 51)
        #expect(pair.dialer.caughtUp && pair.listener.caughtUp, "seed 51")
        let events = Self.otherFarmsEvents()
        // The farm learns them from the other hub: held back, nothing goes.
        pair.dialer.store.learn(events)
        pair.toListener += pair.dialer.newsArrived(now: pair.now)
        pair.run()
        #expect(!pair.listener.replica.history.contains(events[0].id), "seed 51: the relay went before its delay")
        // The hub gets them from elsewhere and pushes them to the farm, which now knows.
        pair.listener.store.learn(events)
        pair.toDialer += pair.listener.newsArrived(now: pair.now)
        pair.run()
        // The delay passes: nothing is left to relay.
        pair.now += .seconds(4)
        pair.toListener += pair.dialer.tick(now: pair.now)
        pair.run()
        #expect(pair.listener.session.statistics.eventsReceived == 0,
                "seed 51: the hub received \(pair.listener.session.statistics.eventsReceived) events it already held")
        #expect(pair.dialer.end == nil && pair.listener.end == nil, "seed 51: live sessions stay open")
    }

    @Test func aRelayTheHubNeverShowedGoesAfterTheDelayAndOwnEventsAtOnce() {
        var pair = Self.livePair(seed: 52)
        let events = Self.otherFarmsEvents()
        pair.dialer.store.learn(events)
        pair.toListener += pair.dialer.newsArrived(now: pair.now)
        pair.run()
        // The farm's own write goes at once, past the relays it holds.
        let (own, push) = pair.dialer.write(.append(Entry(id: "own-1", kind: "sale", fields: [])), wallMillis: 1_790_000_000_100,
                                            now: pair.now)
        pair.toListener += push
        pair.run()
        #expect(pair.listener.replica.history.contains(own.id), "seed 52: the farm's own event waited")
        #expect(!events.contains { pair.listener.replica.history.contains($0.id) }, "seed 52: a relay went before its delay")
        // Before the delay (2 s, stretched by at most half) nothing more; after it, the relays.
        pair.now += .milliseconds(1_500)
        pair.toListener += pair.dialer.tick(now: pair.now)
        pair.run()
        #expect(!events.contains { pair.listener.replica.history.contains($0.id) }, "seed 52: a relay went before its delay")
        pair.now += .seconds(2)
        pair.toListener += pair.dialer.tick(now: pair.now)
        pair.run()
        #expect(events.allSatisfy { pair.listener.replica.history.contains($0.id) }, "seed 52: the relays never went")
        #expect(pair.listener.session.statistics.eventsReceivedNew == UInt64(events.count + 1), "seed 52")
    }

    /// A one-shot dialer relays as before: its plan goes whole, in one flight.
    @Test func aOneShotDialerRelaysAtOnce() {
        var settings = SessionSettings()
        settings.relayDelay = .seconds(2)
        let events = Self.otherFarmsEvents()
        let known = ReplicaPeerStore(Replica(node: NodeID.derived(from: "farm")), ledger: "consortium", label: "farm")
        known.learn(events)
        let farm = Side(role: .dialer, replica: known.replica, secret: testSecret, nonceSeed: 1, live: false, settings: settings)
        var pair = SessionPair(dialer: farm, listener: Side(role: .listener, replica: Replica(node: NodeID.derived(from: "hub")),
                                                             secret: testSecret, nonceSeed: 2, live: true, settings: settings),
                               seed: 53)
        pair.start()
        pair.run()
        #expect(pair.dialer.end?.isSuccess == true && pair.listener.end?.isSuccess == true, "seed 53")
        #expect(events.allSatisfy { pair.listener.replica.history.contains($0.id) },
                "seed 53: sent \(pair.dialer.session.statistics.eventsSent), farm holds \(pair.dialer.replica.eventCount)")
    }
}
