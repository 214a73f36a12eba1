import CarnetCore
import CarnetSync
import CarnetSystem
import CarnetWire

/// What a running session has done so far, published by the session's thread after every
/// input and read by `serve`'s maintenance loop. A live session lasts as long as both
/// servers run: the figures `status` and `peers list` show (events received, who the peer
/// is, what it holds) must follow it while it runs, not wait for its end.
///
/// `@unchecked Sendable` is sound: `latest` is only touched under `lock`.
public final class SessionProgress: @unchecked Sendable {
    public struct Snapshot: Sendable, Equatable {
        /// The session's statistics so far (`elapsed` left at zero: it changes every tick).
        public var statistics = SessionStatistics()
        /// Who the peer said it is, once authenticated.
        public var peer: SummaryMessage?
        /// What the peer is shown to hold (`Session.peerHoldings`).
        public var peerHoldings: CompactSummary?
        /// The session caught up at least once: both sides held the same then.
        public var caughtUp = false
        /// The peer's custody receipt for this node's events (SPEC 9.6), once it came: a
        /// live session that dialed a hub keeps it at once, not when the session ends.
        public var receipt: CustodyReceipt?
        /// How many times who the peer is, what it holds or whether the session caught up
        /// changed (not the statistics, which move with every keepalive): a reader of
        /// peer-state compares it with what it wrote.
        public var peerChanges = 0
    }

    private let lock = Lock()
    private var latest = Snapshot()

    public init() {}

    public var snapshot: Snapshot { lock.withLock { latest } }

    /// Takes the driver's figures; counts a change of the peer's only when one moved.
    func publish(_ driver: PeerDriver) {
        var statistics = driver.session.statistics
        statistics.elapsed = .zero
        let peer = driver.report.peer, holdings = driver.session.peerHoldings, caughtUp = driver.report.caughtUpAt != nil
        let receipt = driver.report.receipt
        lock.withLock {
            latest.statistics = statistics
            guard peer != latest.peer || holdings != latest.peerHoldings || caughtUp != latest.caughtUp
                || receipt != latest.receipt else { return }
            latest.peer = peer
            latest.peerHoldings = holdings
            latest.caughtUp = caughtUp
            latest.receipt = receipt
            latest.peerChanges += 1
        }
    }
}
