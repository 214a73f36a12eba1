import CarnetCore
import CarnetLedger

/// What a writer that knows the entries it will write names of the views, so that it
/// reads only the lines it checks them against (`LedgerViewsFile.currentForOneWriter`):
/// the stock lines of their products, the lots they make or draw from, the sales they pay.
/// At ten million entries those sections are 148 MB; one harvest needs a few KB of them.
public struct ViewsPart: Sendable, Equatable {
    /// A producer's lot, as an entry names it.
    public struct Lot: Sendable, Equatable {
        public var producer: String
        public var lot: String

        public init(producer: String, lot: String) {
            self.producer = producer
            self.lot = lot
        }
    }

    public var products: [String]
    public var lots: [Lot]
    /// The ids payments name in `ref`.
    public var sales: [String]

    public init(products: [String] = [], lots: [Lot] = [], sales: [String] = []) {
        self.products = products
        self.lots = lots
        self.sales = sales
    }

    /// What `entries` name, each once (names are keys as bytes: two spellings are two).
    public init(entries: [LedgerEntry]) {
        var part = ViewsPart()
        for entry in entries {
            if let product = entry.product { part.products.append(product) }
            if let lot = entry.lot, !lot.isEmpty { part.lots.append(Lot(producer: entry.producer, lot: lot)) }
            if entry.kind == .payment, let sale = entry.ref { part.sales.append(sale) }
        }
        self = part.eachOnce()
    }

    /// Both parts' names, each once.
    public func adding(_ other: ViewsPart) -> ViewsPart {
        ViewsPart(products: products + other.products, lots: lots + other.lots, sales: sales + other.sales).eachOnce()
    }

    private func eachOnce() -> ViewsPart {
        var seenProducts = Set<ExactString>(), seenLots = Set<[ExactString]>(), seenSales = Set<ExactString>()
        return ViewsPart(products: products.filter { seenProducts.insert(ExactString($0)).inserted },
                         lots: lots.filter { seenLots.insert([ExactString($0.producer), ExactString($0.lot)]).inserted },
                         sales: sales.filter { seenSales.insert(ExactString($0)).inserted })
    }
}
