import CarnetCore
import CarnetLedger
import Testing

/// Dates and times written digit by digit read as the interpolated strings they replaced.
struct ClockTextTests {
    /// The forms as they were written before, as the reference.
    private static func iso(_ day: CalendarDay) -> String {
        let (year, month, day) = day.components
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    private static func readable(_ clock: HLCTimestamp) -> String {
        let secondsOfDay = Int((clock.physical % 86_400_000) / 1000)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let time = "\(two(secondsOfDay / 3600)):\(two(secondsOfDay / 60 % 60)):\(two(secondsOfDay % 60))"
        return "\(iso(CalendarDay(epochMillis: clock.physical))) \(time)" + (clock.logical > 0 ? "+\(clock.logical)" : "")
    }

    @Test func daysAndClocksReadAsBefore() {
        let seed: UInt64 = 0xC10C4
        var rng = SplitMix64(seed: seed)
        var days: [Int32] = [0, 1, -1, -719_468, -800_000, 2_932_896, Int32.max, Int32.min, 20_454]
        for _ in 0..<3_000 { days.append(Int32(truncatingIfNeeded: rng.next())) }
        for _ in 0..<3_000 { days.append(Int32(rng.next() % 3_000_000)) }
        for value in days {
            let day = CalendarDay(daysSinceEpoch: value)
            #expect(day.iso == Self.iso(day), "day \(value), seed \(seed)")
        }
        var clocks = [HLCTimestamp(physical: 0, logical: 0), HLCTimestamp(physical: .max, logical: .max)]
        for _ in 0..<3_000 {
            clocks.append(HLCTimestamp(physical: rng.next() % 4_000_000_000_000, logical: UInt32(truncatingIfNeeded: rng.next() % 3)))
        }
        for clock in clocks {
            #expect(clock.readable == Self.readable(clock), "clock \(clock), seed \(seed)")
        }
    }
}
