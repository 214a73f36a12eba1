import CarnetCore

/// One sale that counts, with what the reports group it by: who sold, to whom, through
/// which route, when, what family, for how much before VAT.
public struct SaleFact: Sendable, Equatable {
    public var actor: String
    public var buyer: String
    /// The buyer's kind (its channel, seen from the seller), or `unknown`.
    public var channel: String
    public var route: Route
    public var product: String
    public var family: ProductFamily?
    /// The buyer's territory, when the catalog says.
    public var territory: String?
    public var date: CalendarDay
    public var quantity: Int64?
    public var unit: QuantityUnit?
    public var excludingVAT: Int64

    /// How food reaches its buyer: through the hub (a hub or drive sells), through the
    /// wholesale network, straight from a producer, or from a producer to another trader
    /// (the hub's supply, counted apart so that nothing is counted twice on the way out).
    public enum Route: String, Sendable, CaseIterable {
        case hub, wholesale, direct, supply
    }
}

public enum SalesReports {
    /// Every sale that counts (voided ones do not), dated from `from` to `to` included.
    public static func facts(state: LedgerState, catalog: Catalog, from: CalendarDay? = nil, to: CalendarDay? = nil) -> [SaleFact] {
        var facts: [SaleFact] = []
        for record in state.effectiveRecords where record.entry.kind == .sale {
            let entry = record.entry
            guard let buyer = entry.party, let product = entry.product, let amount = entry.amountExcludingVAT else { continue }
            if let from, entry.date < from { continue }
            if let to, entry.date > to { continue }
            let sellerKind = catalog.kind(of: entry.producer)
            let buyerKind = catalog.kind(of: buyer)
            let route: SaleFact.Route = switch sellerKind {
            case .hub?, .drive?: .hub
            case .wholesale?: .wholesale
            default: buyerKind?.trades == true ? .supply : .direct
            }
            let family = entry.tradeLabels(catalog: catalog).family
            facts.append(SaleFact(actor: entry.producer, buyer: buyer, channel: buyerKind?.rawValue ?? "unknown", route: route,
                                  product: product, family: family,
                                  territory: catalog.party(buyer)?.text(PartyField.territory.rawValue), date: entry.date,
                                  quantity: entry.quantity, unit: entry.unit, excludingVAT: amount))
        }
        return facts
    }

    /// Per producer (any actor), channel and product: what was sold, for how much before
    /// VAT, and the average price per kg, litre or piece (nil without quantities).
    public static func producers(_ facts: [SaleFact]) -> [ProducerLine] {
        var lines: [ProducerKey: ProducerLine] = [:]
        for fact in facts {
            let key = ProducerKey(actor: ExactString(fact.actor), channel: ExactString(fact.channel), product: ExactString(fact.product))
            var line = lines[key] ?? ProducerLine(actor: fact.actor, channel: fact.channel, product: fact.product, unit: fact.unit,
                                                  quantity: 0, excludingVAT: 0, sales: 0)
            line.sales += 1
            line.excludingVAT &+= fact.excludingVAT
            if let quantity = fact.quantity { line.quantity &+= quantity }
            if line.unit == nil { line.unit = fact.unit }
            lines[key] = line
        }
        return lines.sorted { $0.key < $1.key }.map(\.value)
    }

    /// Per period (the week's Monday or the month's first day), route, family and
    /// territory: how much went through the hub and the wholesale network against direct.
    public static func flows(_ facts: [SaleFact], byMonth: Bool) -> [FlowLine] {
        var lines: [FlowKey: FlowLine] = [:]
        for fact in facts {
            let period = byMonth ? fact.date.firstOfMonth : fact.date.monday
            let key = FlowKey(period: period, route: fact.route, family: fact.family?.rawValue ?? "",
                              territory: ExactString(fact.territory ?? ""))
            var line = lines[key] ?? FlowLine(period: period, route: fact.route, family: fact.family, territory: fact.territory,
                                              excludingVAT: 0, sales: 0, quantities: [:])
            line.sales += 1
            line.excludingVAT &+= fact.excludingVAT
            if let quantity = fact.quantity, let unit = fact.unit { line.quantities[unit, default: 0] &+= quantity }
            lines[key] = line
        }
        return lines.sorted { $0.key < $1.key }.map(\.value)
    }
}

public struct ProducerLine: Sendable, Equatable {
    public var actor: String
    public var channel: String
    public var product: String
    public var unit: QuantityUnit?
    public var quantity: Int64
    public var excludingVAT: Int64
    public var sales: Int

    /// Cents per kg, litre or piece before VAT, rounded half up; nil without a quantity.
    public var averagePrice: Int64? {
        guard let unit, quantity > 0 else { return nil }
        let perBasis = Int128(excludingVAT) * Int128(unit.priceBasis)
        return Int64(clamping: (perBasis * 2 + Int128(quantity)) / (2 * Int128(quantity)))
    }
}

public struct FlowLine: Sendable, Equatable {
    public var period: CalendarDay
    public var route: SaleFact.Route
    public var family: ProductFamily?
    public var territory: String?
    public var excludingVAT: Int64
    public var sales: Int
    /// Quantities by unit (a family mixes kilograms and pieces).
    public var quantities: [QuantityUnit: Int64]
}

struct ProducerKey: Hashable, Comparable {
    var actor: ExactString
    var channel: ExactString
    var product: ExactString

    static func < (lhs: ProducerKey, rhs: ProducerKey) -> Bool {
        if lhs.actor != rhs.actor { return lhs.actor < rhs.actor }
        if lhs.channel != rhs.channel { return lhs.channel < rhs.channel }
        return lhs.product < rhs.product
    }
}

struct FlowKey: Hashable, Comparable {
    var period: CalendarDay
    var route: SaleFact.Route
    var family: String
    var territory: ExactString

    static func < (lhs: FlowKey, rhs: FlowKey) -> Bool {
        if lhs.period != rhs.period { return lhs.period < rhs.period }
        if lhs.route != rhs.route {
            return SaleFact.Route.allCases.firstIndex(of: lhs.route)! < SaleFact.Route.allCases.firstIndex(of: rhs.route)!
        }
        if lhs.family != rhs.family { return ExactString(lhs.family) < ExactString(rhs.family) }
        return lhs.territory < rhs.territory
    }
}
