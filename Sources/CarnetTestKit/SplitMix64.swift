/// A small seeded random number generator (SplitMix64, Steele et al. 2014), so that every
/// randomized test replays exactly from the seed it prints.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The seed for a randomized test: `CARNET_SEED` when set (to replay a failure), else the
/// given default. Tests print it in every failure message.
public func testSeed(default value: UInt64) -> UInt64 {
    if let text = environmentValue("CARNET_SEED"), let seed = UInt64(text) { return seed }
    return value
}

private func environmentValue(_ name: String) -> String? {
    // The pure modules avoid Foundation; test support may read the environment through the
    // C library that every Swift runtime links.
    guard let pointer = getenv(name) else { return nil }
    return String(cString: pointer)
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
