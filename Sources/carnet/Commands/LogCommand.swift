import CarnetCore
import CarnetLedger
import CarnetNode

/// `carnet log [--json] [--limit N] [--producer P]`: entries, newest first.
struct LogCommand: Command {
    static let spec = CommandSpec(
        path: ["log"], summary: "ledger entries, newest first",
        options: [
            .json,
            .value("--limit", "N", "show at most N entries"),
            .value("--producer", "P", "only this producer's entries"),
            .flag("--changes", "catalog, party and node changes, and the entries that settle conflicts, instead of entries: who set what, when, and what each write superseded (a resolved or reviewed conflict shows here)"),
        ],
        discussion: """
        Newest first by the writer's clock. Voided entries are marked, and so are entries
        stamped more than 5 minutes ahead of this machine's clock ("clock?", JSON
        clockAhead): their writer's clock was wrong, and they sort before later writes. JSON: an array of
        entries {id, kind, producer, date, product, quantity, unit, lot, party, amountCents,
        method, ref, refKind, reason, note, voided, voidedBy, node, label, clock, clockMillis,
        clockAhead, event}; quantity is in the unit's smallest step (g, ml, pc), amounts in cents.
        Without --json, the latest catalog and party changes follow the entries. With
        --changes: {subject, value, node, label, clock, clockMillis, clockAhead, event, supersedes}
        (supersedes: how many earlier values the write replaced; 2 or more resolved a
        conflict); a review or a void of one event adds {entry, kind, note}, its subject
        `conflict/ID` or `entry/ID`.
        """,
        examples: ["carnet log --limit 20", "carnet log --producer col --json", "carnet log --changes"]
    )

    var json: Bool
    var limit: Int?
    var producer: String?
    var changes: Bool

    init(_ invocation: Invocation) throws {
        json = invocation.flag("--json")
        changes = invocation.flag("--changes")
        limit = try invocation.positiveInt("--limit")
        producer = invocation.value("--producer")
    }

    func run(in context: Context) throws {
        // Entries (every one, the newest N, one producer's) are a walk of the entry index,
        // newest first, printed as it reads; the changes are a walk of the log's records.
        if !changes, let indexed = IndexedReading.ledger(context), try answer(from: indexed, context) { return }
        if changes {
            let all = try IndexedReading.ledger(context).flatMap { LedgerChange.allFromTheLog($0, directory: context.directory) }
                ?? LedgerChange.all(in: LedgerView.read(context))
            let rows = Array(all.prefix(limit ?? Int.max))
            if json {
                context.output.json(.array(rows.map(\.json)))
            } else {
                LedgerChange.print(rows, context.output)
            }
            return
        }
        let view = try LedgerView.read(context)
        var records = view.state.everyRecord.reversed().filter { producer == nil || $0.entry.producer == producer }
        if let limit, records.count > limit { records = Array(records.prefix(limit)) }
        let shown = records.map { ($0, view.state.voidingReversal(of: $0), EntryStanding($0, in: view.state)) }
        print(shown, labels: view.replica, recent: json ? [] : Array(CatalogChange.all(in: view.replica).prefix(5)), context)
    }

    /// The mark of an entry that does not count in a ledger with members (SPEC §9.5).
    static func mark(_ standing: EntryStanding?, _ output: Output) -> String {
        switch standing?.verdict {
        case nil, .counts?: ""
        case .unenrolled?: output.yellow("waiting (not enrolled)")
        case .revoked?: output.red("revoked")
        case .outOfRole?: output.red("out of role")
        }
    }

    /// From the entry index, printed as it is read (`IndexedLog`); false when it does not
    /// check (said) and nothing was printed: then the store answers.
    private func answer(from indexed: IndexedLedger, _ context: Context) throws -> Bool {
        let log = IndexedLog(ledger: indexed, producer: producer, limit: limit ?? .max)
        if json { return try log.printJSON(context) }
        let output = context.output
        return try log.printTable(context, columns: Self.columns,
                                  row: { Self.cells($0, voidedBy: $1, standing: $2, labels: indexed.names, output) },
                                  empty: { noEntries(output) },
                                  footer: { events in
                                      Self.printRecent(events.compactMap { CatalogChange(event: $0, catalog: indexed.names, labels: indexed.names) },
                                                       output)
                                  })
    }

    /// Prints entries, newest first, each with the reversal that voids it, then (as a
    /// table) the latest catalog changes: the lines `IndexedLog` prints from the entry index.
    private func print(_ records: [(record: LedgerRecord, voidedBy: LedgerRecord?, standing: EntryStanding?)], labels: some WriterLabels,
                       recent: [CatalogChange], _ context: Context) {
        if json {
            context.output.json(.array(records.map {
                .fields(JSONForms.entryFields($0.record, voidedBy: $0.voidedBy, labels: labels, standing: $0.standing))
            }))
            return
        }
        guard !records.isEmpty else {
            noEntries(context.output)
            return
        }
        let output = context.output
        var table = Table(Self.columns)
        for (record, voidedBy, standing) in records {
            table.add(Self.cells(record, voidedBy: voidedBy, standing: standing, labels: labels, output))
        }
        table.print(output)
        Self.printRecent(recent, output)
    }

    private func noEntries(_ output: Output) {
        output.line(producer.map { "no entries for producer \($0)" } ?? "no entries yet; add one with `carnet record`")
    }

    static let columns: [(String, Table.Alignment)] = [
        ("date", .left), ("id", .left), ("kind", .left), ("producer", .left), ("product", .left), ("quantity", .right),
        ("lot", .left), ("party", .left), ("amount", .right), ("by", .left), ("", .left),
    ]

    /// An entry's row: its fields, its writer, and its marks (voided, not counting, clock).
    static func cells(_ record: LedgerRecord, voidedBy: LedgerRecord?, standing: EntryStanding?, labels: some WriterLabels,
                      _ output: Output) -> [String] {
        let entry = record.entry
        return [
            entry.date.iso, entry.id, entry.kind.rawValue, entry.producer, entry.product ?? "",
            Display.quantity(entry.quantity, entry.unit), entry.lot ?? "", entry.party ?? (entry.ref.map { "→ \($0)" } ?? ""),
            Display.money(entry.amount), labels.label(of: record.writer) ?? record.writer.short,
            [voidedBy != nil ? output.dim("voided") : "", mark(standing, output), ClockMark.cell(record.clock, output)]
                .filter { !$0.isEmpty }.joined(separator: " "),
        ]
    }

    /// The latest catalog and party changes, under the entries (none: nothing).
    static func printRecent(_ recent: [CatalogChange], _ output: Output) {
        guard !recent.isEmpty else { return }
        output.line(output.dim("\nlatest catalog and party changes (all: `carnet log --changes`):"))
        CatalogChange.print(recent, output)
    }
}

/// One assignment: a product, party or node field set by some node, and what it superseded.
struct CatalogChange {
    var event: Event
    var assignment: Assignment
    var label: String?
    /// The product's unit as the catalog says now, so that a price shows in euros per kg,
    /// litre or piece (nil for parties and nodes, or a product without a unit).
    var unit: QuantityUnit?

    /// Every assignment the replica holds, newest first by the writer's clock.
    static func all(in replica: Replica) -> [CatalogChange] {
        var changes: [CatalogChange] = []
        let catalog = Catalog(replica: replica)
        replica.history.forEachEvent { event in
            if let change = CatalogChange(event: event, catalog: catalog, labels: replica) { changes.append(change) }
        }
        return changes.sorted { ($0.event.clock, $0.event.id) > ($1.event.clock, $1.event.id) }
    }

    init(event: Event, assignment: Assignment, label: String?, unit: QuantityUnit?) {
        self.event = event
        self.assignment = assignment
        self.label = label
        self.unit = unit
    }

    /// The change an assignment event makes, named as the catalog and labels say (nil for
    /// an event that is no assignment).
    init?(event: Event, catalog: some CatalogNames, labels: some WriterLabels) {
        guard case let .assign(assignment) = event.operation else { return nil }
        let record = assignment.key.record
        let unit = record.type == RecordType.product ? catalog.unit(of: record.id) : nil
        self.init(event: event, assignment: assignment, label: labels.label(of: event.dot.node), unit: unit)
    }

    var resolves: Bool { assignment.supersedes.count >= 2 }

    static func print(_ changes: [CatalogChange], _ output: Output) {
        LedgerChange.print(changes.map(LedgerChange.write), output)
    }

    /// Its row in the changes table: when, by, what, value, and what it settled.
    func cells(_ output: Output) -> [String] {
        [event.clock.readable, label ?? event.dot.node.short, assignment.key.description, shownValue,
         [resolves ? output.yellow("resolves a conflict (supersedes \(assignment.supersedes.count) values)") : "",
          ClockMark.cell(event.clock, output)].filter { !$0.isEmpty }.joined(separator: " ")]
    }

    /// The value as the rest of the CLI shows it (`1,75 €/kg`, `kg`, `5,5 %`); JSON keeps
    /// the stored form (cents, `g`, basis points), like every other command's JSON.
    var shownValue: String {
        Display.fieldValue(assignment.value, field: assignment.key.field, unit: unit)
    }

    var json: JSON {
        .object([
            "subject": .string(assignment.key.description), "value": .string(assignment.value.description),
            "node": .string(event.dot.node.hex), "label": .optional(label), "clock": .string(event.clock.readable),
            "clockMillis": .int(event.clock.physical), "clockAhead": .bool(ClockMark.isAhead(event.clock)),
            "event": .string(event.id.description),
            "supersedes": .int(assignment.supersedes.count),
        ])
    }
}
