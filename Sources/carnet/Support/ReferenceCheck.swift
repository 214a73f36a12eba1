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
        let kind = party.text(PartyField.kind.rawValue)
        guard kind != "farm", !force else { return }
        throw CLIError.data(Self.notAFarm(id, kind: kind, farms: view.catalog.parties.filter { $0.text(PartyField.kind.rawValue) == "farm" }
            .map(\.key.id)))
    }

    /// Why a party that is not a farm cannot be an entry's producer, and what to do
    /// instead. Entries belong to the farm whose stock or money they move: a hub, a
    /// canteen or a customer is the other side (`--to`, `--from`), so turning it into a
    /// farm is never the advice; naming a farm is. Only a party with no kind at all may
    /// be a farm whose kind was not written yet.
    static func notAFarm(_ id: String, kind: String?, farms: [String]) -> String {
        let named = farms.isEmpty ? "no farm is recorded yet: create it with `carnet party set FARM --name NAME --kind farm`"
            : "the farms here: " + farms.prefix(6).joined(separator: ", ") + (farms.count > 6 ? ", …" : "")
        guard let kind else {
            return "\(id) has no kind, so it is not a farm: every entry belongs to a farm (its --producer). If \(id) is one, "
                + "say so with `carnet party set \(id) --name NAME --kind farm`; otherwise give the farm the entry belongs to (\(named))"
        }
        return "\(id) is a \(kind), not a farm: every entry belongs to the farm whose stock or money it moves, and a "
            + "\(kind) is the other side of it (--to or --from \(id)). Give that farm as --producer (\(named))"
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
