import CarnetCore

/// What a canteen bought in a year, counted as the EGalim law counts it and as the "ma
/// cantine" declaration asks for it: food purchases before VAT, the share of sustainable
/// and quality products (target 50 %), of organic ones (20 %), and among meat and fish the
/// share of quality ones (60 %). "Local" is shown beside, never counted: the law does not.
///
/// A canteen is not an actor: its purchases are the sales recorded to it (`party`), by any
/// trading party. Voided sales count for nothing; each sale counts with the labels and
/// family it was recorded with (SPEC §10.3), or, for sales recorded before entries kept
/// them, the product's current ones (counted in `labelsFromCatalog`).
public struct EgalimFigures: Sendable, Equatable {
    public var buyer: String
    public var year: Int
    /// Sales to the buyer that count, and the amount before VAT of all of them.
    public var purchases: Int
    public var total: Int64
    /// Before VAT, with a label the law counts (organic included).
    public var quality: Int64
    public var organic: Int64
    /// Meat, poultry and seafood, and the part of it with a label the law counts.
    public var meatAndFish: Int64
    public var meatAndFishQuality: Int64
    /// Labelled `local`, or sold by a party of the buyer's territory. Shown, never counted.
    public var local: Int64
    /// The one category each labelled purchase counts in (`QualityLabel.category(of:)`).
    public var byCategory: [QualityLabel: Int64]
    /// By family; purchases of a product without one under `nil`.
    public var byFamily: [ProductFamily?: Int64]
    /// Purchases counted with the product's labels of today (recorded before entries kept them).
    public var labelsFromCatalog: Int

    public static let qualityTarget = 50
    public static let organicTarget = 20
    public static let meatAndFishTarget = 60

    /// `part` of `whole` in hundredths of a percent, rounded half up (0 when `whole` is 0).
    public static func basisPoints(_ part: Int64, of whole: Int64) -> Int64 {
        guard whole > 0 else { return 0 }
        // In 128 bits: a year of a large buyer times 20,000 fits 64 bits, hostile sums may not.
        let numerator = Int128(part) * 20_000 + Int128(whole)
        return Int64(clamping: numerator / (2 * Int128(whole)))
    }
}

public enum EgalimReport {
    /// The figures of every canteen that bought something in `year`, or of `buyer` alone
    /// (whatever its kind, and even when it bought nothing), in buyer order.
    public static func figures(state: LedgerState, catalog: Catalog, year: Int, buyer: String? = nil) -> [EgalimFigures] {
        var byBuyer: [ExactString: EgalimFigures] = [:]
        if let buyer { byBuyer[ExactString(buyer)] = empty(buyer, year) }
        for record in state.effectiveRecords where record.entry.kind == .sale {
            let entry = record.entry
            guard entry.date.components.year == year, let party = entry.party, let amount = entry.amountExcludingVAT else { continue }
            let key = ExactString(party)
            if let buyer {
                guard key == ExactString(buyer) else { continue }
            } else {
                guard catalog.kind(of: party)?.isCanteen == true else { continue }
            }
            var figures = byBuyer[key] ?? empty(party, year)
            let (labels, family, fromCatalog) = entry.tradeLabels(catalog: catalog)
            if fromCatalog { figures.labelsFromCatalog += 1 }
            // Wrapping sums, as every view's: entries from peers are bounded in size, not in value.
            figures.purchases += 1
            figures.total &+= amount
            let category = QualityLabel.category(of: labels)
            if let category {
                figures.quality &+= amount
                figures.byCategory[category, default: 0] &+= amount
            }
            if labels.contains(where: \.countsAsOrganic) { figures.organic &+= amount }
            if family?.isMeatOrFish == true {
                figures.meatAndFish &+= amount
                if category != nil { figures.meatAndFishQuality &+= amount }
            }
            figures.byFamily[family, default: 0] &+= amount
            let buyerTerritory = catalog.party(party)?.text(PartyField.territory.rawValue)
            let sellerTerritory = catalog.party(entry.producer)?.text(PartyField.territory.rawValue)
            let sameTerritory = buyerTerritory != nil && buyerTerritory.map(ExactString.init) == sellerTerritory.map(ExactString.init)
            if labels.contains(.local) || sameTerritory { figures.local &+= amount }
            byBuyer[key] = figures
        }
        return byBuyer.values.sorted { ExactString.less($0.buyer, $1.buyer) }
    }

    private static func empty(_ buyer: String, _ year: Int) -> EgalimFigures {
        EgalimFigures(buyer: buyer, year: year, purchases: 0, total: 0, quality: 0, organic: 0, meatAndFish: 0,
                      meatAndFishQuality: 0, local: 0, byCategory: [:], byFamily: [:], labelsFromCatalog: 0)
    }
}
