import CarnetSync
import CarnetWire

/// A dialer that asked for grants (message 1's bit 2, SPEC 8.2.1) and met a listener from
/// before them: that listener reads message 1, finds a bit it does not know, and answers
/// in message 2 with an authenticated ERROR `malformed`. The dialer then dials once more
/// without the bit, and says so in its report, rather than failing against every hub
/// that has not upgraded yet.
enum GrantsFallback {
    /// True when `report` is that refusal: the session asked for grants and the listener,
    /// holding the secret, answered the handshake with `malformed` before any SUMMARY.
    static func refusedGrants(_ report: SessionReport, settings: SessionSettings) -> Bool {
        guard settings.grants, settings.budgetBytes == 0, report.peer == nil,
              case let .closedByPeer(code, message)? = report.end?.outcome else { return false }
        // An ERROR in clear proves nothing and is never acted on (SPEC 8.2.4).
        return code == .malformed && !message.hasPrefix("(unauthenticated)")
    }
}
