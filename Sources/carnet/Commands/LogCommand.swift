import CarnetLedger

/// `carnet log [--json] [--limit N] [--producer P]`: entries, newest first.
struct LogCommand: Command {
    static let spec = CommandSpec(
        path: ["log"], summary: "ledger entries, newest first",
        options: [
            .json,
            .value("--limit", "N", "show at most N entries"),
            .value("--producer", "P", "only this producer's entries"),
        ],
        discussion: """
        Newest first by the writer's clock. Voided entries are marked. JSON: an array of
        entries {id, kind, producer, date, product, quantity, unit, lot, party, amountCents,
        method, ref, refKind, reason, note, voided, voidedBy, node, label, clock, clockMillis,
        event}; quantity is in the unit's smallest step (g, ml, pc), amounts in cents.
        """,
        examples: ["carnet log --limit 20", "carnet log --producer col --json"]
    )

    var json: Bool
    var limit: Int?
    var producer: String?

    init(_ invocation: Invocation) throws {
        json = invocation.flag("--json")
        limit = try invocation.positiveInt("--limit")
        producer = invocation.value("--producer")
    }

    func run(in context: Context) throws {
        let view = try LedgerView.read(context)
        var records = view.state.records.reversed().filter { producer == nil || $0.entry.producer == producer }
        if let limit, records.count > limit { records = Array(records.prefix(limit)) }
        if json {
            context.output.json(.array(records.map { JSONForms.entry($0, state: view.state, replica: view.replica) }))
            return
        }
        guard !records.isEmpty else {
            context.output.line(producer.map { "no entries for producer \($0)" } ?? "no entries yet; add one with `carnet record`")
            return
        }
        let output = context.output
        var table = Table([("date", .left), ("id", .left), ("kind", .left), ("producer", .left), ("product", .left),
                           ("quantity", .right), ("lot", .left), ("party", .left), ("amount", .right), ("", .left)])
        for record in records {
            let entry = record.entry
            let voided = entry.kind != .reversal && !view.state.reversals(of: entry.id).isEmpty
            table.add([
                entry.date.iso, entry.id, entry.kind.rawValue, entry.producer, entry.product ?? "",
                Display.quantity(entry.quantity, entry.unit), entry.lot ?? "", entry.party ?? (entry.ref.map { "→ \($0)" } ?? ""),
                Display.money(entry.amount), voided ? output.dim("voided") : "",
            ])
        }
        table.print(output)
    }
}
