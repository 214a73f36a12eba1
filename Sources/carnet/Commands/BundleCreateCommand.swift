import CarnetCore
import CarnetNode

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
        NODE, the summary NODE gave at the end of the last sync (peer-state) is used: every
        event NODE lacked then or that this node learned since. Otherwise the only sure thing
        is that NODE holds its own events: the bundle holds everything else. Applying a bundle
        is idempotent, so an event NODE already has costs bytes, never correctness.
        The file is self-describing (magic, version, ledger name) and checksummed (SHA-256).
        JSON: {file, events, bytes, rule}.
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
                rule = "what \(node.short) lacked at its last sync with this node (\(record.address)), and all learned since"
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
        let bundle = BundleFile(ledger: store.ledger, creator: store.node, creatorLabel: store.label,
                                createdMillis: context.wallMillis(), recipient: recipientID, events: events)
        let bytes = bundle.encode()
        try Files.replace(file, bytes)
        if json {
            context.output.json(.object(["file": .string(file), "events": .int(events.count), "bytes": .int(bytes.count), "rule": .string(rule)]))
        } else {
            context.output.line("wrote \(events.count) events (\(bytes.count) bytes) to \(file): \(rule)")
        }
    }
}
