import CarnetCore
import CarnetLedger

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
        let view = try LedgerView.read(context)
        if changes {
            let rows = Array(LedgerChange.all(in: view).prefix(limit ?? Int.max))
            if json {
                context.output.json(.array(rows.map(\.json)))
            } else {
                LedgerChange.print(rows, context.output)
            }
            return
        }
        var records = view.state.everyRecord.reversed().filter { producer == nil || $0.entry.producer == producer }
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
                           ("quantity", .right), ("lot", .left), ("party", .left), ("amount", .right), ("by", .left), ("", .left)])
        for record in records {
            let entry = record.entry
            let voided = view.state.isVoided(record)
            let verdict = view.state.verdict(of: record)
            let standing = switch verdict {
            case .counts: ""
            case .unenrolled: output.yellow("waiting (not enrolled)")
            case .revoked: output.red("revoked")
            case .outOfRole: output.red("out of role")
            }
            table.add([
                entry.date.iso, entry.id, entry.kind.rawValue, entry.producer, entry.product ?? "",
                Display.quantity(entry.quantity, entry.unit), entry.lot ?? "", entry.party ?? (entry.ref.map { "→ \($0)" } ?? ""),
                Display.money(entry.amount), view.replica.label(of: record.writer) ?? record.writer.short,
                [voided ? output.dim("voided") : "", standing, ClockMark.cell(record.clock, output)].filter { !$0.isEmpty }.joined(separator: " "),
            ])
        }
        table.print(output)
        let recent = Array(CatalogChange.all(in: view.replica).prefix(5))
        if !recent.isEmpty {
            output.line(output.dim("\nlatest catalog and party changes (all: `carnet log --changes`):"))
            CatalogChange.print(recent, output)
        }
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
            if case let .assign(assignment) = event.operation {
                let record = assignment.key.record
                let unit = record.type == RecordType.product ? catalog.unit(of: record.id) : nil
                changes.append(CatalogChange(event: event, assignment: assignment, label: replica.label(of: event.dot.node), unit: unit))
            }
        }
        return changes.sorted { ($0.event.clock, $0.event.id) > ($1.event.clock, $1.event.id) }
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
