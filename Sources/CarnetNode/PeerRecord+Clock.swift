import CarnetSync

/// A peer's clock as the latest handshake with it measured it (protocol/SPEC.md 8.2.10),
/// kept in `peer-state` as named fields: `clockOffset` (the peer's wall clock minus this
/// node's, milliseconds) and `clockMeasured` (this node's clock then, ms since 1970).
extension PeerRecord {
    static let clockOffsetField = "clockOffset"
    static let clockMeasuredField = "clockMeasured"

    /// The peer's wall clock minus this node's at the latest measure; nil before any.
    public var clockOffsetMillis: Int64? {
        extra[Self.clockOffsetField].flatMap { Int64($0) }
    }

    /// When the offset was measured, by this node's clock (ms since 1970).
    public var clockMeasuredMillis: UInt64? {
        extra[Self.clockMeasuredField].flatMap { UInt64($0) }
    }

    /// True when the latest offset is past `ClockOffset.boundMillis` either way.
    public var clockIsSuspect: Bool {
        clockOffsetMillis.map(ClockOffset.isSuspect) ?? false
    }

    /// Keeps what a session measured; a session that never read the peer's handshake
    /// leaves the previous measure as it was.
    mutating func noteClock(of statistics: SessionStatistics, at wallMillis: UInt64) {
        guard let offset = statistics.peerClockOffsetMillis else { return }
        extra[Self.clockOffsetField] = String(offset)
        extra[Self.clockMeasuredField] = String(wallMillis)
    }
}
