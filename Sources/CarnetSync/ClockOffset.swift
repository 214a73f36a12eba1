/// How far a peer's wall clock is from this node's, as the handshake measures it
/// (protocol/SPEC.md 8.2.10), and the bound past which a clock or a stamp is suspect.
/// Informative only: nothing here changes what is stored, merged or sent. A node whose
/// clock is a year ahead stamps events that sort after everyone's; the offset is how its
/// peers (and its own user) learn of it before the ledger reads wrong.
public enum ClockOffset {
    /// Past this, a peer's clock offset, or a received event stamped ahead of this node's
    /// clock, is reported: 5 minutes. NTP keeps honest clocks within a second; a phone or a
    /// farm PC set by hand drifts by minutes; a wrong date is hours to years off.
    public static let boundMillis: Int64 = 5 * 60_000

    /// The dialer's measure: the listener's clock as it wrote message 2, minus the dialer's
    /// clock at that instant, estimated as its clock when it sent message 1 plus half the
    /// round trip (NTP's assumption of a symmetric path; the error is at most half the
    /// round trip's asymmetry).
    public static func measuredByDialer(ownMillisAtMessage1 own: UInt64, roundTrip: Duration, peerMillis: UInt64) -> Int64 {
        let half = max(0, roundTrip.milliseconds) / 2
        return difference(peerMillis, own) &- half
    }

    /// The listener's measure: the dialer's clock as it wrote message 1, minus the
    /// listener's clock when message 1 arrived. The listener has no round trip before it
    /// answers, so the one-way delay is left in (the dialer's clock reads low by it): a
    /// few hundred milliseconds at most, against a 5-minute bound.
    public static func measuredByListener(ownMillisAtMessage1 own: UInt64, peerMillis: UInt64) -> Int64 {
        difference(peerMillis, own)
    }

    /// True when an offset (either way) is past the bound.
    public static func isSuspect(_ offsetMillis: Int64) -> Bool { offsetMillis.magnitude > UInt64(boundMillis) }

    /// True when an event stamped `physical` is more than the bound ahead of a clock that
    /// reads `ownMillis`.
    public static func isAhead(stamp physical: UInt64, of ownMillis: UInt64) -> Bool {
        difference(physical, ownMillis) > boundMillis
    }

    /// `a - b` as a signed number of milliseconds, saturating rather than trapping on a
    /// clock that claims the year 292 million.
    public static func difference(_ a: UInt64, _ b: UInt64) -> Int64 {
        a >= b ? Int64(clamping: a - b) : -Int64(clamping: b - a)
    }
}

extension Duration {
    /// Whole milliseconds, rounded toward zero.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds &* 1000 &+ attoseconds / 1_000_000_000_000_000
    }
}
