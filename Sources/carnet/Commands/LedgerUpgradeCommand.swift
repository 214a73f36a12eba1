import CarnetCore
import CarnetLedger
import CarnetNode
import CarnetSystem

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
        var directory = context.directory
        while directory.count > 1, directory.hasSuffix("/") { directory.removeLast() }
        let staging = directory + ".upgrading"
        let archive = directory + ".format-1"
        // Serve appends to the log this command is about to replace: not beside it.
        let lock = try ServeLock(directory: directory, command: "ledger upgrade")
        defer { lock.release() }
        let old = try StoreAccess.open(context)
        guard old.ledgerID == nil else {
            throw CLIError(.failure, "\(directory) already belongs to a signed ledger (id \(old.ledgerID!.hex)): there is nothing to upgrade")
        }
        for path in [staging, archive] where Directory.exists(path) {
            throw CLIError(.cannotCreate, "\(path) exists (left by an earlier upgrade?): move it away, then run the upgrade again")
        }
        let secret = try LedgerSecret.load(directory: directory)
        let history = old.replica.history
        let legacy = history.nodeIDs

        var generator = SystemRandomNumberGenerator()
        let device = DeviceSigner.generate(using: &generator)
        let salt = DeviceSigner.randomSalt(using: &generator)
        let id = LedgerID.derived(creator: device.nodeKey.publicKey, salt: salt)
        let creator = LedgerCreator(publicKey: device.nodeKey.publicKey, salt: salt, ledger: id)!
        let file = LedgerFile(name: old.ledger, id: id, secret: secret, creator: creator)
        let label = label ?? (old.label.isEmpty ? "creator" : old.label)
        try file.create(at: out)

        // The new node is built beside the old one and takes its place only once complete:
        // an interruption leaves the format-1 node as it was.
        try UserFiles.createDirectory(staging)
        try secret.save(directory: staging)
        try LocalNode.createSigned(directory: staging, ledger: file.name, ledgerID: id, label: label,
                                   wallMillis: context.wallMillis(), device: device, creator: creator)
        var node = try LocalNode(directory: staging, wallMillis: context.wallMillis(), freshNodeID: Context.randomNodeID)
        var adopted = 0
        for batch in FormatOneAdoption.batches(of: history, nodes: legacy, by: device, ledger: id) {
            adopted += try node.persist(batch).accepted
        }
        let tips = FormatOneAdoption.tips(of: history, nodes: legacy)
            .map { MemberCut(node: $0.dot.node, seq: $0.dot.seq, head: $0.hash) }
        var genesis: [CarnetCore.Operation] = [
            .assign(Assignment(key: NodeLabels.key(device.node), value: .text(label))),
            .assign(Assignment(key: LedgerGenesis.nameKey(id), value: .text(file.name))),
            .assign(Assignment(key: LedgerGenesis.genesisKey(id), value: .text(creator.text))),
        ]
        if !tips.isEmpty {
            genesis.append(.assign(Assignment(key: LedgerGenesis.adoptedKey(id), value: .text(LedgerGenesis.adoptedText(tips)))))
        }
        try node.write(genesis, wallMillis: context.wallMillis())
        for warning in node.saveDerivedState() { context.output.warn(warning) }

        do {
            try Directory.rename(directory, to: archive)
            try Directory.rename(staging, to: directory)
            try Directory.sync(Self.parent(of: directory))
        } catch {
            throw CLIError(.ioError, """
                the new node is complete in \(staging) but could not take the place of \(directory) (\(error)); \
                the format-1 node is \(Directory.exists(archive) ? archive : directory): move the directories by hand
                """)
        }
        context.output.line("upgraded ledger \(file.name) to a signed ledger with members (id \(id.hex)); this device \(device.node.hex) (\(label)) is its creator and first administrator")
        if history.pendingCount > 0 {
            // Events whose predecessor never arrived lie on no chain a head could cover.
            context.output.warn("\(history.pendingCount) events waiting for an earlier event of their node were not adopted; they stay in \(archive)")
        }
        context.output.line("adopted \(adopted) events of \(legacy.count) format-1 nodes (\(tips.count) branch tips signed over); the format-1 node is kept in \(archive)")
        context.output.line("wrote the ledger file \(out) (mode 0600): on each farm, `carnet init --ledger-file FILE --label LABEL` in a new directory, sync with this node, and enrol it here (`carnet member add NODE --role producer:PARTY`)")
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
