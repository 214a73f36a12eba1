import CarnetCore
import CarnetLedger
import CarnetNode
import Foundation

/// The demo's second half, the DYNAMO story: a third farm joins, the hub buys from the
/// farms, a public canteen orders from the hub and is delivered, a drive basket is never
/// picked up, the canteen pays part of its bill, and the EGalim report shows the canteen's
/// shares, the same on every node after sync.
extension Demo {
    /// Entries at `node` as one `carnet` command writes them.
    private mutating func record(_ node: DemoNode, _ entries: [LedgerEntry]) throws {
        for entry in entries { try node.append(entry, at: tick()) }
    }

    private mutating func set(_ node: DemoNode, _ key: FieldKey, _ value: Value) throws {
        let wall = tick()
        try node.write { store, _ in
            let live = store.replica.registers[key]?.values.map(\.id) ?? []
            try store.write([.assign(Assignment(key: key, value: value, supersedes: live))], wallMillis: wall)
        }
    }

    /// Runs the chapter; true when every node ends with one digest and the same report.
    mutating func runTrade<Out: TextOutputStream>(root: String, hub: DemoNode, farms: [DemoNode], server: DemoServer,
                                                  secret: LedgerSecret, ledger: LedgerID, out: inout Out) throws -> Bool {
        let today = CalendarDay(epochMillis: now)
        print("9. The hub trades. A third farm joins: the market gardener's laptop is initialised and syncs.", to: &out)
        let val = try DemoNode.create(root: root, name: "maraichage-du-val", label: "Maraîchage du Val", secret: secret, ledger: ledger)
        try hub.enrol(val, roles: [.producer("val")], at: tick())
        let col = farms[0]
        let all = farms + [val]
        for (sku, labels, family) in [("tomme", "fermier", "dairy"), ("oeufs", "organic", "other"), ("salade", "organic", "fruit-vegetables")] {
            try set(hub, Catalog.productKey(sku, .labels), .text(labels))
            try set(hub, Catalog.productKey(sku, .family), .text(family))
        }
        for (id, name, kind) in [("hub", "Tiers-lieu", "hub"), ("val", "Maraîchage du Val", "farm"), ("ana", "Ana (drive)", "customer")] {
            try set(hub, Catalog.partyKey(id, .name), .text(name))
            try set(hub, Catalog.partyKey(id, .kind), .text(kind))
        }
        try set(hub, Catalog.partyKey("cantine-jaures", .kind), .text("canteen-public"))
        print("   the catalog gets its labels (tomme: fermier; eggs and salad: organic) and families; the canteen is", to: &out)
        print("   a public one, so the EGalim law counts its purchases.", to: &out)
        try sync(val, with: server, out: &out)

        try record(col, [LedgerEntry(id: "col-3", kind: .harvest, producer: "col", date: today, product: "tomme",
                                     quantity: 20_000, unit: .grams, lot: "L-col-08")])
        try record(val, [LedgerEntry(id: "val-1", kind: .harvest, producer: "val", date: today, product: "salade",
                                     quantity: 200, unit: .pieces, lot: "L-val-01")])
        // Each farm sells to the hub; the hub records the purchase, which puts the goods in its stock.
        try record(col, [LedgerEntry(id: "col-4", kind: .sale, producer: "col", date: today, product: "tomme", quantity: 10_000,
                                     unit: .grams, lot: "L-col-08", party: "hub", amount: 22_000, vat: 550,
                                     labels: "fermier", family: "dairy")])
        try record(val, [LedgerEntry(id: "val-2", kind: .sale, producer: "val", date: today, product: "salade", quantity: 100,
                                     unit: .pieces, lot: "L-val-01", party: "hub", amount: 9_000, vat: 550,
                                     labels: "organic", family: "fruit-vegetables")])
        try record(hub, [
            LedgerEntry(id: "hub-achat-1", kind: .purchase, producer: "hub", date: today, product: "tomme", quantity: 10_000,
                        unit: .grams, lot: "H-tomme-1", party: "col", amount: 22_000, vat: 550, labels: "fermier", family: "dairy"),
            LedgerEntry(id: "hub-achat-2", kind: .purchase, producer: "hub", date: today, product: "salade", quantity: 100,
                        unit: .pieces, lot: "H-salade-1", party: "val", amount: 9_000, vat: 550, labels: "organic",
                        family: "fruit-vegetables"),
        ])
        print("   the hub buys 10 kg of tomme from ferme-du-col (220,00 €) and 100 salads from the market gardener", to: &out)
        print("   (90,00 €): each farm records its sale, the hub its purchase, which puts the goods in its own stock.", to: &out)

        // The canteen's order, delivered line by line from the hub's stock.
        let order = "cmd-jaures-1"
        try record(hub, [
            LedgerEntry(id: OrderLineID.make(order: order, line: 1), kind: .order, producer: "hub", date: today, product: "tomme",
                        quantity: 6_000, unit: .grams, party: "cantine-jaures", amount: 16_800, order: order, line: 1,
                        note: "livraison lundi"),
            LedgerEntry(id: OrderLineID.make(order: order, line: 2), kind: .order, producer: "hub", date: today, product: "salade",
                        quantity: 60, unit: .pieces, party: "cantine-jaures", amount: 9_000, order: order, line: 2),
        ])
        try record(hub, [
            LedgerEntry(id: "hub-vente-1", kind: .sale, producer: "hub", date: today, product: "tomme", quantity: 6_000, unit: .grams,
                        lot: "H-tomme-1", party: "cantine-jaures", amount: 16_800, vat: 550, labels: "fermier", family: "dairy",
                        order: order, line: 1),
            LedgerEntry(id: "hub-vente-2", kind: .sale, producer: "hub", date: today, product: "salade", quantity: 60, unit: .pieces,
                        lot: "H-salade-1", party: "cantine-jaures", amount: 9_000, vat: 550, labels: "organic",
                        family: "fruit-vegetables", order: order, line: 2),
            LedgerEntry(id: "hub-paiement-1", kind: .payment, producer: "hub", date: today, party: "cantine-jaures", amount: 10_000,
                        method: "transfer", ref: "hub-vente-1"),
        ])
        print("   the canteen orders 6 kg of tomme and 60 salads for Monday (\(order)); the hub delivers both lines", to: &out)
        print("   from its stock and the canteen pays 100,00 € of the 168,00 € tomme invoice.", to: &out)

        // A drive basket, prepared but never picked up: the sale is voided and the salad lost.
        let basket = "panier-ana-1"
        let prepared = LedgerEntry(id: "hub-vente-3", kind: .sale, producer: "hub", date: today, product: "salade", quantity: 10,
                                   unit: .pieces, lot: "H-salade-1", party: "ana", amount: 1_800, vat: 550, labels: "organic",
                                   family: "fruit-vegetables", order: basket, line: 1)
        try record(hub, [
            LedgerEntry(id: OrderLineID.make(order: basket, line: 1), kind: .order, producer: "hub", date: today, product: "salade",
                        quantity: 10, unit: .pieces, party: "ana", amount: 1_800, order: basket, line: 1, note: "retrait 18h"),
            prepared,
        ])
        try record(hub, [
            LedgerEntry(id: "hub-non-retire-1", kind: .uncollected, producer: "hub", date: today, party: "ana", ref: basket),
            prepared.reversal(id: "hub-annul-1", date: today, reason: "order \(basket) not collected"),
            LedgerEntry(id: "hub-perte-1", kind: .loss, producer: "hub", date: today, product: "salade", quantity: 10, unit: .pieces,
                        lot: "H-salade-1", reason: LossReason.unsold.rawValue, note: "order \(basket) not collected"),
        ])
        print("   a drive customer's basket of 10 salads is prepared and never picked up: the hub marks it not collected,", to: &out)
        print("   which voids the sale, and counts the salads lost (unsold).", to: &out)

        for _ in 0..<2 { for node in all { try sync(node, with: server, out: &out, quiet: true) } }
        let nodes = [hub] + all
        try printDigests(nodes, to: &out)

        print("\n10. What every node now reports (`carnet order list`, `carnet report egalim --year \(today.components.year)`):", to: &out)
        let state = try val.ledger()
        for order in state.orders.orders() {
            let lines = order.lines.map { line -> String in
                let unit = line.line.entry.unit ?? .pieces
                return "\(line.line.entry.product ?? "") \(Quantity(line.fulfilled, unit)) of \(Quantity(line.ordered, unit))"
            }.joined(separator: ", ")
            print("   \(order.id.padding(14)) \(order.seller) → \(order.buyer.padding(15)) \(order.status.padding(14)) \(lines)", to: &out)
        }
        let catalog = Catalog(replica: try val.open().replica)
        let figures = EgalimReport.figures(state: state, catalog: catalog, year: today.components.year)
        for canteen in figures {
            let quality = EgalimFigures.basisPoints(canteen.quality, of: canteen.total)
            let organic = EgalimFigures.basisPoints(canteen.organic, of: canteen.total)
            print("   \(canteen.buyer): \(canteen.purchases) purchases, \(Money(cents: canteen.total)) before VAT; "
                  + "quality \(Self.percent(quality)) (target \(EgalimFigures.qualityTarget) %), "
                  + "organic \(Self.percent(organic)) (target \(EgalimFigures.organicTarget) %)", to: &out)
        }
        let balances = state.balances().filter { $0.party == "cantine-jaures" && $0.producer == "hub" }
        for balance in balances { print("   the canteen still owes the hub \(Money(cents: balance.cents))", to: &out) }
        let reports = try nodes.map { node -> [EgalimFigures] in
            let replica = try node.open().replica
            return EgalimReport.figures(state: LedgerState(replica: replica), catalog: Catalog(replica: replica), year: today.components.year)
        }
        let same = reports.allSatisfy { $0 == reports[0] }
        let settled = state.orders.orders().allSatisfy { $0.status != "open" }
        print("   the same report on all \(nodes.count) nodes: \(same ? "yes" : "NO"); every order fulfilled or closed: \(settled ? "yes" : "NO")", to: &out)
        return same && settled && !figures.isEmpty
    }

    private static func percent(_ basisPoints: Int64) -> String {
        let whole = basisPoints / 100, fraction = basisPoints % 100
        return "\(whole),\(fraction < 10 ? "0" : "")\(fraction) %"
    }
}
