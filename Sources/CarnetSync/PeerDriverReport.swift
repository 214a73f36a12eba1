import CarnetCore
import CarnetWire

/// What a driven session did that its session's statistics do not say: for `carnet sync`'s
/// report, the server's log and tests.
public struct PeerDriverReport: Sendable {
    /// Who the peer said it is (after authentication).
    public var peer: SummaryMessage?
    /// How the session ended; nil while it runs, or when the connection failed under it.
    public var end: SessionEnd?
    /// Why the transport refused bytes, which ended the session.
    public var sendFailure: String?
    /// When the session first caught up (the `now` of that call).
    public var caughtUpAt: Duration?
    /// This node's summary when the session last caught up: then the peer held it too.
    public var summaryWhenCaughtUp: HistorySummary?
    /// This side's batches the peer refused, in order.
    public var refusedBatches: [RefusedBatch] = []
    /// This side's batches the peer stored.
    public var acknowledgedBatches = 0
    /// The peer's custody receipt for this node's events, checked (SPEC 9.6); nil when
    /// none was asked for or none came.
    public var receipt: CustodyReceipt?
    /// Inputs the session took as arriving in the wrong state (a driver's or peer's
    /// mistake the session survived): counted, never silent.
    public var misusedInputs = 0
    /// The first time the session broke its directive contract (a `close` not last in its
    /// list, or directives after it closed): a bug in the session, for tests and the fuzz
    /// target to catch.
    public var contractBreach: String?

    public init() {}
}

/// A batch the peer would not store, and why.
public struct RefusedBatch: Sendable, Equatable, CustomStringConvertible {
    public var batch: UInt64
    public var reason: String

    public var description: String { "batch \(batch): \(reason)" }
}
