import CarnetCore
import CarnetLedger
import CarnetNode

/// `carnet merge OTHER_DIR...`: takes every event of other node directories of the same
/// ledger (a colleague's USB stick, a restored backup, twenty farms' sticks at the hub).
struct MergeCommand: Command {
    static let spec = CommandSpec(
        path: ["merge"], summary: "take every event of other node directories of the same ledger",
        arguments: [ArgumentSpec(name: "OTHER_DIR", help: "another node's data directory; several may be given", repeats: true)],
        options: [.json],
        discussion: """
        The other directories are only read, never written: nothing there is cut, locked or
        created, and they may be read-only. An unfinished write at the end of a log is left out
        and reported. Refuses another ledger's directory, and an events.log that is a symbolic
        link. JSON: {added, duplicates, pending, rejected, from, ledger}.

        Several directories: this node is opened once and its status, views and entry index
        are written once at the end (a large hub pays that once, not once per farm). Each
        directory is taken in turn as if it were the only one, with the same checks, and is
        stored as its own record. One that is refused is named on stderr and the others are
        still taken; what was taken stays. The run then exits with the status of the first
        refused directory, naming them all. JSON: an array, one object per directory in the
        order given: {added, duplicates, pending, rejected, from, ledger} when taken,
        {from, error, status} when not.
        """,
        examples: ["carnet merge /media/usb/carnet-chevrerie",
                   "carnet merge /media/usb1/carnet /media/usb2/carnet --json"]
    )

    var others: [String]
    var json: Bool

    init(_ invocation: Invocation) throws {
        others = invocation.arguments.map { argument in
            var other = argument
            while other.count > 1, other.hasSuffix("/") { other.removeLast() }
            return other
        }
        json = invocation.flag("--json")
    }

    func run(in context: Context) throws {
        // This node's ledger, read from its `node` file alone: a source of another ledger is
        // refused before the node is opened (at 10M events, 20 s and 8 GB for a refusal).
        // Unreadable here, the opening says why, and `take` checks the ledger again.
        let ownLedger = try? NodeDirectory.identity(of: context.directory).ledger
        try SourcesRun(sources: others, json: json, plural: "directories").run(in: context, prepare: { other in
            guard NodeDirectory.holdsNode(other) else {
                throw CLIError(.noInput, "\(other) holds no Carnet node (no `node` file)")
            }
            let identity = try NodeDirectory.identity(of: other)
            if let ownLedger, identity.ledger != ownLedger {
                throw Self.foreignLedger(other, theirs: identity.ledger, ours: ownLedger)
            }
            if UserFiles.sameDirectory(context.directory, other) {
                throw CLIError.usage("\(other) is this node's own directory")
            }
            // Read here, once, whichever way the events are then taken in.
            let log = try NodeDirectory.events(of: other)
            if let unread = log.unread { context.output.warn(unread) }
            return Other(ledger: identity.ledger, label: identity.label, node: identity.node, log: log)
        }, part: { theirs in
            // What its entries name: the appender reads only those lines of the views.
            ViewsPart(entries: theirs.log.events.compactMap { LedgerRecord(reading: $0)?.entry })
        }, writers: { theirs in
            Set(theirs.log.events.map(\.dot.node))
        }, takeAppending: { other, theirs, appender in
            guard theirs.ledger == appender.ledger else { throw Self.foreignLedger(other, theirs: theirs.ledger, ours: appender.ledger) }
            guard theirs.log.heads.isEmpty, let summary = try appender.take(theirs.log.events) else { return nil }
            return Self.report(summary, from: other, theirs)
        }, take: { other, theirs, store in
            try Self.take(other, identity: theirs, into: &store, context: context)
        })
    }

    private static func report(_ summary: AdmissionCounts, from other: String, _ theirs: Other) -> ReceiveReport {
        ReceiveReport(summary: summary, source: "\(other) (\(theirs.label), \(theirs.node.short))", ledger: theirs.ledger)
    }

    private static func foreignLedger(_ other: String, theirs: String, ours: String) -> CLIError {
        CLIError.data("\(other) is a node of ledger \"\(theirs)\", not of this node's ledger \"\(ours)\"; nothing was merged")
    }

    /// What is read of another directory before this node is opened.
    private struct Other {
        var ledger: String
        var label: String
        var node: NodeID
        /// Its events, read before this node is opened.
        var log: ForeignLog
    }

    /// One directory, as `merge` has always taken it.
    private static func take(_ other: String, identity theirs: Other, into store: inout LocalNode,
                             context: Context) throws -> ReceiveReport {
        guard theirs.ledger == store.ledger else { throw foreignLedger(other, theirs: theirs.ledger, ours: store.ledger) }
        let summary = try store.persist(SignedEvents(events: theirs.log.events, heads: theirs.log.heads))
        return report(summary, from: other, theirs)
    }
}
