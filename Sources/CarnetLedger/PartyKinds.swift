/// What a party is. Trading kinds own stock and money and may be the actor of an entry;
/// the others buy, sell to or pay them. protocol/SPEC.md §10.2.
public enum PartyKind: String, Sendable, CaseIterable {
    case farm
    case hub
    /// A farmers' drive-through shop ("drive fermier").
    case drive
    /// A semi-wholesale network.
    case wholesale
    case processor
    case shop
    case canteenPublic = "canteen-public"
    case canteenPrivate = "canteen-private"
    case restaurant
    case market
    case customer
    case supplier
    /// A canteen whose sector (public or private) is not said; what versions before
    /// canteens were told apart wrote.
    case canteen

    /// May own stock and money: the actor of an entry.
    public var trades: Bool {
        switch self {
        case .farm, .hub, .drive, .wholesale, .processor, .shop: true
        default: false
        }
    }

    /// A canteen (public or private): a buyer the EGalim report is about.
    public var isCanteen: Bool { self == .canteenPublic || self == .canteenPrivate || self == .canteen }

    /// Kinds a person may give.
    public static var writable: [PartyKind] { allCases }

    /// Trading kinds, for messages.
    public static var trading: [PartyKind] { allCases.filter(\.trades) }
}

/// Why stock was lost: a fixed list, so that waste can be grouped for the evaluation.
public enum LossReason: String, Sendable, CaseIterable {
    case unsold, damaged, expired, quality, other
}

/// VAT on an entry: a rate in basis points (550 is 5.5 %), and the amounts before and
/// after it. Amounts are recorded with VAT included (what changes hands); the amount
/// before VAT is derived, rounded to the nearest cent, halves away from zero.
public enum VAT {
    /// The French reduced rate on food: what an entry without a rate of its own, and a
    /// product without one, is taken to carry.
    public static let foodRate: Int64 = 550
    /// Rates above 100 % are refused as mistakes.
    public static let highestRate: Int64 = 10_000

    /// The amount before VAT of `amount` (VAT included) at `rate` basis points.
    /// Total for any input (entries come from peers): a rate outside 0–100 % is taken as
    /// its nearest bound, and the arithmetic is done in 128 bits.
    public static func excluding(_ amount: Int64, rate: Int64) -> Int64 {
        let divisor = Int128(10_000 + min(max(rate, 0), highestRate))
        let magnitude = (Int128(amount.magnitude) * 20_000 + divisor) / (2 * divisor)
        return Int64(clamping: amount < 0 ? -magnitude : magnitude)
    }

    /// Parses a rate people write: `5.5`, `5,5`, `10`, `20`, `0` (percent), at most two
    /// decimals; nil for anything else.
    public static func parseRate(_ text: String) -> Int64? {
        let normalized = String(text.map { $0 == "," ? "." : $0 })
        let parts = normalized.split(separator: ".", omittingEmptySubsequences: false)
        func digits(_ part: Substring) -> Bool { !part.isEmpty && part.allSatisfy { ("0"..."9").contains($0) } }
        guard parts.count <= 2, digits(parts[0]), parts[0].count <= 3, let whole = Int64(parts[0]) else { return nil }
        var hundredths: Int64 = 0
        if parts.count == 2 {
            guard digits(parts[1]), parts[1].count <= 2, let value = Int64(parts[1]) else { return nil }
            hundredths = parts[1].count == 1 ? value * 10 : value
        }
        let rate = whole * 100 + hundredths
        return rate <= highestRate ? rate : nil
    }

    /// `5.5 %`, `20 %`, `2.05 %`: a rate with a decimal point, for files (a journal's tags)
    /// rather than people (`Display.percent` writes the French decimal comma).
    public static func percent(_ rate: Int64) -> String {
        let whole = rate / 100, fraction = abs(rate % 100)
        if fraction == 0 { return "\(whole) %" }
        if fraction % 10 == 0 { return "\(whole).\(fraction / 10) %" }
        return "\(whole).\(fraction < 10 ? "0" : "")\(fraction) %"
    }
}
