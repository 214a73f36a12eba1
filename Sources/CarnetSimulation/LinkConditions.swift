import CarnetCore
import CarnetTestKit

/// How one directed link between two nodes behaves.
///
/// Delay and rates are properties of the link and stay after the heal; loss, duplication
/// and reordering are faults, switched on by episodes and off at the heal.
public struct LinkConditions: Sendable, Equatable {
    /// Mean of the exponential one-way delay of a segment (0.3–2 s in the fault model).
    public var meanDelay: SimTime
    /// Chance that a segment is lost. TCP hides a loss behind a retransmission: it shows
    /// as extra delay (a retransmission timeout, doubling on each further loss), and with
    /// `resetPerLoss` as a connection reset.
    public var loss: Double = 0
    /// Chance, per lost segment, that the connection is reset instead of recovering.
    public var resetPerLoss: Double = 0
    /// Chance that a frame is delivered twice. Simulation only: TCP never does it, but an
    /// attacker in the path or a broken middlebox could, and the per-frame MAC counter
    /// must turn it into a closed session, never into a state change.
    public var duplicate: Double = 0
    /// Chance that a frame is delivered after the next one (simulation only, as above).
    public var reorder: Double = 0

    public init(meanDelay: SimTime) {
        self.meanDelay = meanDelay
    }

    /// No fault: only the link's delay.
    public var healed: LinkConditions { LinkConditions(meanDelay: meanDelay) }
}

/// A node's access line: what its traffic is serialized through. Farms sit behind slow
/// rural uplinks (64–512 kbit/s); nil means "not a bottleneck".
public struct AccessLine: Sendable, Equatable {
    public var uplinkBitsPerSecond: Int64?
    public var downlinkBitsPerSecond: Int64?

    public init(uplinkBitsPerSecond: Int64?, downlinkBitsPerSecond: Int64?) {
        self.uplinkBitsPerSecond = uplinkBitsPerSecond
        self.downlinkBitsPerSecond = downlinkBitsPerSecond
    }

    /// Time to put `bytes` on a line of `bitsPerSecond`.
    static func serialization(_ bytes: Int, _ bitsPerSecond: Int64?) -> SimTime {
        guard let bitsPerSecond, bitsPerSecond > 0 else { return .zero }
        return SimTime(micros: Int64(bytes) * 8 * 1_000_000 / bitsPerSecond)
    }
}
