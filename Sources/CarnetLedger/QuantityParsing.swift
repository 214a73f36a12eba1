/// Reading quantities as people type them on a command line: `42kg`, `42,5 kg`, `500g`,
/// `12piece`, `3l`, `-2kg` (an adjustment). The result is an integer in the unit's
/// smallest step (grams, millilitres, pieces): a quantity finer than that step is refused
/// rather than rounded, because a ledger must never invent or lose a gram silently.
extension Quantity {
    public init(parsing text: String) throws(LedgerError) {
        var utf8 = Array(text.utf8)
        while utf8.first == UInt8(ascii: " ") { utf8.removeFirst() }
        while utf8.last == UInt8(ascii: " ") { utf8.removeLast() }
        var negative = false
        if utf8.first == UInt8(ascii: "-") || utf8.first == UInt8(ascii: "+") {
            negative = utf8.first == UInt8(ascii: "-")
            utf8.removeFirst()
        }
        var mantissa: Int64 = 0
        var fractionDigits = 0
        var seenSeparator = false
        var digits = 0
        var index = 0
        while index < utf8.count {
            let c = utf8[index]
            if c == UInt8(ascii: ".") || c == UInt8(ascii: ",") {
                guard !seenSeparator else { throw LedgerError("\"\(text)\" has two decimal separators") }
                seenSeparator = true
            } else if c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") {
                let (times, o1) = mantissa.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times.addingReportingOverflow(Int64(c - UInt8(ascii: "0")))
                guard !o1, !o2, sum < Int64.max / 1_000_000 else { throw LedgerError("\"\(text)\" is too large a quantity") }
                mantissa = sum
                digits += 1
                if seenSeparator { fractionDigits += 1 }
            } else {
                break
            }
            index += 1
        }
        guard digits > 0 else {
            throw LedgerError("\"\(text)\" is not a quantity: write a number and its unit, e.g. 42kg, 42,5kg, 500g, 12piece, 3l")
        }
        while index < utf8.count, utf8[index] == UInt8(ascii: " ") { index += 1 }
        let unitText = String(decoding: utf8[index...], as: UTF8.self)
        guard !unitText.isEmpty else {
            throw LedgerError("\"\(text)\" has no unit: write it after the number, e.g. 42kg, 500g, 12piece, 3l, 750ml")
        }
        guard let (unit, factor) = QuantityUnit.parse(unitText) else {
            throw LedgerError("\"\(unitText)\" is not a unit Carnet knows (kg, g, l, cl, ml, piece)")
        }
        var divisor: Int64 = 1
        for _ in 0..<fractionDigits { divisor *= 10 }
        let scaled = mantissa * factor
        guard scaled % divisor == 0 else {
            throw LedgerError("\"\(text)\" is finer than one \(unit == .pieces ? "piece" : unit.rawValue), the smallest step Carnet records")
        }
        self.init(negative ? -(scaled / divisor) : scaled / divisor, unit)
    }
}

extension QuantityUnit {
    /// The unit a price is quoted per: a kilogram for grams, a litre for millilitres, a
    /// piece for pieces (the workload's and the catalog's convention).
    public var priceBasis: Int64 {
        self == .pieces ? 1 : 1000
    }

    /// How people name the price basis: `kg`, `l`, `pc`.
    public var priceBasisName: String {
        switch self {
        case .grams: "kg"
        case .millilitres: "l"
        case .pieces: "pc"
        }
    }
}

extension Money {
    /// The total for `quantity` at `price` per basis unit (per kg, per litre, per piece),
    /// rounded half away from zero to the cent.
    public static func total(quantity: Int64, unit: QuantityUnit, pricePerBasis price: Money) -> Money {
        let basis = unit.priceBasis
        let product = quantity.multipliedReportingOverflow(by: price.cents)
        guard !product.overflow else { return Money(cents: Int64.max) }
        let half = basis / 2
        let rounded = product.partialValue >= 0 ? (product.partialValue + half) / basis : (product.partialValue - half) / basis
        return Money(cents: rounded)
    }
}
