import CarnetCore
import CarnetLedger

/// `carnet party set ID --name N [--kind K]`: farms, the hub, canteens, shops, customers.
struct PartySetCommand: Command {
    static let kinds = ["farm", "hub", "canteen", "shop", "restaurant", "market", "customer", "supplier"]

    static let spec = CommandSpec(
        path: ["party", "set"], summary: "create or edit a party: a farm, the hub, a canteen, a shop, a customer",
        arguments: [ArgumentSpec(name: "ID", help: "the party's code, e.g. col or cantine-jaures")],
        options: [
            .value("--name", "N", "the name people read", required: true),
            .value("--kind", "K", "one of \(kinds.joined(separator: ", ")) (a new party defaults to customer)"),
        ],
        discussion: "Producers are parties of kind farm: `record --producer` names one.",
        examples: ["carnet party set col --name \"Ferme du Col\" --kind farm",
                   "carnet party set cantine-jaures --name \"Cantine Jaurès\" --kind canteen"]
    )

    var id: String
    var name: String
    var kind: String?

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
    }

    func run(in context: Context) throws {
        var store = try StoreAccess.open(context)
        let existing = Catalog(replica: store.replica).party(id)
        var operations = [CatalogWrites.assignment(Catalog.partyKey(id, .name), .text(name), replica: store.replica)]
        if let kind = kind ?? (existing?.text("kind") == nil ? "customer" : nil) {
            operations.append(CatalogWrites.assignment(Catalog.partyKey(id, .kind), .text(kind), replica: store.replica))
        }
        try store.write(operations, wallMillis: context.wallMillis())
        StoreAccess.afterAppend(&store, context: context)
        let shownKind = kind ?? existing?.text("kind") ?? "customer"
        context.output.line("\(existing == nil ? "created" : "updated") party \(id) (\(name), \(shownKind))")
    }
}
