import CarnetCore
import CarnetLedger
import CarnetNode

/// `carnet init --ledger-file FILE --label LABEL` (a signed ledger), or
/// `carnet init --ledger NAME --label LABEL --secret-file FILE` (format 1): creates this node.
struct InitCommand: Command {
    static let spec = CommandSpec(
        path: ["init"], summary: "create the node in the data directory; refuses to overwrite an existing one",
        options: [
            .value("--ledger-file", "FILE", "the ledger file of a signed ledger (from `carnet ledger create`)"),
            .value("--label", "LABEL", "this node's name for people, e.g. \"col-laptop\"", required: true),
            .value("--ledger", "NAME", "format 1: the ledger's name, the same on every node"),
            .value("--secret-file", "FILE", "format 1: the ledger secret (from `carnet secret new`)"),
        ],
        discussion: """
        With --ledger-file, the node joins a signed ledger: it makes this device's signing key
        (kept in the directory, mode 0600; it never travels), derives its node id from it,
        and signs every commit. The ledger's secret and id are copied from the file.

        With --ledger and --secret-file, the node joins a format-1 ledger (no signatures):
        the spelling of earlier versions, kept working.

        The node's label is recorded in the ledger, so other nodes can name it in conflicts.
        """,
        examples: ["carnet init --dir ~/carnet --ledger-file coop-vallee.ledger --label col-laptop",
                   "carnet init --dir ~/carnet --ledger coop-vallee --label col-laptop --secret-file ledger.secret"]
    )

    enum Source {
        case ledgerFile(String)
        case formatOne(ledger: String, secretFile: String)
    }

    var source: Source
    var label: String

    init(_ invocation: Invocation) throws {
        label = try invocation.nonEmpty("--label")!
        let ledgerFile = invocation.value("--ledger-file")
        let ledger = try invocation.nonEmpty("--ledger")
        let secretFile = invocation.value("--secret-file")
        switch (ledgerFile, ledger, secretFile) {
        case let (file?, nil, nil):
            source = .ledgerFile(file)
        case let (nil, ledger?, secretFile?):
            source = .formatOne(ledger: ledger, secretFile: secretFile)
        case (_?, _, _):
            throw CLIError.usage("--ledger-file carries the ledger's name and secret: give it alone, without --ledger or --secret-file")
        default:
            throw CLIError.usage("give --ledger-file FILE (a signed ledger), or --ledger NAME with --secret-file FILE (format 1)")
        }
        for (name, text) in [("--ledger", ledger ?? ""), ("--label", label)] where text.contains("\n") || text.contains("\r") {
            throw CLIError.usage("\(name) cannot contain a line break")
        }
    }

    func run(in context: Context) throws {
        let directory = context.directory
        switch source {
        case let .ledgerFile(path):
            let file = try LedgerFile.load(file: path)
            try Self.refuseExistingNode(directory)
            let node = try Self.createSignedNode(in: context, file: file, label: label) { _ in [] }
            context.output.line("created node \(node.hex) (\(label)) of signed ledger \(file.name) (id \(file.id.hex)) in \(directory)")
            context.output.line("it can write at once; what it writes counts once an administrator enrols it: "
                + "`carnet member add \(node.hex) --role producer:PARTY` (give them this node id)")
        case let .formatOne(ledger, secretFile):
            let secret = try LedgerSecret.load(file: secretFile)
            try Self.refuseExistingNode(directory)
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

    static func refuseExistingNode(_ directory: String) throws {
        if NodeDirectory.holdsNode(directory) {
            let existing = (try? NodeDirectory.identity(of: directory)).map { " (ledger \($0.ledger), label \($0.label))" } ?? ""
            throw CLIError(.cannotCreate, "\(directory) already holds a Carnet node\(existing); refusing to overwrite it (use another --dir)")
        }
    }

    /// Makes a node of the signed ledger `file` in the data directory: the secret, the
    /// device key, the node (its first event declares the key), then one signed commit of
    /// its label and whatever `more` adds. Returns the node id.
    static func createSignedNode(in context: Context, file: LedgerFile, label: String, device: DeviceSigner? = nil,
                                 more: (NodeID) -> [CarnetCore.Operation]) throws -> NodeID {
        let directory = context.directory
        try UserFiles.createDirectory(directory)
        try file.secret.save(directory: directory)
        let device = try LocalNode.createSigned(directory: directory, ledger: file.name, ledgerID: file.id,
                                                label: label, wallMillis: context.wallMillis(), device: device,
                                                creator: file.creator)
        var store = try StoreAccess.open(context)
        try store.write([.assign(Assignment(key: NodeLabels.key(device.node), value: .text(label)))] + more(device.node),
                        wallMillis: context.wallMillis())
        StoreAccess.afterAppend(&store, context: context)
        return device.node
    }
}
