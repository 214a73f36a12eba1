import CarnetCore
import CarnetSync
import Foundation

/// The "clock?" mark on an entry or a value stamped more than `ClockOffset.boundMillis`
/// ahead of this machine's clock as it reads them (protocol/SPEC.md 8.2.10): such a stamp
/// sorts after every honest write made until that date, and the mark says why. Display
/// only: nothing is merged, sorted or stored differently for it. A judgement of this
/// node's clock, so a node whose own clock is the wrong one does not mark its own writes
/// (its `sync` and `status` warn it instead).
enum ClockMark {
    /// Read once per process, so one listing judges all its lines by one clock.
    static let readerMillis = UInt64(max(0, Date().timeIntervalSince1970 * 1000))
    static let text = "clock?"

    static func isAhead(_ clock: HLCTimestamp) -> Bool {
        ClockOffset.isAhead(stamp: clock.physical, of: readerMillis)
    }

    /// The mark for a table, or "" for a stamp this clock finds plausible.
    static func cell(_ clock: HLCTimestamp, _ output: Output) -> String {
        isAhead(clock) ? output.yellow(text) : ""
    }
}
