import CarnetCore
import CarnetReplicaNode
@testable import CarnetSync
import CarnetTestKit
import CarnetWire
import Testing

/// Grants (SPEC 8.2 flag bits, 8.3 rule 8): negotiated in the handshake, one reservation
/// table per receiving node, each event reaching it once.
struct GrantSessionTests {
    /// A writer with `count` events, and a relay that holds them too.
    private func writerAndRelay(count: Int) -> (writer: Replica, relay: Replica) {
        var writer = Replica(node: NodeID.derived(from: "writer"))
        for index in 0..<count {
            _ = writer.write(.append(Entry(id: "w\(index)", kind: "harvest", fields: [])), wallMillis: 1_000 + UInt64(index))
        }
        var relay = Replica(node: NodeID.derived(from: "relay"))
        for event in writer.history.events(of: writer.node) { relay.admit(event) }
        return (writer, relay)
    }

    private func settings(grants: Bool = true, relayDelay: Duration = .seconds(1)) -> SessionSettings {
        var settings = SessionSettings()
        settings.grants = grants
        settings.relayDelay = relayDelay
        return settings
    }

    /// Delivers bytes both ways until neither side has any, every step 1 ms later.
    private func exchange(_ dialer: inout Side, _ listener: inout Side, toListener: [UInt8], toDialer: [UInt8] = [],
                          now: inout Duration) {
        var (forListener, forDialer) = (toListener, toDialer)
        for _ in 0..<10_000 where !(forListener.isEmpty && forDialer.isEmpty) {
            now += .milliseconds(1)
            if !forListener.isEmpty {
                let bytes = forListener
                forListener = []
                if !listener.session.isClosed { forDialer += listener.receive(bytes, now: now) }
            }
            if !forDialer.isEmpty {
                let bytes = forDialer
                forDialer = []
                if !dialer.session.isClosed { forListener += dialer.receive(bytes, now: now) }
            }
        }
    }

    @Test(arguments: [(true, true, true), (false, true, false)])
    func grantsAreInForceOnlyWhenBothSpeakThem(dialerSpeaks: Bool, listenerSpeaks: Bool, inForce: Bool) {
        let (writer, _) = writerAndRelay(count: 3)
        var dialer = Side(role: .dialer, replica: writer, secret: testSecret, nonceSeed: 1, settings: settings(grants: dialerSpeaks))
        var listener = Side(role: .listener, replica: Replica(node: NodeID.derived(from: "hub")), secret: testSecret, nonceSeed: 2,
                            settings: settings(grants: listenerSpeaks))
        var now = Duration.zero
        _ = listener.start(now: now)
        let message1 = dialer.start(now: now)
        now += .milliseconds(1)
        let reply = listener.receive(message1, now: now)
        #expect(listener.session.grantsInForce == inForce)
        exchange(&dialer, &listener, toListener: dialer.receive(reply, now: now), now: &now)
        #expect(dialer.end?.isSuccess == true && listener.end?.isSuccess == true, "\(String(describing: dialer.end))")
        #expect(listener.replica.summary == writer.summary)
    }

    /// A listener from before grants refuses message 1's bit 2 as `malformed`, in an
    /// authenticated ERROR: what tells the dialer to dial again without it.
    @Test func aListenerWithoutGrantsRefusesTheBitAsMalformed() {
        let (writer, _) = writerAndRelay(count: 3)
        var dialer = Side(role: .dialer, replica: writer, secret: testSecret, nonceSeed: 1, settings: settings())
        var listener = Side(role: .listener, replica: Replica(node: NodeID.derived(from: "hub")), secret: testSecret, nonceSeed: 2,
                            settings: settings(grants: false))
        _ = listener.start(now: .zero)
        _ = dialer.receive(listener.receive(dialer.start(now: .zero), now: .zero), now: .zero)
        guard case let .closedByPeer(code, message)? = dialer.end?.outcome else {
            Issue.record("the dialer was told: \(String(describing: dialer.end))")
            return
        }
        #expect(code == .malformed && message.contains("grants"), "\(message)")
        #expect(!message.hasPrefix("(unauthenticated)"))
    }

    /// Two senders offer one hub the same events at once: one session is granted them,
    /// the other refused, and the hub receives each event once.
    @Test func twoSessionsOfferingTheSameRangesGetThemGrantedOnce() {
        let (writer, relay) = writerAndRelay(count: 12)
        let hub = ReplicaPeerStore(Replica(node: NodeID.derived(from: "hub")), label: "hub")
        var fromRelay = Side(role: .dialer, replica: relay, secret: testSecret, nonceSeed: 1, settings: settings())
        var fromWriter = Side(role: .dialer, replica: writer, secret: testSecret, nonceSeed: 3, settings: settings())
        var hubForRelay = DrivenPeer(role: .listener, secret: testSecret, nonce: [UInt8](repeating: 2, count: 32), live: false,
                                     settings: settings(), store: hub)
        var hubForWriter = DrivenPeer(role: .listener, secret: testSecret, nonce: [UInt8](repeating: 4, count: 32), live: false,
                                      settings: settings(), store: hub)
        var now = Duration.zero
        _ = hubForRelay.start(now: now)
        _ = hubForWriter.start(now: now)
        // Both first flights (SUMMARY and OFFER) before either brings an event.
        let relayFlight = fromRelay.receive(hubForRelay.receive(fromRelay.start(now: now), now: now), now: now)
        let writerFlight = fromWriter.receive(hubForWriter.receive(fromWriter.start(now: now), now: now), now: now)
        let toRelay = hubForRelay.receive(relayFlight, now: now)
        #expect(hub.reservedSeqs == 12, "the first offer is reserved whole")
        let toWriter = hubForWriter.receive(writerFlight, now: now)
        #expect(hub.reservedSeqs == 12, "the second is refused, not reserved twice")
        exchange(&fromRelay, &hubForRelay, toListener: [], toDialer: toRelay, now: &now)
        exchange(&fromWriter, &hubForWriter, toListener: [], toDialer: toWriter, now: &now)
        #expect(fromRelay.end?.isSuccess == true && fromWriter.end?.isSuccess == true, "\(String(describing: fromWriter.end))")
        #expect(hub.replica.history.chainLength(of: writer.node) == 12)
        let received = hubForRelay.session.statistics.eventsReceived + hubForWriter.session.statistics.eventsReceived
        #expect(received == 12, "each event reached the hub once, not \(received) times")
        #expect(hub.reservedSeqs == 0, "stored events hold no reservation")
    }

    /// The session granted the events is cut before it brings them: its reservation ends
    /// with it, and the live writer, refused meanwhile, offers them again after its delay
    /// and is granted them.
    @Test func aCutSessionsReservationGoesToTheOtherSendersReoffer() {
        let (writer, relay) = writerAndRelay(count: 5)
        let hub = ReplicaPeerStore(Replica(node: NodeID.derived(from: "hub")), label: "hub")
        var fromRelay = Side(role: .dialer, replica: relay, secret: testSecret, nonceSeed: 1, settings: settings())
        var fromWriter = Side(role: .dialer, replica: writer, secret: testSecret, nonceSeed: 3, live: true, settings: settings())
        var hubForRelay = DrivenPeer(role: .listener, secret: testSecret, nonce: [UInt8](repeating: 2, count: 32), live: false,
                                     settings: settings(), store: hub)
        var hubForWriter = DrivenPeer(role: .listener, secret: testSecret, nonce: [UInt8](repeating: 4, count: 32), live: true,
                                      settings: settings(), store: hub)
        var now = Duration.zero
        _ = hubForRelay.start(now: now)
        _ = hubForWriter.start(now: now)
        let relayFlight = fromRelay.receive(hubForRelay.receive(fromRelay.start(now: now), now: now), now: now)
        let writerFlight = fromWriter.receive(hubForWriter.receive(fromWriter.start(now: now), now: now), now: now)
        _ = hubForRelay.receive(relayFlight, now: now)  // granted to the relay's session; its GRANT never arrives
        exchange(&fromWriter, &hubForWriter, toListener: [], toDialer: hubForWriter.receive(writerFlight, now: now), now: &now)
        #expect(hub.replica.history.chainLength(of: writer.node) == 0, "refused: the relay's session holds them")
        // The relay's connection is cut: the hub's session ends and its reservation with it.
        _ = hubForRelay.peerClosed(now: now)
        hubForRelay.driver.finish(store: hub)
        #expect(hub.reservedSeqs == 0)
        // Past the writer's relay delay (1 s, stretched by up to half), it offers again.
        now += .seconds(2)
        exchange(&fromWriter, &hubForWriter, toListener: fromWriter.tick(now: now), now: &now)
        #expect(hub.replica.history.chainLength(of: writer.node) == 5, "the re-offer was granted and brought them")
        #expect(hubForWriter.session.statistics.eventsReceived == 5)
        #expect(fromWriter.end == nil && hubForWriter.end == nil, "the live session stays open")
    }

    /// The hub holds a run waiting for a predecessor (6...8 of 8, its chain at 3) and says so
    /// in its GRANT. That says nothing of 4...5: when the session that was granted them is
    /// cut, the live writer's re-offer names 4...5 and brings them. The writer took the run's
    /// last event as a tip over everything below it, never offered 4...5 again, and the hub
    /// waited for good (the signed simulation's seed 100078, with grants).
    @Test func aRunTheHubHoldsWaitingIsNoTipOverTheSeqsBelowIt() {
        let (writer, relay) = writerAndRelay(count: 8)
        var held = Replica(node: NodeID.derived(from: "hub"))
        let chain = writer.history.events(of: writer.node)
        for event in chain.prefix(3) + chain.suffix(3) { held.admit(event) }
        #expect(held.history.pendingCount == 3 && held.history.chainLength(of: writer.node) == 3)
        let hub = ReplicaPeerStore(held, label: "hub")
        var fromRelay = Side(role: .dialer, replica: relay, secret: testSecret, nonceSeed: 1, settings: settings())
        var fromWriter = Side(role: .dialer, replica: writer, secret: testSecret, nonceSeed: 3, live: true, settings: settings())
        var hubForRelay = DrivenPeer(role: .listener, secret: testSecret, nonce: [UInt8](repeating: 2, count: 32), live: false,
                                     settings: settings(), store: hub)
        var hubForWriter = DrivenPeer(role: .listener, secret: testSecret, nonce: [UInt8](repeating: 4, count: 32), live: true,
                                      settings: settings(), store: hub)
        var now = Duration.zero
        _ = hubForRelay.start(now: now)
        _ = hubForWriter.start(now: now)
        let relayFlight = fromRelay.receive(hubForRelay.receive(fromRelay.start(now: now), now: now), now: now)
        let writerFlight = fromWriter.receive(hubForWriter.receive(fromWriter.start(now: now), now: now), now: now)
        _ = hubForRelay.receive(relayFlight, now: now)  // 4...5 granted to the relay's session; its GRANT never arrives
        exchange(&fromWriter, &hubForWriter, toListener: [], toDialer: hubForWriter.receive(writerFlight, now: now), now: &now)
        #expect(hub.replica.history.chainLength(of: writer.node) == 3, "refused: the relay's session holds 4...5")
        _ = hubForRelay.peerClosed(now: now)
        hubForRelay.driver.finish(store: hub)
        now += .seconds(2)
        exchange(&fromWriter, &hubForWriter, toListener: fromWriter.tick(now: now), now: &now)
        #expect(hub.replica.history.chainLength(of: writer.node) == 8, "the re-offer named 4...5 and brought them")
        #expect(hub.replica.history.pendingCount == 0)
        #expect(hubForWriter.session.statistics.eventsReceived == 2, "only 4...5 crossed")
    }

    /// With grants in force, EVENTS carrying an event the receiver did not grant close the
    /// session (`malformed`) and nothing of them is stored.
    @Test func eventsThatWereNotGrantedAreRefused() throws {
        let (writer, _) = writerAndRelay(count: 4)
        let hubReplica = Replica(node: NodeID.derived(from: "hub"))
        func summary(_ replica: Replica, _ label: String) -> SummaryMessage {
            SummaryMessage(live: false, node: replica.node, ledger: "consortium", label: label, summary: CompactSummary(replica.summary))
        }
        var dialer = Session(role: .dialer, secret: testSecret, nonce: [UInt8](repeating: 1, count: 32), local: summary(writer, "farm"),
                             settings: settings())
        var listener = Session(role: .listener, secret: testSecret, nonce: [UInt8](repeating: 2, count: 32),
                               local: summary(hubReplica, "hub"), settings: settings())
        func sent(_ directives: [SessionDirective]) -> [UInt8] {
            directives.flatMap { directive -> [UInt8] in
                if case let .send(bytes) = directive { return bytes }
                return []
            }
        }
        _ = listener.start(now: .zero)
        let message2 = sent(listener.receive(sent(dialer.start(now: .zero)), now: .zero))
        var toListener = sent(dialer.receive(message2, now: .zero))
        #expect(dialer.grantsInForce && listener.grantsInForce)
        // A sender that ignores its grants: its events go without an OFFER.
        guard case var .established(established) = dialer.state else { throw TestFailure("not established") }
        established.transfer.grants.inForce = false
        dialer.state = .established(established)
        toListener += sent(dialer.offer(writer.history.events(of: writer.node), now: .zero))
        let directives = listener.receive(toListener, now: .zero)
        #expect(!directives.contains { if case .persist = $0 { true } else { false } }, "nothing of it is stored")
        guard case let .close(end)? = directives.last, case let .failed(code, message) = end.outcome else {
            Issue.record("the listener did not close: \(directives)")
            return
        }
        #expect(code == .malformed && message.contains("did not grant"), "\(message)")
    }
}

private struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
