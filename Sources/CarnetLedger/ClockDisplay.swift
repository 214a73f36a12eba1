import CarnetCore

extension HLCTimestamp {
    /// The physical part as people read it, in UTC: `2026-06-01 08:02:32`. A non-zero
    /// logical counter is appended (`+3`) so that two events of one second stay distinct.
    public var readable: String {
        let day = CalendarDay(epochMillis: physical)
        let secondsOfDay = Int((physical % 86_400_000) / 1000)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let time = "\(two(secondsOfDay / 3600)):\(two(secondsOfDay / 60 % 60)):\(two(secondsOfDay % 60))"
        return "\(day.iso) \(time)" + (logical > 0 ? "+\(logical)" : "")
    }
}
