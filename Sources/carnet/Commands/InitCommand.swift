import CarnetCore
import CarnetLedger
import CarnetNode

/// `carnet init --ledger NAME --label LABEL --secret-file FILE`: creates this node.
struct InitCommand: Command {
    static let spec = CommandSpec(
        path: ["init"], summary: "create the node in the data directory; refuses to overwrite an existing one",
        options: [
            .value("--ledger", "NAME", "the ledger's name, the same on every node", required: true),
            .value("--label", "LABEL", "this node's name for people, e.g. \"col-laptop\"", required: true),
            .value("--secret-file", "FILE", "the ledger secret (from `carnet secret new`)", required: true),
        ],
        discussion: """
        The node gets a fresh random id. The secret is copied into the directory (mode 0600).
        The node's label is recorded in the ledger, so other nodes can name it in conflicts.
        """,
        examples: ["carnet init --dir ~/carnet --ledger coop-vallee --label col-laptop --secret-file ledger.secret"]
    )

    var ledger: String
    var label: String
    var secretFile: String

    init(_ invocation: Invocation) throws {
        ledger = try invocation.nonEmpty("--ledger")!
        label = try invocation.nonEmpty("--label")!
        secretFile = try invocation.required("--secret-file")
        for (name, text) in [("--ledger", ledger), ("--label", label)] where text.contains("\n") || text.contains("\r") {
            throw CLIError.usage("\(name) cannot contain a line break")
        }
    }

    func run(in context: Context) throws {
        let directory = context.directory
        let secret = try LedgerSecret.load(file: secretFile)
        if NodeDirectory.holdsNode(directory) {
            let existing = (try? NodeDirectory.identity(of: directory)).map { " (ledger \($0.ledger), label \($0.label))" } ?? ""
            throw CLIError(.cannotCreate, "\(directory) already holds a Carnet node\(existing); refusing to overwrite it (use another --dir)")
        }
        try UserFiles.createDirectory(directory)
        try Files.replace(directory + "/" + LedgerSecret.fileName, Array(secret.text.utf8))
        try LocalNode.create(directory: directory, ledger: ledger, label: label, node: Context.randomNodeID())
        var store = try StoreAccess.open(context)
        try store.write([.assign(Assignment(key: NodeLabels.key(store.node), value: .text(label)))],
                        wallMillis: context.wallMillis())
        StoreAccess.afterAppend(&store, context: context)
        context.output.line("created node \(store.node.hex) (\(label)) of ledger \(ledger) in \(directory)")
    }
}
