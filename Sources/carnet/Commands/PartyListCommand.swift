import CarnetLedger

/// `carnet party list [--json]`.
struct PartyListCommand: Command {
    static let spec = CommandSpec(
        path: ["party", "list"], summary: "the parties: farms, the hub, customers, suppliers",
        options: [.json],
        discussion: "JSON: an array of {id, name, kind, territory, trades, conflictingFields}; trades is true for the kinds that own stock and money.",
        examples: ["carnet party list --json"]
    )

    var json: Bool

    init(_ invocation: Invocation) throws {
        json = invocation.flag("--json")
    }

    func run(in context: Context) throws {
        let views = try ViewsAccess.read(context, parts: [.catalog])
        let parties = views.catalog.parties
        if json {
            context.output.json(.array(parties.map { party in
                .object([
                    "id": .string(party.key.id),
                    "name": .optional(party.text("name")),
                    "kind": .optional(party.text("kind")),
                    "territory": .optional(party.text(PartyField.territory.rawValue)),
                    "trades": .bool(party.text("kind").flatMap(PartyKind.init(rawValue:))?.trades ?? false),
                    "conflictingFields": .array(party.conflictedFields.map(JSON.string)),
                ])
            }))
            return
        }
        guard !parties.isEmpty else {
            context.output.line("no parties yet; add one with `carnet party set ID --name N --kind farm`")
            return
        }
        var table = Table([("id", .left), ("name", .left), ("kind", .left), ("territory", .left)])
        for party in parties {
            let mark = party.conflictedFields.isEmpty ? "" : " *"
            table.add([party.key.id, (party.text("name") ?? "") + mark, party.text("kind") ?? "",
                       party.text(PartyField.territory.rawValue) ?? ""])
        }
        table.print(context.output)
    }
}
