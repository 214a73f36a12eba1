/// A calendar date without time or zone: the day a harvest or a sale happened.
/// Stored as days since 1970-01-01 (proleptic Gregorian), printed as ISO `YYYY-MM-DD`.
public struct CalendarDay: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var daysSinceEpoch: Int32

    public init(daysSinceEpoch: Int32) { self.daysSinceEpoch = daysSinceEpoch }

    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
              (1...CalendarDay.daysIn(month: month, year: year)).contains(day) else { return nil }
        // Days from civil (H. Hinnant's algorithm).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        daysSinceEpoch = Int32(era * 146_097 + dayOfEra - 719_468)
    }

    /// Parses exactly `YYYY-MM-DD`; nil for anything else, including impossible dates.
    public init?(iso text: String) {
        let utf8 = Array(text.utf8)
        guard utf8.count == 10, utf8[4] == UInt8(ascii: "-"), utf8[7] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for c in utf8[range] {
                guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(c - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10) else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// The day containing a moment given in milliseconds since the epoch (UTC).
    public init(epochMillis: UInt64) {
        daysSinceEpoch = Int32(clamping: epochMillis / 86_400_000)
    }

    public var components: (year: Int, month: Int, day: Int) {
        // Civil from days (H. Hinnant's algorithm).
        let z = Int(daysSinceEpoch) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    public var iso: String {
        var text: [UInt8] = []
        text.reserveCapacity(10)
        appendISO(to: &text)
        return String(decoding: text, as: UTF8.self)
    }

    /// `iso`'s bytes, appended (for a caller that writes a longer text).
    func appendISO(to text: inout [UInt8]) {
        let (year, month, day) = components
        DecimalDigits.append(year, width: 4, to: &text)
        text.append(UInt8(ascii: "-"))
        DecimalDigits.append(month, width: 2, to: &text)
        text.append(UInt8(ascii: "-"))
        DecimalDigits.append(day, width: 2, to: &text)
    }

    public var description: String { iso }

    /// Midnight UTC of this day, in milliseconds since the epoch.
    /// The Monday of this day's week (ISO weeks start on Monday; 1970-01-01 was a Thursday).
    public var monday: CalendarDay {
        let sinceMonday = ((Int64(daysSinceEpoch) + 3) % 7 + 7) % 7
        return CalendarDay(daysSinceEpoch: Int32(Int64(daysSinceEpoch) - sinceMonday))
    }

    /// The first day of this day's month.
    public var firstOfMonth: CalendarDay {
        let (year, month, _) = components
        return CalendarDay(year: year, month: month, day: 1) ?? self
    }

    public var epochMillis: UInt64 { UInt64(max(0, Int64(daysSinceEpoch))) * 86_400_000 }

    public static func < (lhs: CalendarDay, rhs: CalendarDay) -> Bool {
        lhs.daysSinceEpoch < rhs.daysSinceEpoch
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
