/// Events together with the signed heads that vouch for them: what a signed (format 2)
/// ledger stores in one log record and sends in one batch.
///
/// Kept as one value so that no layer can drop the signatures on the way from the wire to
/// the log: a store that accepted events without their heads could not forward them.
public struct SignedEvents: Sendable, Equatable {
    public var events: [Event]
    public var heads: [SignedHead]

    public init(events: [Event], heads: [SignedHead] = []) {
        self.events = events
        self.heads = heads
    }
}
