/// Decimal numbers written as bytes, padded with zeros on the left: dates and times that
/// `log` and the reports print by the million, without a string per part.
enum DecimalDigits {
    /// Appends `value` in decimal, with zeros before it up to `width` digits (a negative
    /// value as `String` pads it: the zeros before its sign).
    static func append(_ value: Int, width: Int, to text: inout [UInt8]) {
        guard value >= 0 else {
            let digits = String(value).utf8
            text += repeatElement(UInt8(ascii: "0"), count: max(0, width - digits.count))
            text += digits
            return
        }
        var count = 1
        var rest = value / 10
        while rest > 0 {
            count += 1
            rest /= 10
        }
        text += repeatElement(UInt8(ascii: "0"), count: max(0, width - count))
        let end = text.count + count
        text += repeatElement(UInt8(ascii: "0"), count: count)
        var remaining = value
        for position in stride(from: end - 1, through: end - count, by: -1) {
            text[position] = UInt8(ascii: "0") + UInt8(remaining % 10)
            remaining /= 10
        }
    }
}
