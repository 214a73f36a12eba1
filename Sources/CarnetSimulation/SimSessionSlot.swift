import CarnetCore
import CarnetSync
import CarnetTestKit

/// One session of a node with the driver's state around it: what the real driver
/// (`CarnetNode.SessionRunner`) keeps on its thread's stack.
///
/// The real driver carries out a session's directives one by one and blocks while a
/// batch is being persisted; bytes that arrive meanwhile wait in the socket. The slot
/// models exactly that: `queue` is the directive list being carried out, `awaitingPersist`
/// stops it until the fsync completes, and `inbox` is the socket's receive buffer.
struct SessionSlot: Sendable {
    /// Something that arrived while the driver was busy.
    enum Inbound: Sendable {
        case bytes([UInt8])
        case endOfStream
    }

    let connection: ConnectionID
    /// Which end of the connection this session is.
    let side: ConnectionEnd
    let peer: Int
    var session: Session
    /// Directives still to carry out, in order (results of carrying one out go last, as
    /// in the real driver's `queue += …`).
    var queue: [SessionDirective] = []
    /// The batch whose fsync the driver is waiting for.
    var awaitingPersist: UInt64?
    var inbox: [Inbound] = []
    /// Events this node learned since the session started, for a live session to push
    /// (the real driver's `store.news(for:)`).
    var news: [Event] = []
    /// The dial loop that opened this session (dialer end only).
    var dialLoop: Int?
    var caughtUp = false
    /// How the session ended (its `close` directive).
    var outcome: SessionEnd?
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
    /// The forks this node held when the session last told its peer its summary (the
    /// real driver's `forksSummarized`).
    var forksSummarized: Int
    /// Events the peer sent in this session so far, and when they became durable here.
    var received: [EventID: SimTime] = [:]
    /// When this side sent each of its EVENTS frames (batch n is the n-th).
    var batchSentAt: [SimTime] = []

    init(connection: ConnectionID, side: ConnectionEnd, peer: Int, session: Session, dialLoop: Int?, summaryAt: SimTime,
         forksSummarized: Int) {
        self.connection = connection
        self.summaryTimes = [summaryAt]
        self.openedAt = summaryAt
        self.forksSummarized = forksSummarized
        self.side = side
        self.peer = peer
        self.session = session
        self.dialLoop = dialLoop
    }

    /// The most PING and PONG frames this side may send after `heal` while open until
    /// `end`: one PING per ping interval when idle, and one PONG for each of the peer's.
    func keepaliveFramesAllowed(heal: SimTime, end: SimTime) -> Int {
        let open = max(0, (end - max(openedAt, heal)).micros)
        let interval = max(1, session.settings.pingInterval.components.seconds * 1_000_000)
        return 2 * Int(open / interval + 1)
    }

    /// The driver is carrying out directives or waiting for a persist: input waits.
    var isBusy: Bool { awaitingPersist != nil || !queue.isEmpty }

    /// True when the real driver would count the session as a success
    /// (`SessionReport.succeeded`).
    var succeeded: Bool { transportFailure == nil && (outcome?.isSuccess == true || caughtUp) }
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
