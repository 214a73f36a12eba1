import CarnetNode

/// A peer's clock as `peers list` and `status` show it (protocol/SPEC.md 8.2.10): the
/// offset the latest handshake measured, when, and the warning when it is past the bound.
struct PeerClock {
    /// The peer's wall clock minus this node's, in milliseconds.
    var offsetMillis: Int64
    /// When it was measured (ISO 8601, this node's clock).
    var measuredAt: String?
    var suspect: Bool

    init?(_ record: PeerRecord?) {
        guard let record, let offset = record.clockOffsetMillis else { return nil }
        offsetMillis = offset
        measuredAt = record.clockMeasuredMillis.map(PeerStatus.iso)
        suspect = record.clockIsSuspect
    }

    /// The table cell: "+400 days", or "+0 seconds"; "-" when never measured.
    static func cell(_ clock: PeerClock?, _ output: Output) -> String {
        guard let clock else { return "-" }
        let text = ClockWarning.signed(clock.offsetMillis)
        return clock.suspect ? output.yellow(text + " (wrong clock?)") : text
    }

    /// The JSON fields, with null before any measure.
    static func json(_ clock: PeerClock?) -> [String: JSON] {
        ["clockOffsetMillis": clock.map { .int($0.offsetMillis) } ?? .null,
         "clockMeasuredAt": .optional(clock?.measuredAt),
         "clockSuspect": .bool(clock?.suspect ?? false)]
    }

    /// The warnings for the peers whose clock is past the bound, for people.
    static func warnings(_ peers: [PeerStatus]) -> [String] {
        peers.compactMap { peer in
            guard let clock = peer.clock, clock.suspect else { return nil }
            let name = peer.label ?? peer.address
            return ClockWarning.offset(clock.offsetMillis, peer: name).map { $0 + " (measured \(clock.measuredAt ?? "?"))" }
        }
    }
}
