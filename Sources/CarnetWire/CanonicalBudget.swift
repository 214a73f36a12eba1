/// How many canonical bytes a batch may make its receiver build and hash
/// (protocol/SPEC.md §3.2), per event and in total.
public struct CanonicalLimits: Sendable, Equatable {
    public var perEvent: Int
    public var perBatch: Int

    public init(perEvent: Int, perBatch: Int) {
        self.perEvent = perEvent
        self.perBatch = perBatch
    }

    /// For bytes from elsewhere: a peer, a bundle.
    public static let standard = CanonicalLimits(perEvent: WireLimits.maxEventCanonicalBytes,
                                                 perBatch: WireLimits.maxBatchCanonicalBytes)
    /// For the store's own log and checkpoint: what they hold was checked when it was
    /// written, and records written before these limits existed (a bundle applied as one
    /// record can pass the batch limit) must still open. Their size is bounded by the
    /// record limit instead.
    public static let unbounded = CanonicalLimits(perEvent: .max, perBatch: .max)
}

/// The decoder's running count of canonical bytes: charged piece by piece as strings
/// and values are read (their lengths are known from the text tables), so a batch that
/// would pass a limit is refused before the event that passes it is assembled or hashed.
struct CanonicalBudget {
    var limits: CanonicalLimits
    private var event = 0
    private var batch = 0

    init(_ limits: CanonicalLimits) { self.limits = limits }

    mutating func startBatch() { batch = 0 }
    mutating func startEvent() { event = 0 }

    @inline(__always)
    mutating func charge(_ bytes: Int, at offset: Int) throws(WireError) {
        event += bytes
        batch += bytes
        guard event <= limits.perEvent else {
            throw .canonicalSizeExceeded("an event", limit: limits.perEvent, at: offset)
        }
        guard batch <= limits.perBatch else {
            throw .canonicalSizeExceeded("the batch's events together", limit: limits.perBatch, at: offset)
        }
    }
}
