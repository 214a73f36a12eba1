import CarnetCore

/// Stock on hand of one lot of one product at one producer.
public struct StockLine: Hashable, Sendable {
    public var producer: String
    public var product: String
    /// Empty for stock that has no lot (a purchase).
    public var lot: String
    public var quantity: Int64
    public var unit: QuantityUnit?

    public init(producer: String, product: String, lot: String, quantity: Int64, unit: QuantityUnit?) {
        self.producer = producer
        self.product = product
        self.lot = lot
        self.quantity = quantity
        self.unit = unit
    }
}

/// What a party owes a producer (positive) or the producer owes the party (negative).
public struct Balance: Hashable, Sendable {
    public var producer: String
    public var party: String
    public var cents: Int64

    public init(producer: String, party: String, cents: Int64) {
        self.producer = producer
        self.party = party
        self.cents = cents
    }
}

/// Consortium-wide availability of one product, for the hub.
public struct Availability: Hashable, Sendable {
    public var product: String
    public var unit: QuantityUnit?
    /// On hand at the farms (all lots together).
    public var atProducers: Int64
    /// Delivered to the hub (or another party) and not sold by the farms.
    public var delivered: Int64
    /// Producers holding a positive quantity, in name order.
    public var producers: [String]

    public init(product: String, unit: QuantityUnit?, atProducers: Int64, delivered: Int64, producers: [String]) {
        self.product = product
        self.unit = unit
        self.atProducers = atProducers
        self.delivered = delivered
        self.producers = producers
    }
}

extension LedgerState {
    /// Stock by producer, product and lot, from every effective entry.
    public func stock() -> [StockLine] {
        var quantities: [StockKey: Int64] = [:]
        var units: [StockKey: QuantityUnit] = [:]
        for record in effectiveRecords {
            let entry = record.entry
            guard let direction = entry.kind.stockDirection, let product = entry.product,
                  let quantity = entry.quantity else { continue }
            let key = StockKey(producer: entry.producer, product: product, lot: entry.lot ?? "")
            quantities[key, default: 0] &+= direction &* quantity
            if let unit = entry.unit { units[key] = unit }
        }
        return quantities.map {
            StockLine(producer: $0.key.producer, product: $0.key.product, lot: $0.key.lot,
                      quantity: $0.value, unit: units[$0.key])
        }.sorted(by: StockLine.precedes)
    }

    /// Money owed between each producer and each party: sales minus payments received,
    /// minus purchases.
    public func balances() -> [Balance] {
        var totals: [PairKey: Int64] = [:]
        for record in effectiveRecords {
            let entry = record.entry
            guard let party = entry.party, let amount = entry.amount else { continue }
            let sign: Int64
            switch entry.kind {
            case .sale: sign = 1
            case .payment, .purchase: sign = -1
            default: continue
            }
            totals[PairKey(producer: entry.producer, party: party), default: 0] &+= sign &* amount
        }
        return totals.map { Balance(producer: $0.key.producer, party: $0.key.party, cents: $0.value) }
            .sorted(by: Balance.precedes)
    }

    /// Per product: what the farms hold and what has been delivered, across the consortium;
    /// from `stock()` when the caller has it already.
    public func availability(stock: [StockLine]? = nil) -> [Availability] {
        var delivered: [ExactString: Int64] = [:]
        for record in effectiveRecords where record.entry.kind == .delivery {
            guard let product = record.entry.product, let quantity = record.entry.quantity else { continue }
            delivered[ExactString(product), default: 0] &+= quantity
        }
        return Availability.combine(stock: stock ?? self.stock(), delivered: delivered)
    }
}

extension Availability {
    /// Availability from the stock lines (sorted, as `stock()` gives them) and the
    /// quantities delivered per product: shared by `LedgerState` and `LedgerFold`.
    static func combine(stock: [StockLine], delivered: [ExactString: Int64]) -> [Availability] {
        var byProduct: [ExactString: Availability] = [:]
        var producers: [ExactString: Set<ExactString>] = [:]
        for line in stock {
            let product = ExactString(line.product)
            var item = byProduct[product] ?? Availability(product: line.product, unit: line.unit,
                                                            atProducers: 0, delivered: 0, producers: [])
            item.atProducers &+= line.quantity
            if line.quantity > 0 { producers[product, default: []].insert(ExactString(line.producer)) }
            if item.unit == nil { item.unit = line.unit }
            byProduct[product] = item
        }
        for (product, quantity) in delivered {
            // Every delivery that counts moves stock too, so its product has a line above.
            var item = byProduct[product] ?? Availability(product: product.text, unit: nil, atProducers: 0, delivered: 0, producers: [])
            item.delivered &+= quantity
            byProduct[product] = item
        }
        return byProduct.map { product, item in
            var sorted = item
            sorted.producers = (producers[product] ?? []).sorted().map(\.text)
            return sorted
        }.sorted { ExactString.less($0.product, $1.product) }
    }
}

/// Keys compare and hash as bytes (SPEC §10): two spellings of one name are two keys,
/// whatever order their entries arrived in.
struct StockKey: Hashable {
    var producer: String
    var product: String
    var lot: String

    static func == (lhs: StockKey, rhs: StockKey) -> Bool {
        ExactString(lhs.producer) == ExactString(rhs.producer) && ExactString(lhs.product) == ExactString(rhs.product)
            && ExactString(lhs.lot) == ExactString(rhs.lot)
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(ExactString(producer))
        hasher.combine(ExactString(product))
        hasher.combine(ExactString(lot))
    }
}

struct PairKey: Hashable {
    var producer: String
    var party: String

    static func == (lhs: PairKey, rhs: PairKey) -> Bool {
        ExactString(lhs.producer) == ExactString(rhs.producer) && ExactString(lhs.party) == ExactString(rhs.party)
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(ExactString(producer))
        hasher.combine(ExactString(party))
    }
}

extension StockLine {
    /// Producer, product, lot, each in byte order.
    public static func precedes(_ lhs: StockLine, _ rhs: StockLine) -> Bool {
        if ExactString(lhs.producer) != ExactString(rhs.producer) { return ExactString.less(lhs.producer, rhs.producer) }
        if ExactString(lhs.product) != ExactString(rhs.product) { return ExactString.less(lhs.product, rhs.product) }
        return ExactString.less(lhs.lot, rhs.lot)
    }
}

extension Balance {
    /// Producer, then party, each in byte order.
    static func precedes(_ lhs: Balance, _ rhs: Balance) -> Bool {
        if ExactString(lhs.producer) != ExactString(rhs.producer) { return ExactString.less(lhs.producer, rhs.producer) }
        return ExactString.less(lhs.party, rhs.party)
    }
}
