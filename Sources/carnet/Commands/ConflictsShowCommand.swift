import CarnetLedger

/// `carnet conflicts show ID [--json]`: one conflict.
struct ConflictsShowCommand: Command {
    static let spec = CommandSpec(
        path: ["conflicts", "show"], summary: "one open conflict with all its sides",
        arguments: [ArgumentSpec(name: "ID", help: "a conflict id from `carnet conflicts` (a unique prefix is enough)")],
        options: [.json],
        discussion: "JSON: one object as in `carnet conflicts --json`.",
        examples: ["carnet conflicts show 3f9a0c21b4"]
    )

    var id: String
    var json: Bool

    init(_ invocation: Invocation) throws {
        id = invocation.arguments[0]
        json = invocation.flag("--json")
    }

    func run(in context: Context) throws {
        let views = try ViewsAccess.read(context, parts: [.conflicts, .catalog, .labels])
        let report = try ConflictForms.find(id, in: views.conflicts)
        if json {
            context.output.json(ConflictForms.json(report, views: views))
        } else {
            ConflictForms.print(report, views: views, output: context.output)
        }
    }
}
