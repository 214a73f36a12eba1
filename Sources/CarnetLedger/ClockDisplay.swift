import CarnetCore

extension HLCTimestamp {
    /// The physical part as people read it, in UTC: `2026-06-01 08:02:32`. A non-zero
    /// logical counter is appended (`+3`) so that two events of one second stay distinct.
    /// Written digit by digit: `log --json` prints one a million times.
    public var readable: String {
        let day = CalendarDay(epochMillis: physical)
        let secondsOfDay = Int((physical % 86_400_000) / 1000)
        var text: [UInt8] = []
        text.reserveCapacity(24)
        day.appendISO(to: &text)
        text.append(UInt8(ascii: " "))
        DecimalDigits.append(secondsOfDay / 3600, width: 2, to: &text)
        text.append(UInt8(ascii: ":"))
        DecimalDigits.append(secondsOfDay / 60 % 60, width: 2, to: &text)
        text.append(UInt8(ascii: ":"))
        DecimalDigits.append(secondsOfDay % 60, width: 2, to: &text)
        if logical > 0 {
            text.append(UInt8(ascii: "+"))
            text += String(logical).utf8
        }
        return String(decoding: text, as: UTF8.self)
    }
}
