/// What a simulated link does to the bytes that cross it: a rural 3G spot, a satellite
/// hop, a line that drops every few seconds. Everything random derives from `seed`.
public struct LinkProfile: Sendable, Equatable {
    /// Bytes per second from the dialer to the listener (nil: unlimited).
    public var upBytesPerSecond: Int?
    /// Bytes per second from the listener to the dialer (nil: unlimited).
    public var downBytesPerSecond: Int?
    /// Round-trip time added (half each way).
    public var roundTrip: Duration = .zero
    /// Each chunk's one-way delay varies by up to this much (order is kept, as TCP would).
    public var jitter: Duration = .zero
    /// Cut each connection after this many bytes have crossed it, both ways together.
    public var cutAfterBytes: Int?
    /// Cut every connection this long after it opened.
    public var cutEvery: Duration?
    /// From this long after the simulator starts, for `blackoutLength`: bytes stall (the
    /// connection stays open, nothing moves), then flow again.
    public var blackoutAt: Duration?
    public var blackoutLength: Duration = .zero
    /// Refuse (close at once) connections opened in the first this-long of the run.
    public var refuseFor: Duration = .zero
    public var seed: UInt64 = 1

    public init() {}

    /// A link of `kilobits` per second each way and `roundTripMilliseconds` of round trip.
    public static func rural(kilobits: Int, roundTripMilliseconds: Int) -> LinkProfile {
        var profile = LinkProfile()
        profile.upBytesPerSecond = kilobits * 1000 / 8
        profile.downBytesPerSecond = kilobits * 1000 / 8
        profile.roundTrip = .milliseconds(roundTripMilliseconds)
        return profile
    }

    /// Parses the command-line form, e.g. `rate=64kbit,rtt=600ms,jitter=20ms,cut-every=5s`.
    public init(parsing text: String) throws(LinkProfileError) {
        self.init()
        for item in text.split(separator: ",") where !item.isEmpty {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw LinkProfileError("\"\(item)\" is not key=value") }
            let (key, value) = (parts[0], parts[1])
            switch key {
            case "rate":
                let rate = try Self.bytesPerSecond(value)
                (upBytesPerSecond, downBytesPerSecond) = (rate, rate)
            case "up": upBytesPerSecond = try Self.bytesPerSecond(value)
            case "down": downBytesPerSecond = try Self.bytesPerSecond(value)
            case "rtt": roundTrip = try Self.duration(value)
            case "jitter": jitter = try Self.duration(value)
            case "cut-after": cutAfterBytes = try Self.integer(value)
            case "cut-every": cutEvery = try Self.duration(value)
            case "blackout-at": blackoutAt = try Self.duration(value)
            case "blackout-for": blackoutLength = try Self.duration(value)
            case "refuse-for": refuseFor = try Self.duration(value)
            case "seed": seed = UInt64(try Self.integer(value))
            default: throw LinkProfileError("unknown link setting \"\(key)\" (rate, up, down, rtt, jitter, cut-after, cut-every, blackout-at, blackout-for, refuse-for, seed)")
            }
        }
    }

    static func integer(_ text: String) throws(LinkProfileError) -> Int {
        guard let value = Int(text), value >= 0 else { throw LinkProfileError("\"\(text)\" is not a count") }
        return value
    }

    static func bytesPerSecond(_ text: String) throws(LinkProfileError) -> Int {
        for (suffix, factor) in [("mbit", 1_000_000 / 8), ("kbit", 1000 / 8), ("bit", 0)] where text.hasSuffix(suffix) {
            guard let number = Double(text.dropLast(suffix.count)), number > 0 else { break }
            return factor == 0 ? max(1, Int(number / 8)) : Int(number * Double(factor))
        }
        throw LinkProfileError("\"\(text)\" is not a rate (e.g. 64kbit, 1mbit)")
    }

    static func duration(_ text: String) throws(LinkProfileError) -> Duration {
        for (suffix, scale) in [("ms", 0.001), ("s", 1.0)] where text.hasSuffix(suffix) {
            if let number = Double(text.dropLast(suffix.count)), number >= 0 { return .seconds(number * scale) }
        }
        throw LinkProfileError("\"\(text)\" is not a duration (e.g. 600ms, 5s)")
    }
}

public struct LinkProfileError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
