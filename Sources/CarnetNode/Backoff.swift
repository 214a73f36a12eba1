import CarnetCore

/// When to dial a peer again after a failure: exponential, capped, with jitter, so a hub
/// that comes back after an outage is not hit by every farm in the same second.
///
/// Delay for the n-th consecutive failure (n from 0): a random point in the upper half of
/// `min(maximum, base × 2^n)`. Randomness is an input (seeded in tests).
public struct Backoff: Sendable {
    public var base: Duration
    public var maximum: Duration
    public private(set) var failures = 0
    private var random: SplitMix64

    public init(base: Duration = .seconds(1), maximum: Duration = .seconds(300), seed: UInt64) {
        self.base = base
        self.maximum = maximum
        random = SplitMix64(seed: seed)
    }

    /// The delay before the next attempt after one more failure.
    public mutating func nextDelay() -> Duration {
        let exponent = min(failures, 30)
        failures += 1
        let ceiling = min(maximum, base * (1 << exponent))
        let fraction = 0.5 + 0.5 * Double(random.next() % 1_000_000) / 1_000_000
        return ceiling * fraction
    }

    /// A success: the next failure starts from `base` again.
    public mutating func reset() {
        failures = 0
    }
}
