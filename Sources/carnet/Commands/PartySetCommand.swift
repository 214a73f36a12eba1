import CarnetCore
import CarnetLedger

/// `carnet party set ID --name N [--kind K] [--territory T]`: farms, the hub, canteens,
/// shops, customers.
struct PartySetCommand: Command {
    static let kinds = PartyKind.writable.map(\.rawValue)

    static let spec = CommandSpec(
        path: ["party", "set"], summary: "create or edit a party: a farm, the hub, a canteen, a shop, a customer",
        arguments: [ArgumentSpec(name: "ID", help: "the party's code, e.g. col or cantine-jaures", identifier: true)],
        options: [
            .value("--name", "N", "the name people read", required: true),
            .value("--kind", "K", "one of \(kinds.joined(separator: ", ")) (a new party defaults to customer)"),
            .value("--territory", "T", "where it is: a commune or an EPCI, e.g. \"CC du Val\" or \"Métropole\""),
        ],
        discussion: """
        Trading kinds (farm, hub, drive, wholesale, processor, shop) own stock and money: an
        entry's --actor names one. Canteens are public or private: the EGalim report is
        about them. The territory groups flows (the rural territory, the metropolis).
        """,
        examples: ["carnet party set col --name \"Ferme du Col\" --kind farm --territory \"CC du Val\"",
                   "carnet party set cantine-jaures --name \"Cantine Jaurès\" --kind canteen-public"]
    )

    var id: String
    var name: String
    var kind: String?
    var territory: String?

    init(_ invocation: Invocation) throws {
        id = invocation.arguments[0]
        guard !id.trimmingSpaces.isEmpty, !id.contains("/") else { throw CLIError.usage("a party ID must not be empty or contain \"/\"") }
        name = try invocation.nonEmpty("--name")!
        if let kind = invocation.value("--kind") {
            guard Self.kinds.contains(kind) else {
                let hint = Suggestion.closest(to: kind, among: Self.kinds).map { "; did you mean \($0)?" } ?? ""
                throw CLIError.usage("--kind \(kind) is not a kind of party (\(Self.kinds.joined(separator: ", ")))\(hint)")
            }
            self.kind = kind
        }
        territory = try invocation.nonEmpty("--territory")
    }

    func run(in context: Context) throws {
        var store = try StoreAccess.openAddingToViewsFile(context)
        try RoleCheck.require(.catalog, store: store, context: context)
        let existing = Catalog(replica: store.replica).party(id)
        var operations = [CatalogWrites.assignment(Catalog.partyKey(id, .name), .text(name), replica: store.replica)]
        if let kind = kind ?? (existing?.text("kind") == nil ? "customer" : nil) {
            operations.append(CatalogWrites.assignment(Catalog.partyKey(id, .kind), .text(kind), replica: store.replica))
        }
        if let territory {
            operations.append(CatalogWrites.assignment(Catalog.partyKey(id, .territory), .text(territory), replica: store.replica))
        }
        try store.write(operations, wallMillis: context.wallMillis())
        StoreAccess.afterAppend(&store, context: context)
        let shownKind = kind ?? existing?.text("kind") ?? "customer"
        context.output.line("\(existing == nil ? "created" : "updated") party \(id) (\(name), \(shownKind))")
    }
}
