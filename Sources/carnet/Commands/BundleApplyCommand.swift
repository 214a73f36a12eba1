import CarnetCore

/// `carnet bundle apply FILE`: takes a bundle's events. Idempotent: applying it twice adds
/// nothing the second time.
struct BundleApplyCommand: Command {
    static let spec = CommandSpec(
        path: ["bundle", "apply"], summary: "take the events of a bundle file (idempotent)",
        arguments: [ArgumentSpec(name: "FILE", help: "a bundle made by `carnet bundle create`")],
        options: [.json],
        discussion: """
        Refuses a damaged file and another ledger's bundle, storing nothing. The new events are
        stored as one durable record. JSON: {added, duplicates, pending, rejected, from, ledger}.
        """,
        examples: ["carnet bundle apply /media/usb/for-hub.bundle"]
    )

    var file: String
    var json: Bool

    init(_ invocation: Invocation) throws {
        file = invocation.arguments[0]
        json = invocation.flag("--json")
    }

    func run(in context: Context) throws {
        let bytes = try Files.read(file, what: "the bundle")
        let bundle: BundleFile
        do {
            bundle = try BundleFile.decode(bytes)
        } catch {
            throw CLIError.data("\(file) \(error)")
        }
        var store = try StoreAccess.open(context)
        guard bundle.ledger == store.ledger else {
            throw CLIError.data("\(file) holds events of ledger \"\(bundle.ledger)\", not of this node's ledger \"\(store.ledger)\"; nothing was applied")
        }
        let summary = try store.persist(bundle.events)
        if summary.accepted + summary.pending > 0 { StoreAccess.afterAppend(&store, context: context) }
        ReceiveReport(summary: summary, source: "\(file) (from \(bundle.creatorLabel), \(bundle.creator.short))",
                      ledger: bundle.ledger).show(json: json, context.output)
    }
}

/// What taking events from elsewhere did, shown the same way by `bundle apply` and `merge`.
struct ReceiveReport {
    var summary: AdmissionCounts
    var source: String
    var ledger: String

    func show(json: Bool, _ output: Output) {
        if json {
            output.json(.object([
                "added": .int(summary.accepted), "duplicates": .int(summary.duplicates),
                "pending": .int(summary.pending), "rejected": .int(summary.rejected),
                "from": .string(source), "ledger": .string(ledger),
            ]))
            return
        }
        var text = "\(source): added \(summary.accepted) new events, \(summary.duplicates) already held"
        if summary.pending > 0 { text += ", \(summary.pending) waiting for earlier events (take those too)" }
        if summary.rejected > 0 { text += ", \(summary.rejected) rejected" }
        output.line(text)
    }
}
