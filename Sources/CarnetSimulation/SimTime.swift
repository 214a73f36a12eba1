import CarnetCore
import CarnetTestKit

/// A point or a span of virtual time, in whole microseconds.
///
/// Integer arithmetic, so that one seed gives the same times on every machine, and cheap
/// in debug builds (where `Duration`'s 128-bit arithmetic is not). Sessions take
/// `Duration`: `duration` converts at the boundary.
public struct SimTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var micros: Int64

    public init(micros: Int64) {
        self.micros = micros
    }

    public static let zero = SimTime(micros: 0)

    public static func milliseconds(_ value: Int64) -> SimTime { SimTime(micros: value * 1_000) }
    public static func seconds(_ value: Int64) -> SimTime { SimTime(micros: value * 1_000_000) }
    public static func minutes(_ value: Int64) -> SimTime { .seconds(value * 60) }
    public static func hours(_ value: Int64) -> SimTime { .seconds(value * 3_600) }
    public static func days(_ value: Int64) -> SimTime { .seconds(value * 86_400) }

    /// What a session is told the time is.
    public var duration: Duration { .microseconds(micros) }
    public var seconds: Double { Double(micros) / 1_000_000 }
    public var milliseconds: Int64 { micros / 1_000 }

    public static func < (lhs: SimTime, rhs: SimTime) -> Bool { lhs.micros < rhs.micros }
    public static func + (lhs: SimTime, rhs: SimTime) -> SimTime { SimTime(micros: lhs.micros + rhs.micros) }
    public static func - (lhs: SimTime, rhs: SimTime) -> SimTime { SimTime(micros: lhs.micros - rhs.micros) }
    public static func * (lhs: SimTime, rhs: Int64) -> SimTime { SimTime(micros: lhs.micros * rhs) }
    public static func += (lhs: inout SimTime, rhs: SimTime) { lhs.micros += rhs.micros }

    /// `2d03:04:05.678`: days only when there are some.
    public var description: String {
        let total = micros / 1_000
        let millis = total % 1_000
        let seconds = (total / 1_000) % 60
        let minutes = (total / 60_000) % 60
        let hours = (total / 3_600_000) % 24
        let days = total / 86_400_000
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let millisText = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        let clock = "\(two(hours)):\(two(minutes)):\(two(seconds)).\(millisText)"
        return days > 0 ? "\(days)d\(clock)" : clock
    }
}
