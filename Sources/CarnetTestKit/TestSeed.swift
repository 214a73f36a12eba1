@_exported import struct CarnetCore.SplitMix64

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
