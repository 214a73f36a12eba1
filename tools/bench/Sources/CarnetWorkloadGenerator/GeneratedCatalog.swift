import CarnetCore
import CarnetWorkload

/// The hub's product catalog while a workload is generated: creations on day 0, then
/// single-field edits, some of them deliberately concurrent.
struct GeneratedCatalog {
    struct Product {
        var code: String
        var base: String
        var name: String
        var unit: String
        var price: Int64
        var category: String
        var vat: Int64
        var active: Bool
    }

    private static let bases: [(String, String, String, ClosedRange<Int64>)] = [
        ("Carotte", "legume", "g", 150...420), ("Pomme de terre", "legume", "g", 120...350),
        ("Poireau", "legume", "g", 250...600), ("Tomate", "legume", "g", 300...900),
        ("Courgette", "legume", "g", 200...550), ("Salade", "legume", "pc", 80...200),
        ("Chou", "legume", "pc", 150...400), ("Betterave", "legume", "g", 200...500),
        ("Épinard", "legume", "g", 400...1000), ("Potiron", "legume", "g", 150...400),
        ("Pomme", "fruit", "g", 200...500), ("Poire", "fruit", "g", 250...600),
        ("Fraise", "fruit", "g", 600...1400), ("Noix", "fruit", "g", 600...1500),
        ("Melon", "fruit", "pc", 150...450), ("Œufs", "laitier", "pc", 30...60),
        ("Lait cru", "laitier", "ml", 100...180), ("Fromage de chèvre", "laitier", "pc", 250...600),
        ("Beurre", "laitier", "g", 1200...2500), ("Tomme", "laitier", "g", 1500...3000),
        ("Miel", "epicerie", "g", 1200...2500), ("Farine", "epicerie", "g", 150...400),
        ("Jus de pomme", "epicerie", "ml", 250...500), ("Confiture", "epicerie", "pc", 400...700),
    ]
    private static let varieties = ["bio", "primeur", "ancienne", "de garde", "rouge", "extra", "n°2", "plein champ", "serre", "vrac"]

    private(set) var items: [Product] = []
    var codes: [String] { items.map(\.code) }

    init<R: RandomNumberGenerator>(count: Int, using rng: inout R) {
        for index in 0..<count {
            let (base, category, unit, prices) = Self.bases[index % Self.bases.count]
            let variety = Self.varieties[(index / Self.bases.count + index) % Self.varieties.count]
            items.append(Product(
                code: "P" + String(repeating: "0", count: 4 - String(index).count) + String(index),
                base: base, name: "\(base) \(variety)", unit: unit, price: Int64.random(in: prices, using: &rng),
                category: category, vat: category == "epicerie" && Bool.random(using: &rng) ? 1000 : 550, active: true
            ))
        }
    }

    func product(_ code: String) -> Product? {
        guard let index = Int(code.dropFirst()), items.indices.contains(index) else { return nil }
        return items[index]
    }

    func creations(date: String) -> [CatalogWrite] {
        items.map { item in
            CatalogWrite(actor: "HUB", date: date, product: item.code, fields: [
                ("name", .string(item.name)), ("unit", .string(item.unit)), ("price", .int(item.price)),
                ("category", .string(item.category)), ("vat", .int(item.vat)), ("active", .bool(item.active)),
            ])
        }
    }

    /// A few background edits by the hub or farms (a farm edits only products it grows).
    mutating func edits<R: RandomNumberGenerator>(day: Int, date: String, farms: [FarmState], using rng: inout R) -> [CatalogWrite] {
        (0..<Int.random(in: 0...4, using: &rng)).map { _ in
            let farm = Int.random(in: -1..<farms.count, using: &rng)
            let actor = farm < 0 ? "HUB" : farms[farm].name
            let code = farm < 0 ? items.randomElement(using: &rng)!.code : farms[farm].products.randomElement(using: &rng)!
            return edit(actor: actor, code: code, field: randomField(using: &rng), date: date, using: &rng)
        }
    }

    /// Two or three actors editing the same field of one product on the same day.
    mutating func concurrentGroup<R: RandomNumberGenerator>(date: String, farms: [FarmState], using rng: inout R) -> [CatalogWrite] {
        let code = items.randomElement(using: &rng)!.code
        let field = randomField(using: &rng)
        let actors = (["HUB"] + farms.map(\.name)).shuffled(using: &rng).prefix(Int.random(in: 2...3, using: &rng))
        let before = product(code)!
        let writes = actors.map { actor in
            var write = edit(actor: actor, code: code, field: field, date: date, using: &rng)
            // Concurrent writers of `active` all flip it the same way, as in the format.
            if field == "active" { write.fields = [("active", .bool(!before.active))] }
            return write
        }
        if field == "active", let index = Int(code.dropFirst()) { items[index].active = !before.active }
        return writes
    }

    private func randomField<R: RandomNumberGenerator>(using rng: inout R) -> String {
        switch Int.random(in: 0..<20, using: &rng) {
        case 0..<14: "price"
        case 14..<17: "name"
        default: "active"
        }
    }

    private mutating func edit<R: RandomNumberGenerator>(actor: String, code: String, field: String, date: String, using rng: inout R) -> CatalogWrite {
        let index = Int(code.dropFirst())!
        let value: WorkloadValue
        switch field {
        case "price":
            items[index].price = max(1, items[index].price * Int64.random(in: 90...115, using: &rng) / 100)
            value = .int(items[index].price)
        case "name":
            items[index].name = "\(items[index].base) \(Self.varieties.randomElement(using: &rng)!)"
            value = .string(items[index].name)
        default:
            items[index].active.toggle()
            value = .bool(items[index].active)
        }
        return CatalogWrite(actor: actor, date: date, product: code, fields: [(field, value)])
    }
}
