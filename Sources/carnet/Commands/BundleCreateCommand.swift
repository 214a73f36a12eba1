import CarnetCore
import CarnetNode
import CarnetWire

/// `carnet bundle create FILE [--for NODE]`: events in a file, for a node out of reach.
struct BundleCreateCommand: Command {
    static let spec = CommandSpec(
        path: ["bundle", "create"], summary: "write events to a file (all, or what a known node lacks)",
        arguments: [ArgumentSpec(name: "FILE", help: "the bundle to write (replaced atomically if it exists)")],
        options: [
            .value("--for", "NODE", "only what NODE lacks, as far as this node knows (id, 8-digit prefix or label)"),
            .json,
        ],
        discussion: """
        What "NODE lacks" means, as far as this node can know: when this node has synced with
        NODE (dialing it, dialed by it, or in a live session of `serve`), what NODE was last
        shown to hold (peer-state: its summary with every event it acknowledged or sent since,
        kept current while a live session runs) is used: every event NODE lacked then or that
        this node learned since. Otherwise the only sure thing
        is that NODE holds its own events: the bundle holds everything else. Applying a bundle
        is idempotent, so an event NODE already has costs bytes, never correctness.
        The file is sealed with the ledger's secret (format 2, protocol/SPEC.md §6.4): whoever
        finds the stick learns the ledger id and the file's size, nothing else, and a node of
        another ledger or an altered copy refuses it. In a signed ledger it carries the
        signatures that vouch for its events; events past the last signature of their chain
        are left out (and counted). Written with mode 0600.
        JSON: {file, events, bytes, rule, leftOut}.
        """,
        examples: ["carnet bundle create /media/usb/for-hub.bundle --for hub"]
    )

    var file: String
    var recipient: String?
    var json: Bool

    init(_ invocation: Invocation) throws {
        file = invocation.arguments[0]
        recipient = try invocation.nonEmpty("--for")
        json = invocation.flag("--json")
    }

    func run(in context: Context) throws {
        let store = try StoreAccess.open(context)
        let replica = store.replica
        var events: [Event]
        var rule: String
        var recipientID: NodeID?
        if let recipient {
            let node = try NodeNames.resolve(recipient, replica: replica)
            recipientID = node
            let remembered = PeerBook.states(directory: context.directory).values
                .filter { $0.peerNode == node && $0.remembered != nil }
                .max { ($0.lastSyncMillis ?? 0) < ($1.lastSyncMillis ?? 0) }
            if let record = remembered, let summary = record.remembered {
                events = replica.eventsMissing(from: summary)
                let session = record.isDialedIn ? "it dialed in" : record.address
                rule = "what \(node.short) lacked when last seen in a session with this node (\(session)), and all learned since"
            } else {
                let own = HistorySummary(versionVector: VersionVector([node: replica.versionVector[node]]),
                                         heads: [node: replica.history.heads(of: node)])
                events = replica.eventsMissing(from: own)
                rule = "every event except \(node.short)'s own (no sync with it is recorded here)"
            }
            events += replica.history.pendingEvents.filter { $0.dot.node != node }
        } else {
            events = replica.allEvents + replica.history.pendingEvents
            rule = "every event this node holds"
        }
        let secret = try LedgerSecret.load(directory: context.directory)
        var heads: [SignedHead] = []
        var leftOut = 0
        if store.ledgerID != nil {
            let plan = BundlePlan.signedOrder(events) { store.signedHead(at: $0) }
            (events, heads, leftOut) = (plan.events, plan.heads, plan.uncovered.count)
        }
        let bundle = BundleFile(ledger: store.ledger, creator: store.node, creatorLabel: store.label,
                                createdMillis: context.wallMillis(), recipient: recipientID, events: events, heads: heads)
        var random = SystemRandomNumberGenerator()
        let salt = (0..<BundleSeal.saltSize).map { _ in UInt8.random(in: 0...255, using: &random) }
        let bytes = BundleSeal.seal(bundle, ledgerID: store.ledgerID, secret: secret.bytes, salt: salt)
        try Files.replace(file, bytes)
        if json {
            context.output.json(.object(["file": .string(file), "events": .int(events.count), "bytes": .int(bytes.count),
                                         "rule": .string(rule), "leftOut": .int(leftOut)]))
        } else {
            context.output.line("wrote \(events.count) events (\(bytes.count) bytes, sealed) to \(file): \(rule)")
            if leftOut > 0 {
                context.output.warn("left out \(leftOut) events that no signature of their author covers yet: no signed node would take them")
            }
        }
    }
}
