/// The unit a product is counted in. Quantities are integers in the smallest unit:
/// grams, millilitres or pieces — never fractions.
public enum QuantityUnit: String, Sendable, CaseIterable, Hashable {
    case grams = "g"
    case millilitres = "ml"
    case pieces = "pc"

    /// Parses the unit names people type (`kg`, `g`, `l`, `ml`, `piece`, `pc`) and returns
    /// the stored unit with the factor to reach it (1 kg = 1000 g).
    public static func parse(_ text: String) -> (unit: QuantityUnit, factor: Int64)? {
        switch text.lowercased() {
        case "g", "gram", "grams": (.grams, 1)
        case "kg", "kilo", "kilos": (.grams, 1000)
        case "ml": (.millilitres, 1)
        case "cl": (.millilitres, 10)
        case "l", "litre", "litres", "liter", "liters": (.millilitres, 1000)
        case "pc", "piece", "pieces", "pcs", "u": (.pieces, 1)
        default: nil
        }
    }
}

/// A quantity of a product in its smallest unit.
public struct Quantity: Hashable, Sendable, CustomStringConvertible {
    public var amount: Int64
    public var unit: QuantityUnit

    public init(_ amount: Int64, _ unit: QuantityUnit) {
        self.amount = amount
        self.unit = unit
    }

    /// For people: `42,5 kg`, `750 g`, `3 l`, `12 pc`. Grams and millilitres switch to kg and
    /// l from 1000 up, with at most three decimals and a decimal comma. Zero is said in the
    /// unit the product is sold by (`0 kg`, `0 l`): "0 g" of a cheese sold by the kilo
    /// reads as if the product were counted in grams.
    public var description: String {
        if amount == 0 { return "0 " + unit.priceBasisName }
        switch unit {
        case .pieces: return "\(amount) pc"
        case .grams: return amount.magnitude >= 1000 ? Decimal3.format(amount) + " kg" : "\(amount) g"
        case .millilitres: return amount.magnitude >= 1000 ? Decimal3.format(amount) + " l" : "\(amount) ml"
        }
    }
}

/// Money in euro cents. Formatted `120,50 €`.
public struct Money: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var cents: Int64

    public init(cents: Int64) { self.cents = cents }

    /// Parses euros as people type them: `3.20`, `3,20`, `120`, `-4.5`. At most two decimals.
    public init?(euros text: String) {
        var trimmed = Substring(text)
        if trimmed.hasSuffix("€") { trimmed = trimmed.dropLast() }
        while trimmed.last == " " { trimmed = trimmed.dropLast() }
        var utf8 = Array(trimmed.utf8)
        var negative = false
        if utf8.first == UInt8(ascii: "-") { negative = true; utf8.removeFirst() }
        guard !utf8.isEmpty else { return nil }
        var whole: Int64 = 0, fraction: Int64 = 0, fractionDigits = 0, seenSeparator = false
        for c in utf8 {
            if c == UInt8(ascii: ".") || c == UInt8(ascii: ",") {
                guard !seenSeparator else { return nil }
                seenSeparator = true
                continue
            }
            guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
            let digit = Int64(c - UInt8(ascii: "0"))
            if seenSeparator {
                fractionDigits += 1
                guard fractionDigits <= 2 else { return nil }
                fraction = fraction * 10 + digit
            } else {
                let (times, o1) = whole.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times.addingReportingOverflow(digit)
                guard !o1, !o2, sum < Int64.max / 1000 else { return nil }
                whole = sum
            }
        }
        if fractionDigits == 1 { fraction *= 10 }
        cents = (whole * 100 + fraction) * (negative ? -1 : 1)
    }

    public var description: String {
        let sign = cents < 0 ? "-" : ""
        let magnitude = cents.magnitude
        let fraction = magnitude % 100
        return "\(sign)\(Decimal3.group(magnitude / 100)),\(fraction < 10 ? "0" : "")\(fraction) €"
    }

    public static func < (lhs: Money, rhs: Money) -> Bool { lhs.cents < rhs.cents }
}

enum Decimal3 {
    /// `42500` → `42,5`; `1000` → `1`; `-1250` → `-1,25`.
    static func format(_ thousandths: Int64) -> String {
        let sign = thousandths < 0 ? "-" : ""
        let magnitude = thousandths.magnitude
        var fraction = String(magnitude % 1000)
        fraction = String(repeating: "0", count: 3 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return sign + group(magnitude / 1000) + (fraction.isEmpty ? "" : "," + fraction)
    }

    /// Thousands separated by a narrow space, as French readers expect: `12 345`.
    static func group(_ value: UInt64) -> String {
        let digits = Array(String(value))
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append("\u{202F}") }
            out.append(digit)
        }
        return out
    }
}
