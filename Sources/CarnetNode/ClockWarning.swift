import CarnetSync

/// The sentences that tell a person a clock is wrong (protocol/SPEC.md 8.2.10), one
/// wording for `carnet sync`, `serve`'s log and `status`. A wrong clock breaks nothing a
/// merge decides, but its stamps sort a ledger's entries wrongly for as long as it is
/// off, so it is said where the person looks, with what to do.
public enum ClockWarning {
    /// The warning for a peer whose clock is `offsetMillis` from this node's (the peer's
    /// minus this node's); nil within the bound. Which of the two is wrong the offset
    /// cannot say: the sentence says what each case does to the ledger.
    public static func offset(_ offsetMillis: Int64, peer: String) -> String? {
        guard ClockOffset.isSuspect(offsetMillis) else { return nil }
        let gap = duration(offsetMillis.magnitude)
        let fix = "fix the wrong clock (`timedatectl status` shows a Linux machine's)"
        if offsetMillis > 0 {
            return "\(peer)'s clock is \(gap) ahead of this node's: entries it stamps sort after everything written here "
                + "until then; \(fix)"
        }
        return "\(peer)'s clock is \(gap) behind this node's: entries this node stamps sort after everything \(peer) "
            + "writes until then; \(fix)"
    }

    /// The warning for events received stamped past the bound ahead of this node's clock.
    public static func stamps(count: UInt64, farthestMillis: Int64, peer: String) -> String? {
        guard count > 0 else { return nil }
        return "\(count) event\(count == 1 ? "" : "s") from \(peer) \(count == 1 ? "is" : "are") stamped up to "
            + "\(duration(farthestMillis.magnitude)) ahead of this node's clock: \(count == 1 ? "it sorts" : "they sort") "
            + "after everything written here until then (`carnet log` marks such entries \"clock?\")"
    }

    /// Every clock warning a session earned: its peer's offset, then its stamps.
    public static func lines(_ statistics: SessionStatistics, peer: String) -> [String] {
        [statistics.peerClockOffsetMillis.flatMap { offset($0, peer: peer) },
         stamps(count: statistics.eventsStampedAhead, farthestMillis: statistics.farthestStampAheadMillis, peer: peer)]
            .compactMap { $0 }
    }

    /// A span as a person says it: "400 days", "3 hours", "7 minutes", "42 seconds".
    public static func duration(_ millis: UInt64) -> String {
        let seconds = Double(millis) / 1000
        let (amount, unit): (Double, String) = switch seconds {
        case 172_800.0...: (seconds / 86_400, "day")
        case 7_200.0...: (seconds / 3_600, "hour")
        case 120.0...: (seconds / 60, "minute")
        default: (seconds, "second")
        }
        let rounded = Int(amount.rounded())
        return "\(rounded) \(unit)\(rounded == 1 ? "" : "s")"
    }

    /// An offset as `status` and `peers list` show it: "+400 days", "-3 minutes", "+0 seconds".
    public static func signed(_ offsetMillis: Int64) -> String {
        (offsetMillis < 0 ? "-" : "+") + duration(offsetMillis.magnitude)
    }
}
