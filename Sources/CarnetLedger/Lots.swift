/// Where a lot came from: the harvest, production or purchase that made it. A delivery, sale, loss
/// or adjustment names a lot; the CLI checks that lot exists before writing, because a
/// mistyped lot would otherwise open a phantom lot with negative stock.
public struct LotOrigin: Hashable, Sendable {
    public var producer: String
    public var lot: String
    public var product: String
    /// The first entry that made the lot.
    public var entry: String
}

extension LedgerState {
    /// Every lot made by a harvest, production or purchase that counts (not voided), by actor
    /// then lot. When two products were recorded into one lot, the first one is kept.
    public func lotOrigins() -> [String: [String: LotOrigin]] {
        var origins: [String: [String: LotOrigin]] = [:]
        for record in effectiveRecords where record.entry.kind == .harvest || record.entry.kind == .production || record.entry.kind == .purchase {
            let entry = record.entry
            guard let lot = entry.lot, let product = entry.product else { continue }
            if origins[entry.producer]?[lot] == nil {
                origins[entry.producer, default: [:]][lot] = LotOrigin(producer: entry.producer, lot: lot,
                                                                       product: product, entry: entry.id)
            }
        }
        return origins
    }
}
