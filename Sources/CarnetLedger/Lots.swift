import CarnetCore

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

/// The products that the harvests, productions and purchases that count recorded into one
/// lot of one producer: kept in the views (`LedgerViews.lotProducts`) so that `carnet
/// record` checks the lot a sale draws from without reading every entry. A set, so that it
/// is the same whatever the order of arrival; one product is the rule, more a mistake.
public struct LotProducts: Hashable, Sendable {
    public var producer: String
    /// Never empty: an entry without a lot, or with an empty one, makes no lot to name.
    public var lot: String
    /// In byte order, never empty.
    public var products: [String]

    public init(producer: String, lot: String, products: [String]) {
        self.producer = producer
        self.lot = lot
        self.products = products
    }

    /// Whether entries of this kind make the lot they name.
    public static func makes(_ kind: EntryKind) -> Bool { kind == .harvest || kind == .production || kind == .purchase }

    /// The lots of `entries` (producer, lot, product of each entry that makes a lot), in
    /// (producer, lot) order, as bytes.
    static func of(_ entries: some Sequence<(producer: String, lot: String, product: String)>) -> [LotProducts] {
        var products: [LotKey: Set<ExactString>] = [:]
        for entry in entries where !entry.lot.isEmpty {
            products[LotKey(producer: ExactString(entry.producer), lot: ExactString(entry.lot)), default: []]
                .insert(ExactString(entry.product))
        }
        return products.sorted { $0.key < $1.key }.map {
            LotProducts(producer: $0.key.producer.text, lot: $0.key.lot.text, products: $0.value.sorted().map(\.text))
        }
    }

    /// The products made into the producer's lot, from `lots` in (producer, lot) order
    /// (`LedgerViews.lotProducts`); nil when no entry that counts made it.
    public static func products(in lots: [LotProducts], producer: String, lot: String) -> [String]? {
        let wanted = LotProducts(producer: producer, lot: lot, products: [])
        var low = 0, high = lots.count
        while low < high {
            let middle = (low + high) / 2
            if precedes(lots[middle], wanted) { low = middle + 1 } else { high = middle }
        }
        guard low < lots.count, !precedes(wanted, lots[low]) else { return nil }
        return lots[low].products
    }

    /// Producer, then lot, each in byte order.
    static func precedes(_ lhs: LotProducts, _ rhs: LotProducts) -> Bool {
        LotKey(producer: ExactString(lhs.producer), lot: ExactString(lhs.lot))
            < LotKey(producer: ExactString(rhs.producer), lot: ExactString(rhs.lot))
    }
}

struct LotKey: Hashable, Comparable {
    var producer: ExactString
    var lot: ExactString

    static func < (lhs: LotKey, rhs: LotKey) -> Bool { (lhs.producer, lhs.lot) < (rhs.producer, rhs.lot) }
}

extension LedgerState {
    /// `LedgerViews.lotProducts`: every lot made by an entry that counts, with the products
    /// made into it.
    public func lotProducts() -> [LotProducts] {
        LotProducts.of(effectiveRecords.lazy.compactMap { record in
            let entry = record.entry
            guard LotProducts.makes(entry.kind), let lot = entry.lot, let product = entry.product else { return nil }
            return (entry.producer, lot, product)
        })
    }
}
