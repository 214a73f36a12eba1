import CarnetCore
import CarnetNode

/// `carnet merge OTHER_DIR`: takes every event of another node directory of the same
/// ledger (a colleague's USB stick, a restored backup).
struct MergeCommand: Command {
    static let spec = CommandSpec(
        path: ["merge"], summary: "take every event of another node directory of the same ledger",
        arguments: [ArgumentSpec(name: "OTHER_DIR", help: "the other node's data directory")],
        options: [.json],
        discussion: """
        The other directory is only read, never written: nothing there is cut, locked or created,
        and it may be read-only. An unfinished write at the end of its log is left out and
        reported. Refuses another ledger's directory, and an events.log that is a symbolic link.
        JSON: {added, duplicates, pending, rejected, from, ledger}.
        """,
        examples: ["carnet merge /media/usb/carnet-chevrerie"]
    )

    var other: String
    var json: Bool

    init(_ invocation: Invocation) throws {
        other = invocation.arguments[0]
        while other.count > 1, other.hasSuffix("/") { other.removeLast() }
        json = invocation.flag("--json")
    }

    func run(in context: Context) throws {
        guard NodeDirectory.holdsNode(other) else {
            throw CLIError(.noInput, "\(other) holds no Carnet node (no `node` file)")
        }
        let theirs = try NodeDirectory.identity(of: other)
        var store = try StoreAccess.open(context)
        guard theirs.ledger == store.ledger else {
            throw CLIError.data("\(other) is a node of ledger \"\(theirs.ledger)\", not of this node's ledger \"\(store.ledger)\"; nothing was merged")
        }
        if UserFiles.sameDirectory(context.directory, other) {
            throw CLIError.usage("\(other) is this node's own directory")
        }
        let log = try NodeDirectory.events(of: other)
        if let unread = log.unread { context.output.warn(unread) }
        let summary = try store.persist(SignedEvents(events: log.events, heads: log.heads))
        if summary.accepted + summary.pending > 0 { StoreAccess.afterAppend(&store, context: context) }
        ReceiveReport(summary: summary, source: "\(other) (\(theirs.label), \(theirs.node.short))", ledger: theirs.ledger)
            .show(json: json, context.output)
    }
}
