import CarnetCore
import CarnetLedger

/// Checks that what an entry names exists on this node before it is written, and says
/// which command creates it when it does not. A typo caught here would otherwise become a
/// phantom producer, product or lot in every node's ledger, forever (entries are never
/// edited). `--force` skips the existence checks for names made on another node that has
/// not synced here yet.
struct ReferenceCheck {
    let catalog: Catalog
    /// Every entry, built on first use; nil for a writer that has no replica
    /// (`EntryAppender`): a check that needs the entries then throws `NeedsEntries`.
    private let entries: (() -> LedgerState)?
    let force: Bool
    /// The lots and their products from the views file, when it is current
    /// (`LedgerViews.lotProducts`): a lot made of the product named is known without
    /// reading every entry, which at a million entries took seconds and a gigabyte.
    var lots: [LotProducts]? = nil
    /// The entries carrying an id, from the entry index, for a writer without the entries
    /// (`EntryAppender`): the ids it looked up; any other throws `NeedsEntries`.
    var entriesByID: [String: [LedgerRecord]] = [:]

    /// A check needed the entries and this check has none: the caller opens the node and
    /// checks again.
    struct NeedsEntries: Error {}

    /// Checks from `ledger`'s catalog, and its entries where a check needs them.
    init(view ledger: LedgerView, force: Bool, lots: [LotProducts]? = nil) {
        catalog = ledger.catalog
        entries = { ledger.state }
        self.force = force
        self.lots = lots
    }

    /// Checks from the views alone (a writer without a replica).
    init(catalog: Catalog, lots: [LotProducts], force: Bool) {
        self.catalog = catalog
        entries = nil
        self.force = force
        self.lots = lots
    }

    private var state: LedgerState {
        get throws {
            guard let entries else { throw NeedsEntries() }
            return entries()
        }
    }

    /// The entries carrying `id`: from the state, or from those looked up in the index.
    private func records(withID id: String) throws -> [LedgerRecord] {
        guard entries == nil else { return try state.records(withID: id) }
        guard let found = entriesByID[id] else { throw NeedsEntries() }
        return found
    }

    private static let forceHint = " (or add --force if another node created it and has not synced yet)"

    /// The party an entry belongs to must trade (own stock and money); a harvest belongs
    /// to a farm, a production to a farm or a processor.
    func actor(_ id: String, for entry: EntryKind) throws {
        guard let party = catalog.party(id) else {
            guard !force else { return }
            throw CLIError.data("unknown party \"\(id)\" (--actor): create it with `carnet party set \(id) --name NAME --kind farm` "
                                + "(or hub, drive, wholesale, processor, shop)\(Self.forceHint)")
        }
        guard !force else { return }
        let kindText = party.text(PartyField.kind.rawValue)
        let allowed: [PartyKind] = switch entry {
        case .harvest: [.farm]
        case .production: [.farm, .processor]
        default: PartyKind.trading
        }
        guard let kind = kindText.flatMap(PartyKind.init(rawValue:)), allowed.contains(kind) else {
            let eligible = catalog.parties.filter { record in
                record.text(PartyField.kind.rawValue).flatMap(PartyKind.init(rawValue:)).map(allowed.contains) ?? false
            }.map(\.key.id)
            throw CLIError.data(Self.notAnActor(id, kind: kindText, entry: entry, allowed: allowed, eligible: eligible))
        }
    }

    /// Why a party cannot be this entry's actor, and what to do instead. An entry belongs
    /// to the party whose stock or money it moves: a canteen or a customer is the other
    /// side (`--to`, `--from`), so changing its kind is never the advice; naming the right
    /// party is. Only a party with no kind at all may be one whose kind was not written yet.
    static func notAnActor(_ id: String, kind: String?, entry: EntryKind, allowed: [PartyKind], eligible: [String]) -> String {
        let kinds = allowed.map(\.rawValue).joined(separator: ", ")
        let named = eligible.isEmpty ? "none is recorded yet: create one with `carnet party set ID --name NAME --kind \(allowed[0].rawValue)`"
            : "here: " + eligible.prefix(6).joined(separator: ", ") + (eligible.count > 6 ? ", …" : "")
        let what = entry == .harvest ? "a harvest belongs to a farm"
            : entry == .production ? "a production belongs to a farm or a processor"
            : "an entry belongs to a party that trades (\(kinds))"
        guard let kind else {
            return "\(id) has no kind, and \(what). If \(id) is one, say so with `carnet party set \(id) --name NAME --kind KIND`; "
                + "otherwise give the party the entry belongs to as --actor (\(named))"
        }
        return "\(id) is a \(kind), and \(what): \(id) is the other side of it (--to or --from \(id)). "
            + "Give the party whose stock or money it moves as --actor (\(named))"
    }

    /// A payment that names a sale must come from that sale's party, to that sale's actor.
    func payment(settling ref: String, from payer: String, actor: String) throws {
        guard !force else { return }
        for record in try records(withID: ref) {
            guard record.entry.kind == .sale else {
                throw CLIError.data("\(ref) is a \(record.entry.kind.rawValue), not a sale: a payment settles a sale\(Self.forceHint)")
            }
            if let buyer = record.entry.party, buyer != payer {
                throw CLIError.data("sale \(ref) was made to \(buyer), not \(payer): a payment comes from the sale's party "
                                    + "(use --from \(buyer), or add --force if \(payer) really paid for it)")
            }
            if record.entry.producer != actor {
                throw CLIError.data("sale \(ref) belongs to \(record.entry.producer), not \(actor): record the payment with --actor \(record.entry.producer)\(Self.forceHint)")
            }
        }
    }

    func product(_ sku: String, quantity: Quantity?) throws {
        guard catalog.product(sku) != nil else {
            guard !force else { return }
            let hint = Suggestion.closest(to: sku, among: catalog.products.map(\.key.id)).map { " Did you mean \($0)?" } ?? ""
            throw CLIError.data("unknown product \"\(sku)\": create it with `carnet product set \(sku) --name NAME --unit kg`\(Self.forceHint).\(hint)")
        }
        // Always checked, even with --force: a quantity in the wrong unit would corrupt stock.
        if let quantity, let unit = catalog.unit(of: sku), unit != quantity.unit {
            throw CLIError.data("\(sku) is counted in \(Self.unitNames(unit)); write the quantity in one of those units")
        }
    }

    func party(_ id: String, flag: String) throws {
        guard catalog.party(id) == nil, !force else { return }
        let hint = Suggestion.closest(to: id, among: catalog.parties.map(\.key.id)).map { " Did you mean \($0)?" } ?? ""
        throw CLIError.data("unknown party \"\(id)\" (\(flag)): create it with `carnet party set \(id) --name NAME --kind customer`\(Self.forceHint).\(hint)")
    }

    /// A lot a delivery, sale, loss or adjustment draws from must have been harvested or
    /// produced by the same producer, for the same product.
    func lot(_ lot: String, producer: String, product: String) throws {
        // The usual case from the views; an unknown lot, or one that holds other products,
        // from the entries, which say which entry made it (for the message).
        if let lots, let products = LotProducts.products(in: lots, producer: producer, lot: lot),
           products.count == 1, ExactString(products[0]) == ExactString(product) {
            return
        }
        let origin = try state.lotOrigins()[producer]?[lot]
        guard let origin else {
            guard !force else { return }
            throw CLIError.data("lot \"\(lot)\" of producer \(producer) is unknown: record its harvest first with `carnet record harvest --producer \(producer) --product \(product) --qty Q --lot \(lot)`\(Self.forceHint)")
        }
        guard origin.product == product || force else {
            throw CLIError.data("lot \(lot) of producer \(producer) holds \(origin.product) (entry \(origin.entry)), not \(product)")
        }
    }

    func entry(_ id: String, flag: String) throws {
        guard try records(withID: id).isEmpty, !force else { return }
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
