import CarnetLedger

/// `Quantity.description` made as bytes: `42,5 kg`, `12 345 kg` (a narrow no-break space
/// between thousands), `-1,25 l`, `80 g`, `12 pc`. `stock --by-lot` formats 250,000
/// quantities at 1M events, and the description (built character by character) was a
/// sixth of its time. The tests compare the two on every shape of number.
enum QuantityText {
    static func format(_ amount: Int64, _ unit: QuantityUnit) -> String {
        let magnitude = amount.magnitude
        // A zero's unit is the price basis (`0 kg`): as the description says it.
        guard amount != 0 else { return Quantity(amount, unit).description }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        if amount < 0 { bytes.append(UInt8(ascii: "-")) }
        guard unit != .pieces, magnitude >= 1000 else {
            appendDigits(magnitude, grouped: false, into: &bytes)
            bytes += unit == .pieces ? Self.pieces : unit == .grams ? Self.grams : Self.millilitres
            return String(decoding: bytes, as: UTF8.self)
        }
        appendDigits(magnitude / 1000, grouped: true, into: &bytes)
        var fraction = magnitude % 1000
        if fraction != 0 {
            bytes.append(UInt8(ascii: ","))
            var digits = 3
            while fraction % 10 == 0 {
                fraction /= 10
                digits -= 1
            }
            var divisor: UInt64 = digits == 3 ? 100 : digits == 2 ? 10 : 1
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8(fraction / divisor % 10))
                divisor /= 10
            }
        }
        bytes += unit == .grams ? Self.kilograms : Self.litres
        return String(decoding: bytes, as: UTF8.self)
    }

    private static let pieces = Array(" pc".utf8), grams = Array(" g".utf8), millilitres = Array(" ml".utf8)
    private static let kilograms = Array(" kg".utf8), litres = Array(" l".utf8)
    private static let narrowSpace = Array("\u{202F}".utf8)

    /// The decimal digits of `value`, with a narrow space before each group of three from
    /// the right when `grouped`.
    private static func appendDigits(_ value: UInt64, grouped: Bool, into bytes: inout [UInt8]) {
        var count = 1, power: UInt64 = 1
        while count < 20, value / power >= 10 {
            count += 1
            power *= 10
        }
        for index in 0..<count {
            if grouped, index > 0, (count - index) % 3 == 0 { bytes += narrowSpace }
            bytes.append(UInt8(ascii: "0") + UInt8(value / power % 10))
            power /= 10
        }
    }
}
