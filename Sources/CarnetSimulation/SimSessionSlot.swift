import CarnetCore
import CarnetSync
import CarnetTestKit

/// One session of a node: the product's `PeerDriver` for it, and what the simulation
/// notes about it for its checks (when each summary and batch went out, what the peer's
/// batches brought and when it became durable here).
struct SessionSlot: Sendable {
    let connection: ConnectionID
    /// Which end of the connection this session is.
    let side: ConnectionEnd
    let peer: Int
    var driver: PeerDriver
    /// The dial loop that opened this session (dialer end only).
    var dialLoop: Int?
    /// The connection failed under the session (a reset).
    var transportFailure: String?
    var bytesSent = 0
    var bytesSentAfterHeal = 0
    /// PING and PONG frames this side sent after the heal: a live session's keepalive,
    /// which costs bytes for as long as the session stays open, not per event.
    var keepaliveFramesAfterHeal = 0
    let openedAt: SimTime
    /// When the session took this node's state for what it tells its peer (at the start,
    /// and at each change it accepted since), in order.
    var summaryTimes: [SimTime]
    /// For each SUMMARY frame this side sent, in order: the time of the state it stated.
    var summaryStates: [SimTime] = []
    /// When each of the peer's SUMMARY messages arrived here, in order.
    var peerSummaryArrivals: [SimTime] = []

    /// The state (as a time) of the latest SUMMARY of this side that had reached `peer`
    /// when the peer sent something at `time`: a batch can only have been planned from a
    /// summary that had arrived (a re-summary still on the wire cannot inform it; found
    /// by the K 2–12 soak, seeds 702256 and 703777, where the two crossed).
    func summaryKnown(to peer: SessionSlot, at time: SimTime) -> SimTime? {
        let arrived = peer.peerSummaryArrivals.prefix { $0 <= time }.count
        return arrived > 0 && arrived <= summaryStates.count ? summaryStates[arrived - 1] : nil
    }
    /// Events the peer sent in this session so far, and when they became durable here.
    var received: [EventID: SimTime] = [:]
    /// When this side sent each of its EVENTS frames (batch n is the n-th).
    var batchSentAt: [SimTime] = []

    init(connection: ConnectionID, side: ConnectionEnd, peer: Int, driver: PeerDriver, dialLoop: Int?, summaryAt: SimTime) {
        self.connection = connection
        self.summaryTimes = [summaryAt]
        self.openedAt = summaryAt
        self.side = side
        self.peer = peer
        self.driver = driver
        self.dialLoop = dialLoop
    }

    /// The most PING and PONG frames this side may send after `heal` while open until
    /// `end`: one PING per ping interval when idle, and one PONG for each of the peer's.
    func keepaliveFramesAllowed(heal: SimTime, end: SimTime) -> Int {
        let open = max(0, (end - max(openedAt, heal)).micros)
        let interval = max(1, driver.session.settings.pingInterval.components.seconds * 1_000_000)
        return 2 * Int(open / interval + 1)
    }

    /// How the session ended (its `close`); nil while it runs or when the connection failed.
    var outcome: SessionEnd? { driver.report.end }

    /// True when the real driver's shell would count the session as a success.
    var succeeded: Bool { transportFailure == nil && (outcome?.isSuccess == true || driver.report.caughtUpAt != nil) }
}

/// A node's schedule for dialing one peer, as `Server.dialLoop` runs it: after a session
/// that went well, wait the interval; after a failure, back off exponentially with
/// jitter (1 s doubling to 300 s, a random point in the upper half, as `Backoff` does).
struct DialLoop: Sendable {
    let target: Int
    /// Between a session that went well and the next.
    var interval: SimTime
    var failures = 0
    /// Invalidates a scheduled dial when the loop is rescheduled.
    var token = 0
    /// A connection attempt or a session is under way.
    var connection: ConnectionID?
    /// When the next dial is scheduled.
    var nextAt: SimTime?

    init(target: Int, interval: SimTime) {
        self.target = target
        self.interval = interval
    }

    /// The delay before the next attempt after one more failure.
    mutating func backoff(using rng: inout SplitMix64) -> SimTime {
        let exponent = min(failures, 30)
        failures += 1
        let ceiling = min(SimTime.seconds(300), SimTime.seconds(1) * (Int64(1) << Int64(min(exponent, 20))))
        return SimTime(micros: ceiling.micros / 2 + Int64.random(in: 0...(ceiling.micros / 2), using: &rng))
    }
}
