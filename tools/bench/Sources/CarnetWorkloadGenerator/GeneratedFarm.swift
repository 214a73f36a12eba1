import CarnetCore
import CarnetWorkload

/// One farm while a workload is generated: its products, open lots, unpaid sales and
/// recent entries, so that deliveries and sales draw from real lots, payments settle real
/// sales and reversals cancel real entries (each at most once, never a reversal).
struct FarmState {
    private static let parties = ["drive-fermier-1", "drive-fermier-2", "cantine-jaures", "cantine-pasteur", "cantine-curie",
                                  "epicerie-01", "epicerie-07", "epicerie-12", "resto-03", "resto-05", "marche-samedi", "vente-directe"]
    private static let methods = ["especes", "carte", "virement", "cheque"]
    private static let notes = ["calibre 2", "abîmé", "reste chambre froide", "retard camion", "prix négocié", "invendus", "bio",
                                "à recompter", "gel matinal", "facture n°", "caisse "]
    private static let reasons = ["erreur de saisie", "doublon", "quantité erronée", "retour client", "annulation commande", "mauvais lot"]

    private struct Lot {
        var id: String
        var product: String
        var unit: String
        var remaining: Int64
    }

    let index: Int
    let name: String
    let products: [String]
    private var entryCount = 0
    private var lotCount = 0
    private var openLots: [Lot] = []
    private var unpaid: [(sale: String, party: String, amount: Int64)] = []
    private var recent: [WorkloadEntry] = []

    init<R: RandomNumberGenerator>(index: Int, products: [String], using rng: inout R) {
        self.index = index
        name = "F" + (index < 10 ? "0" : "") + String(index)
        let count = min(products.count, Int.random(in: 15...40, using: &rng))
        self.products = Array(products.shuffled(using: &rng).prefix(count)).sorted()
    }

    private func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    mutating func nextEntry<R: RandomNumberGenerator>(date: String, catalog: GeneratedCatalog, using rng: inout R) -> WorkloadEntry {
        var kind = ["harvest", "delivery", "sale", "payment", "reversal"][Self.weightedKind(using: &rng)]
        if (kind == "delivery" || kind == "sale"), openLots.isEmpty { kind = "harvest" }
        if kind == "payment", unpaid.isEmpty { kind = openLots.isEmpty ? "harvest" : "sale" }
        if kind == "reversal", recent.isEmpty { kind = "harvest" }
        entryCount += 1
        var entry = WorkloadEntry(id: "\(name)-\(padded(entryCount, 6))", farm: name, date: date, kind: kind)
        switch kind {
        case "harvest":
            let code = products.randomElement(using: &rng)!
            let unit = catalog.product(code)?.unit ?? "g"
            lotCount += 1
            let quantity = Self.quantity(unit: unit, for: "harvest", using: &rng)
            let lot = "L\(padded(index, 2))-\(padded(lotCount, 5))"
            openLots.append(Lot(id: lot, product: code, unit: unit, remaining: quantity))
            if openLots.count > 40 { openLots.removeFirst() }
            (entry.product, entry.qty, entry.unit, entry.lot) = (code, quantity, unit, lot)
        case "delivery", "sale":
            let lotIndex = Int.random(in: 0..<openLots.count, using: &rng)
            var lot = openLots[lotIndex]
            let quantity = min(lot.remaining, Self.quantity(unit: lot.unit, for: kind, using: &rng))
            lot.remaining -= quantity
            if lot.remaining <= 0 { openLots.remove(at: lotIndex) } else { openLots[lotIndex] = lot }
            (entry.product, entry.qty, entry.unit, entry.lot) = (lot.product, quantity, lot.unit, lot.id)
            if kind == "delivery" {
                entry.to = "HUB"
            } else {
                var price = catalog.product(lot.product)?.price ?? 100
                if Int.random(in: 0..<5, using: &rng) == 0 { price = price * Int64.random(in: 85...99, using: &rng) / 100 }
                let amount = max(1, lot.unit == "pc" ? quantity * price : quantity * price / 1000)
                let party = Self.parties.randomElement(using: &rng)!
                (entry.party, entry.amount) = (party, amount)
                unpaid.append((entry.id, party, amount))
            }
        case "payment":
            let which = Int.random(in: 0..<min(5, unpaid.count), using: &rng)
            let debt = unpaid[which]
            var paid = debt.amount
            if Int.random(in: 0..<5, using: &rng) == 0, debt.amount >= 200 {
                paid = debt.amount * Int64.random(in: 30...89, using: &rng) / 100
                unpaid[which].amount -= paid
            } else {
                unpaid.remove(at: which)
            }
            (entry.party, entry.amount, entry.method, entry.ref) = (debt.party, paid, Self.methods.randomElement(using: &rng)!, debt.sale)
        default:
            let target = recent.remove(at: Int.random(in: 0..<recent.count, using: &rng))
            (entry.ref, entry.refKind, entry.reason) = (target.id, target.kind, Self.reasons.randomElement(using: &rng)!)
            if let amount = target.amount, target.kind == "sale" || target.kind == "payment" {
                entry.amount = -amount
            } else {
                entry.qty = -(target.qty ?? 0)
            }
        }
        if kind != "reversal" {
            if Int.random(in: 0..<100, using: &rng) < 15 {
                let note = Self.notes.randomElement(using: &rng)!
                entry.note = note.hasSuffix("°") || note.hasSuffix(" ") ? note + String(Int.random(in: 1...4999, using: &rng)) : note
            }
            recent.append(entry)
            if recent.count > 200 { recent.removeFirst() }
        }
        return entry
    }

    /// harvest 30, delivery 18, sale 34, payment 14, reversal 4 (out of 100).
    private static func weightedKind<R: RandomNumberGenerator>(using rng: inout R) -> Int {
        let roll = Int.random(in: 0..<100, using: &rng)
        switch roll {
        case 0..<30: return 0
        case 30..<48: return 1
        case 48..<82: return 2
        case 82..<96: return 3
        default: return 4
        }
    }

    private static func quantity<R: RandomNumberGenerator>(unit: String, for kind: String, using rng: inout R) -> Int64 {
        switch (unit, kind) {
        case ("pc", "harvest"): Int64.random(in: 12...1_200, using: &rng)
        case ("pc", "delivery"): Int64.random(in: 30...600, using: &rng)
        case ("pc", _): Int64.random(in: 1...120, using: &rng)
        case ("ml", "harvest"): Int64.random(in: 100...5_000, using: &rng) * 100
        case ("ml", "delivery"): Int64.random(in: 20_000...200_000, using: &rng)
        case ("ml", _): Int64.random(in: 500...20_000, using: &rng)
        case (_, "harvest"): Int64.random(in: 100...30_000, using: &rng) * 10
        case (_, "delivery"): Int64.random(in: 5_000...100_000, using: &rng)
        default: Int64.random(in: 250...30_000, using: &rng)
        }
    }
}
