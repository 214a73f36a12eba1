import CarnetCore
import CarnetLedger
import CarnetNode

/// `carnet ledger create --ledger NAME --label LABEL --out FILE`: starts a signed ledger
/// with this device as its first administrator.
struct LedgerCreateCommand: Command {
    static let spec = CommandSpec(
        path: ["ledger", "create"],
        summary: "start a signed ledger with this device as its first administrator; writes the ledger file members need",
        options: [
            .value("--ledger", "NAME", "the ledger's name, for people", required: true),
            .value("--label", "LABEL", "this device's name for people, e.g. \"hub-tiers-lieu\"", required: true),
            .value("--out", "FILE", "where to write the ledger file (created, mode 0600; never replaced)", required: true),
        ],
        discussion: """
        Makes a random ledger id and secret, and this device's signing key (it stays in the
        data directory, mode 0600, and never travels). The node's id is derived from that key,
        so no one can write under it without the key; every commit it writes is signed, and
        every node of the ledger stores only what its author signed. The first events of the
        ledger name it and this device as the one that created it.

        Give the ledger file to each member's device (on a stick, by hand) and run
        `carnet init --ledger-file FILE --label LABEL` there. It holds the secret: keep it as
        you would a key. Then enrol each device with its roles (`carnet member add`): until
        then what it writes is held aside on every node. This device is the ledger's first
        administrator, with every role.
        """,
        examples: ["carnet ledger create --dir ~/carnet --ledger coop-vallee --label hub --out coop-vallee.ledger"]
    )

    var ledger: String
    var label: String
    var out: String

    init(_ invocation: Invocation) throws {
        ledger = try invocation.nonEmpty("--ledger")!
        label = try invocation.nonEmpty("--label")!
        out = try invocation.required("--out")
        for (name, text) in [("--ledger", ledger), ("--label", label)] where text.contains("\n") || text.contains("\r") {
            throw CLIError.usage("\(name) cannot contain a line break")
        }
    }

    func run(in context: Context) throws {
        let directory = context.directory
        try InitCommand.refuseExistingNode(directory)
        var generator = SystemRandomNumberGenerator()
        // The ledger id derives from this device's key and a salt, and the genesis states
        // both: every node can check that this device, and no other, created the ledger.
        let device = DeviceSigner.generate(using: &generator)
        let salt = DeviceSigner.randomSalt(using: &generator)
        let id = LedgerID.derived(creator: device.nodeKey.publicKey, salt: salt)
        let file = LedgerFile(name: ledger, id: id, secret: LedgerSecret.generate(),
                              creator: LedgerCreator(publicKey: device.nodeKey.publicKey, salt: salt, ledger: id))
        // The file first: without it no other device could ever join, so a node must not
        // exist without it.
        try file.create(at: out)
        let node = try InitCommand.createSignedNode(in: context, file: file, label: label, device: device) { _ in
            LedgerGenesis.operations(ledger: file.id, name: file.name, creator: device.nodeKey.publicKey, salt: salt)
        }
        context.output.line("created ledger \(ledger) (id \(file.id.hex)) and its first node \(node.hex) (\(label)) in \(directory)")
        context.output.line("wrote the ledger file \(out) (mode 0600): give it to each member's device and run `carnet init --ledger-file FILE --label LABEL` there")
        context.output.line("then enrol each device here with the node id it prints: `carnet member add NODE --role producer:PARTY` (this device has every role)")
    }
}
