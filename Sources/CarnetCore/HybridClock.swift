/// A hybrid logical clock timestamp: wall-clock milliseconds plus a logical counter.
///
/// Orders events of one node strictly, and orders causally related events across nodes,
/// while staying close to wall time so that people can read it. Never used to decide
/// causality for merges: supersession is explicit in each assignment.
public struct HLCTimestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z, as the writing device believed.
    public var physical: UInt64
    public var logical: UInt32

    public static let zero = HLCTimestamp(physical: 0, logical: 0)

    public init(physical: UInt64, logical: UInt32) {
        self.physical = physical
        self.logical = logical
    }

    public static func < (lhs: HLCTimestamp, rhs: HLCTimestamp) -> Bool {
        (lhs.physical, lhs.logical) < (rhs.physical, rhs.logical)
    }

    public var description: String { "\(physical).\(logical)" }

    /// The smallest timestamp strictly greater than this one.
    public var successor: HLCTimestamp {
        logical == .max
            ? HLCTimestamp(physical: physical + 1, logical: 0)
            : HLCTimestamp(physical: physical, logical: logical + 1)
    }
}

/// What the clock learnt from a timestamp seen on another node.
public struct ClockObservation: Sendable, Equatable {
    /// Remote physical time minus local wall time, in milliseconds. Large values mean one
    /// of the two devices has a wrong clock; the node reports them.
    public var skewMillis: Int64
    /// False when the remote time was so far ahead of the local wall clock that adopting it
    /// would have dragged this node's clock into the future for good.
    public var adopted: Bool

    public init(skewMillis: Int64, adopted: Bool) {
        self.skewMillis = skewMillis
        self.adopted = adopted
    }
}

/// A hybrid logical clock (Kulkarni et al., 2014) that stays monotonic whatever the wall
/// clock does: a wall clock that jumps backwards only slows the physical part down, and a
/// peer whose clock is wildly ahead is reported rather than followed.
public struct HybridClock: Sendable {
    public private(set) var last: HLCTimestamp
    /// Remote timestamps further ahead of the local wall clock than this are not adopted.
    public let maxForwardDriftMillis: UInt64
    /// The largest absolute skew seen so far (remote or own wall clock going backwards).
    public private(set) var largestSkewMillis: Int64 = 0

    public init(last: HLCTimestamp = .zero, maxForwardDriftMillis: UInt64 = 24 * 3_600_000) {
        self.last = last
        self.maxForwardDriftMillis = maxForwardDriftMillis
    }

    /// A timestamp for a local event, strictly greater than every timestamp issued before.
    public mutating func tick(wallMillis: UInt64) -> HLCTimestamp {
        if wallMillis > last.physical {
            last = HLCTimestamp(physical: wallMillis, logical: 0)
        } else {
            recordSkew(Int64(clamping: last.physical) - Int64(clamping: wallMillis))
            last = last.successor
        }
        return last
    }

    /// Continues after a timestamp this node issued before (read back from its store): a
    /// clock made anew at every open would otherwise stamp a write made after the wall
    /// clock went back earlier than the writes before it.
    public mutating func resume(after issued: HLCTimestamp) {
        if issued > last { last = issued }
    }

    /// Takes in a timestamp received from another node, so that later local events order
    /// after it — unless it lies beyond the allowed drift, in which case it is only reported.
    @discardableResult
    public mutating func observe(_ remote: HLCTimestamp, wallMillis: UInt64) -> ClockObservation {
        let skew = Int64(clamping: remote.physical) &- Int64(clamping: wallMillis)
        recordSkew(skew)
        let limit = wallMillis.addingReportingOverflow(maxForwardDriftMillis)
        let tooFarAhead = !limit.overflow && remote.physical > limit.partialValue
        if !tooFarAhead && remote > last {
            last = remote
        }
        return ClockObservation(skewMillis: skew, adopted: !tooFarAhead)
    }

    private mutating func recordSkew(_ skew: Int64) {
        if skew.magnitude > largestSkewMillis.magnitude { largestSkewMillis = skew }
    }
}
