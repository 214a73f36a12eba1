import CarnetCore

/// What a session counts, for `carnet sync`'s report and `status --json`.
public struct SessionStatistics: Sendable, Equatable {
    public var bytesSent = 0
    public var bytesReceived = 0
    public var framesSent = 0
    /// Both sides put grants in force in the handshake (SPEC 8.3 rule 8); kept after the
    /// session ends, for its report.
    public var grantsInForce = false
    /// Events sent, and how many of them the peer did not hold.
    public var eventsSent: UInt64 = 0
    public var eventsSentNew: UInt64 = 0
    public var eventsReceived: UInt64 = 0
    public var eventsReceivedNew: UInt64 = 0
    public var batchesSent = 0
    /// Batches sent primed with events the peer held (their strings did not travel again).
    public var primedBatches = 0
    /// The peer's SUMMARY messages taken in (its first, then one per change it told).
    public var summariesReceived = 0
    /// The protocol's round trips after TCP connected, as its structure fixes them: one for
    /// the handshake (message 2 brings the listener's summary); one more for the
    /// dialer unless both held the same events (its events' acknowledgements, or the
    /// listener's events); one more for the listener when it sent events; one per summary
    /// re-sent after a fork.
    public var waits = 0
    public var elapsed: Duration = .zero
    /// The peer's node id once its device proof verified (a signed ledger, SPEC 8.2.7):
    /// the node the peer is, not only the one it says it is. Nil in format 1.
    public var peerDevice: NodeID?
    /// The peer's wall clock minus this node's, in milliseconds, as the handshake measured
    /// it (SPEC 8.2.10): nil until the peer's handshake message was read.
    public var peerClockOffsetMillis: Int64?
    /// Events received stamped more than `ClockOffset.boundMillis` ahead of this node's
    /// clock when they arrived, and how far ahead the farthest was.
    public var eventsStampedAhead: UInt64 = 0
    public var farthestStampAheadMillis: Int64 = 0
    /// The session's byte budget both ways (SPEC 8.3.9; 0: none), and whether this side
    /// left events unsent because the next batch would have crossed it.
    public var budgetBytes = 0
    public var heldBackByBudget = false

    public init() {}
}
