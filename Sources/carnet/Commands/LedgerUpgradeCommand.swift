import CarnetCore
import CarnetLedger
import CarnetNode

/// `carnet ledger upgrade --out FILE [--label LABEL]`: on the node that holds a format-1
/// ledger's whole history (the hub), makes it a signed ledger with members whose creator
/// adopts that history by signing over its heads once (SPEC 9.7).
struct LedgerUpgradeCommand: Command {
    static let spec = CommandSpec(
        path: ["ledger", "upgrade"],
        summary: "make this format-1 node's ledger a signed one with members, adopting its whole history; writes the new ledger file",
        options: [
            .value("--out", "FILE", "where to write the new ledger file (created, mode 0600; never replaced)", required: true),
            .value("--label", "LABEL", "this device's name for people (default: the node's label)"),
        ],
        discussion: """
        Run it on the node that holds everything (the hub), after every farm synced with it.
        This device becomes the signed ledger's creator and first administrator: it makes
        its signing key, a new ledger id derived from that key, and signs over the head of
        every chain of the format-1 history it holds, so that every node of the new ledger
        stores and forwards that history as vouched for, and counts it whoever wrote it.
        The secret stays the same; the ledger id changes, so format-1 nodes can no longer
        sync with this one.

        The format-1 directory is kept, untouched, beside the new one as DIR.format-1. Each
        farm then starts a node of the new ledger (`carnet init --ledger-file FILE`) in a new
        directory, syncs it with this one (it receives the adopted history), and is enrolled
        here (`carnet member add`). What a farm wrote after its last sync with the format-1
        hub is not adopted: sync every farm first. Refused while `carnet serve` runs here.
        """,
        examples: ["carnet ledger upgrade --dir ~/carnet --out coop-vallee.ledger"]
    )

    var out: String
    var label: String?

    init(_ invocation: Invocation) throws {
        out = try invocation.required("--out")
        label = try invocation.nonEmpty("--label")
        if let label, label.contains("\n") || label.contains("\r") { throw CLIError.usage("--label cannot contain a line break") }
    }

    func run(in context: Context) throws {
        let directory = context.directory
        // Serve appends to the log this command is about to replace: not beside it.
        let lock = try ServeLock(directory: directory, command: "ledger upgrade")
        defer { lock.release() }
        let old = try StoreAccess.open(context)
        guard old.ledgerID == nil else {
            throw CLIError(.failure, "\(directory) already belongs to a signed ledger (id \(old.ledgerID!.hex)): there is nothing to upgrade")
        }
        try FormatOneUpgrade.refuseLeftovers(of: directory)
        let secret = try LedgerSecret.load(directory: directory)
        let history = old.replica.history

        var generator = SystemRandomNumberGenerator()
        let device = DeviceSigner.generate(using: &generator)
        let salt = DeviceSigner.randomSalt(using: &generator)
        let id = LedgerID.derived(creator: device.nodeKey.publicKey, salt: salt)
        let file = LedgerFile(name: old.ledger, id: id, secret: secret,
                              creator: LedgerCreator(publicKey: device.nodeKey.publicKey, salt: salt, ledger: id))
        let label = label ?? (old.label.isEmpty ? "creator" : old.label)
        try file.create(at: out)
        let outcome = try FormatOneUpgrade.run(history: history, directory: directory, file: file, device: device, label: label,
                                               wallMillis: context.wallMillis, freshNodeID: Context.randomNodeID)
        for warning in outcome.warnings { context.output.warn(warning) }
        context.output.line("upgraded ledger \(file.name) to a signed ledger with members (id \(id.hex)); this device \(device.node.hex) (\(label)) is its creator and first administrator")
        if history.pendingCount > 0 {
            // Events whose predecessor never arrived lie on no chain a head could cover.
            context.output.warn("\(history.pendingCount) events waiting for an earlier event of their node were not adopted; they stay in \(outcome.archive)")
        }
        context.output.line("adopted \(outcome.adopted) events of \(outcome.nodes) format-1 nodes (\(outcome.tips) branch tips signed over); the format-1 node is kept in \(outcome.archive)")
        context.output.line("wrote the ledger file \(out) (mode 0600): on each farm, `carnet init --ledger-file FILE --label LABEL` in a new directory, sync with this node, and enrol it here (`carnet member add NODE --role producer:PARTY`)")
    }
}
