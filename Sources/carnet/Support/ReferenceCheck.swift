import CarnetLedger

/// Checks that what an entry names exists on this node before it is written, and says
/// which command creates it when it does not. A typo caught here would otherwise become a
/// phantom producer, product or lot in every node's ledger, forever (entries are never
/// edited). `--force` skips the existence checks for names made on another node that has
/// not synced here yet.
struct ReferenceCheck {
    let view: LedgerView
    let force: Bool

    private static let forceHint = " (or add --force if another node created it and has not synced yet)"

    func producer(_ id: String) throws {
        guard let party = view.catalog.party(id) else {
            guard !force else { return }
            throw CLIError.data("unknown producer \"\(id)\": create it with `carnet party set \(id) --name NAME --kind farm`\(Self.forceHint)")
        }
        let kind = party.text(PartyField.kind.rawValue) ?? "party"
        guard kind == "farm" || force else {
            throw CLIError.data("\(id) is a \(kind), not a farm: a producer is a party of kind farm (`carnet party set \(id) --name NAME --kind farm`)")
        }
    }

    func product(_ sku: String, quantity: Quantity?) throws {
        guard view.catalog.product(sku) != nil else {
            guard !force else { return }
            let hint = Suggestion.closest(to: sku, among: view.catalog.products.map(\.key.id)).map { " Did you mean \($0)?" } ?? ""
            throw CLIError.data("unknown product \"\(sku)\": create it with `carnet product set \(sku) --name NAME --unit kg`\(Self.forceHint).\(hint)")
        }
        // Always checked, even with --force: a quantity in the wrong unit would corrupt stock.
        if let quantity, let unit = view.catalog.unit(of: sku), unit != quantity.unit {
            throw CLIError.data("\(sku) is counted in \(Self.unitNames(unit)); write the quantity in one of those units")
        }
    }

    func party(_ id: String, flag: String) throws {
        guard view.catalog.party(id) == nil, !force else { return }
        let hint = Suggestion.closest(to: id, among: view.catalog.parties.map(\.key.id)).map { " Did you mean \($0)?" } ?? ""
        throw CLIError.data("unknown party \"\(id)\" (\(flag)): create it with `carnet party set \(id) --name NAME --kind customer`\(Self.forceHint).\(hint)")
    }

    /// A lot a delivery, sale, loss or adjustment draws from must have been harvested or
    /// produced by the same producer, for the same product.
    func lot(_ lot: String, producer: String, product: String) throws {
        let origin = view.state.lotOrigins()[producer]?[lot]
        guard let origin else {
            guard !force else { return }
            throw CLIError.data("lot \"\(lot)\" of producer \(producer) is unknown: record its harvest first with `carnet record harvest --producer \(producer) --product \(product) --qty Q --lot \(lot)`\(Self.forceHint)")
        }
        guard origin.product == product || force else {
            throw CLIError.data("lot \(lot) of producer \(producer) holds \(origin.product) (entry \(origin.entry)), not \(product)")
        }
    }

    func entry(_ id: String, flag: String) throws {
        guard view.state.records(withID: id).isEmpty, !force else { return }
        throw CLIError.data("unknown entry \"\(id)\" (\(flag)): see `carnet log` for entry ids\(Self.forceHint)")
    }

    static func unitNames(_ unit: QuantityUnit) -> String {
        switch unit {
        case .grams: "kg or g"
        case .millilitres: "l, cl or ml"
        case .pieces: "pieces (e.g. 12piece)"
        }
    }
}
