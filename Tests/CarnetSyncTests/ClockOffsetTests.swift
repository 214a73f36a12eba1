import CarnetCore
import CarnetReplicaNode
import CarnetSync
import CarnetWire
import Testing

/// The peer clock offset each side measures on the handshake, and the stamps it counts as
/// ahead of its own clock (SPEC 8.2.10).
struct ClockOffsetTests {
    static let day: Int64 = 86_400_000

    @Test func theDialerCorrectsByHalfTheRoundTrip() {
        // Message 1 left at 1,000,000 by the dialer's clock; the listener, 5 s ahead, wrote
        // message 2 100 ms later (its clock: 1,005,100); it arrived 200 ms after message 1 left.
        #expect(ClockOffset.measuredByDialer(ownMillisAtMessage1: 1_000_000, roundTrip: .milliseconds(200),
                                             peerMillis: 1_005_100) == 5_000)
        // A listener behind: negative.
        #expect(ClockOffset.measuredByDialer(ownMillisAtMessage1: 1_000_000, roundTrip: .milliseconds(60),
                                             peerMillis: 900_030) == -100_000)
    }

    @Test func theListenerTakesTheDialersClockAsItArrived() {
        #expect(ClockOffset.measuredByListener(ownMillisAtMessage1: 2_000_000, peerMillis: 2_000_000 + 400 * UInt64(Self.day))
                == 400 * Self.day)
        #expect(ClockOffset.measuredByListener(ownMillisAtMessage1: 2_000_000, peerMillis: 1_999_000) == -1_000)
    }

    @Test func theBoundIsFiveMinutesEitherWay() {
        #expect(!ClockOffset.isSuspect(300_000) && !ClockOffset.isSuspect(-300_000) && !ClockOffset.isSuspect(0))
        #expect(ClockOffset.isSuspect(300_001) && ClockOffset.isSuspect(-300_001))
        #expect(!ClockOffset.isAhead(stamp: 1_300_000, of: 1_000_000) && ClockOffset.isAhead(stamp: 1_300_001, of: 1_000_000))
        #expect(!ClockOffset.isAhead(stamp: 0, of: 1_000_000), "a stamp behind is not ahead")
    }

    @Test func differencesSaturateRatherThanTrap() {
        #expect(ClockOffset.difference(.max, 0) == .max)
        #expect(ClockOffset.difference(0, .max) == -.max)
        #expect(ClockOffset.measuredByDialer(ownMillisAtMessage1: 0, roundTrip: .seconds(1), peerMillis: .max) == .max - 500)
    }

    @Test func message2CarriesTheListenersClockAndReadsBack() throws {
        let reply = ListenerReply(wallMillis: 1_780_300_800_123, message: nil)
        #expect(reply.encoded == [ListenerReply.summaryFollowsFlag, 0x00, 0x00, 0x01, 0x9e, 0x82, 0x32, 0x60, 0x7b])
        #expect(try ListenerReply.decode(reply.encoded) == reply)
        #expect(throws: WireError.self) { try ListenerReply.decode([ListenerReply.summaryFollowsFlag, 0, 0, 0]) }
    }

    /// Two real sessions, the listener's clock 400 days ahead of the dialer's, 50 ms each
    /// way: each side measures the other, the dialer within its half round trip, the
    /// listener within the one-way delay it cannot see; and the events the listener sends
    /// are counted as stamped ahead of the dialer's clock.
    @Test func bothSidesMeasureTheOtherOnTheHandshake() throws {
        let farmWall: UInt64 = 1_780_300_800_000, hubWall = farmWall + UInt64(400 * Self.day)
        var hubReplica = Replica(node: NodeID.derived(from: "hub"))
        hubReplica.assign(FieldKey("product", "P1", "price"), .int(320), wallMillis: hubWall)
        hubReplica.assign(FieldKey("product", "P2", "price"), .int(410), wallMillis: hubWall + 1)
        let farm = ReplicaPeerStore(Replica(node: NodeID.derived(from: "farm"))), hub = ReplicaPeerStore(hubReplica)
        let secret = [UInt8](repeating: 9, count: 32)
        var dialer = PeerDriver(role: .dialer, secret: secret, nonce: [UInt8](repeating: 1, count: 32), live: false,
                                wallMillis: farmWall, store: farm)
        var listener = PeerDriver(role: .listener, secret: secret, nonce: [UInt8](repeating: 2, count: 32), live: false,
                                  wallMillis: hubWall, store: hub)
        var toListener = OutgoingBytes(), toDialer = OutgoingBytes()
        dialer.start(store: farm, transport: &toListener, now: .zero)
        listener.start(store: hub, transport: &toDialer, now: .zero)
        listener.received(toListener.take(), store: hub, transport: &toDialer, now: .milliseconds(50))
        dialer.received(toDialer.take(), store: farm, transport: &toListener, now: .milliseconds(100))
        var now = Duration.milliseconds(100)
        for _ in 0..<10 where !(dialer.isFinished && listener.isFinished) {
            now += .milliseconds(50)
            listener.received(toListener.take(), store: hub, transport: &toDialer, now: now)
            now += .milliseconds(50)
            dialer.received(toDialer.take(), store: farm, transport: &toListener, now: now)
        }
        let dialerSees = try #require(dialer.session.statistics.peerClockOffsetMillis)
        let listenerSees = try #require(listener.session.statistics.peerClockOffsetMillis)
        #expect(dialerSees == 400 * Self.day, "the dialer's measure, corrected by half the round trip: \(dialerSees)")
        #expect(listenerSees == -400 * Self.day - 50, "the listener's, off by the one-way delay: \(listenerSees)")
        #expect(dialer.session.statistics.eventsStampedAhead == 2)
        #expect(dialer.session.statistics.farthestStampAheadMillis > 400 * Self.day - 1_000)
        #expect(listener.session.statistics.eventsStampedAhead == 0)
    }
}
