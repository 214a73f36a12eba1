#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CarnetCore
import CarnetTestKit

/// The draws a simulation needs, on the shared seeded generator: every random choice of a
/// run comes from a `SplitMix64` derived from its one seed.
extension SplitMix64 {
    /// A generator for one purpose (network, disk, workload…), derived from a run's seed,
    /// so that adding draws for one purpose does not shift every other.
    public static func stream(_ seed: UInt64, _ purpose: UInt64) -> SplitMix64 {
        var mixer = SplitMix64(seed: seed ^ (purpose &* 0xD6E8_FEB8_6659_FD93))
        return SplitMix64(seed: mixer.next())
    }

    /// A seed for one purpose, derived from a run's seed (as `stream` derives generators).
    public static func derivedSeed(_ seed: UInt64, _ purpose: UInt64) -> UInt64 {
        var generator = stream(seed, purpose)
        return generator.next()
    }

    /// A uniform draw in [0, 1).
    public mutating func unit() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// True with probability `probability`.
    public mutating func chance(_ probability: Double) -> Bool {
        probability > 0 && unit() < probability
    }

    /// An exponentially distributed span with the given mean (one-way network delay).
    public mutating func exponential(mean: SimTime) -> SimTime {
        SimTime(micros: Int64((-Double(mean.micros) * log(1 - unit())).rounded()))
    }

    /// A uniform span in `range`.
    public mutating func uniform(_ range: ClosedRange<SimTime>) -> SimTime {
        SimTime(micros: Int64.random(in: range.lowerBound.micros...range.upperBound.micros, using: &self))
    }

    /// A uniform integer in `range`.
    public mutating func int(_ range: ClosedRange<Int>) -> Int {
        Int.random(in: range, using: &self)
    }

    /// `count` bytes (session nonces).
    public mutating func bytes(_ count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            var word = next()
            for _ in 0..<min(8, count - out.count) {
                out.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        return out
    }
}
