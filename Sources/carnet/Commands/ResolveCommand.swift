import CarnetCore
import CarnetLedger
import CarnetNode

/// `carnet resolve CONFLICT --value V | --keep N | --reviewed`: settles a field conflict
/// by one write that supersedes every value the conflict shows, or marks a conflict no
/// entry can undo (a fork, a double reversal, ...) as reviewed. Either is an auditable
/// event with its author, shown by `log --changes`.
struct ResolveCommand: Command {
    static let spec = CommandSpec(
        path: ["resolve"], summary: "settle a conflict: choose a field's value, or mark a fork or a reversal conflict reviewed",
        arguments: [ArgumentSpec(name: "CONFLICT", help: "a conflict id from `carnet conflicts` (a unique prefix is enough)")],
        options: [
            .value("--value", "V", "the value to keep from now on (a price in euros, a unit, a name)"),
            .value("--keep", "N", "keep the N-th value as listed by `carnet conflicts`"),
            .flag("--reviewed", "mark a fork, double reversal, reversal of a reversal, unknown reference or duplicate id as seen and right as it stands"),
            .value("--note", "TEXT", "with --reviewed: why it stands (kept with the review)"),
        ],
        discussion: """
        A field conflict is settled by a value (--value or --keep). A fork, a double
        reversal, a reversal of a reversal, a reversal of an unknown entry or two entries
        with one id are settled by a review (--reviewed): the review names the sides it
        saw, so a new side arriving later opens the conflict again. A lot below zero and an
        overpayment are settled by an entry (an adjust, a void): `resolve` says which, and
        writes nothing (exit 1). Without an option, `resolve` says how the conflict is
        settled.
        """,
        examples: ["carnet resolve 3f9a0c21b4 --keep 2", "carnet resolve 3f9a0c21b4 --value 25,00",
                   "carnet resolve 81c0d2e4aa --reviewed --note \"both branches checked with the farm\""]
    )

    var id: String
    var value: String?
    var keep: Int?
    var reviewed: Bool
    var note: String?

    init(_ invocation: Invocation) throws {
        id = invocation.arguments[0]
        value = invocation.value("--value")
        keep = try invocation.positiveInt("--keep")
        reviewed = invocation.flag("--reviewed")
        note = try invocation.nonEmpty("--note")
        guard [value != nil, keep != nil, reviewed].filter({ $0 }).count <= 1 else {
            throw CLIError.usage("give one of --value V, --keep N or --reviewed")
        }
        guard note == nil || reviewed else { throw CLIError.usage("--note goes with --reviewed") }
    }

    func run(in context: Context) throws {
        var store = try StoreAccess.open(context)
        let view = LedgerView(store.replica)
        let every = Conflicts.every(replica: view.replica, domain: view.state.domainConflicts(), membership: view.state.membership)
        if let settled = every.first(where: { $0.id == id }), let review = view.state.reviews.settlement(of: settled) {
            let who = Display.node(review.dot.node, labels: view.replica)
            throw CLIError.data("\(settled.id) was already reviewed (event \(review), by \(who)); nothing written")
        }
        let report = try ConflictForms.find(id, in: Conflicts.all(replica: view.replica, ledger: view.state))
        if reviewed {
            try RoleCheck.require(.admin, store: store, context: context)
            try review(report, store: &store, view: view, context: context)
            return
        }
        guard report.kind == .field, let conflict = view.replica.fieldConflicts.first(where: { $0.id == report.id }) else {
            let review = "`carnet resolve \(report.id) --reviewed`"
            let how = report.kind.settledByReview && !report.suggestion.contains(review) ? "; or mark it reviewed with \(review)" : ""
            throw CLIError(.failure, "\(report.id) (\(report.kind.rawValue)) is not settled by a value: \(report.suggestion)\(how)")
        }
        guard value != nil || keep != nil else {
            throw CLIError.usage("\(report.id) is a field conflict: keep one of its \(conflict.values.count) values with --keep N, or write another with --value V")
        }
        let chosen: Value
        if let keep {
            guard keep <= conflict.values.count else {
                throw CLIError.usage("--keep \(keep): the conflict has \(conflict.values.count) values (1 to \(conflict.values.count))")
            }
            chosen = conflict.values[keep - 1].value
        } else {
            chosen = try Self.parse(value!, field: conflict.key.field, like: conflict.values.map(\.value))
        }
        let live = store.replica.registers[conflict.key]?.liveIDs ?? conflict.values.map(\.id)
        try store.write([.assign(Assignment(key: conflict.key, value: chosen, supersedes: live))], wallMillis: context.wallMillis())
        StoreAccess.afterAppend(&store, context: context)
        let shown = Display.fieldValue(chosen, field: conflict.key.field, unit: ConflictForms.unit(report, catalog: view.catalog))
        context.output.line("resolved \(report.id): \(conflict.key) = \(shown) (supersedes \(live.count) values)")
    }

    /// Writes the review of `report`: its id and the events of its sides, with a note.
    private func review(_ report: ConflictReport, store: inout LocalNode, view: LedgerView, context: Context) throws {
        guard report.kind.settledByReview else {
            throw CLIError(.failure, report.kind == .field
                ? "\(report.id) is a field conflict, settled by a value: --keep N or --value V"
                : "\(report.id) (\(report.kind.rawValue)) is not settled by a review (the figures would stay wrong): \(report.suggestion)")
        }
        let day = context.today()
        let sides = report.sides.map(\.event.hash)
        var written: LedgerEntry?
        try store.write(wallMillis: context.wallMillis()) { first, _ in
            let entry = LedgerEntry(id: EntryIDs.make(kind: .review, node: first.node, seq: first.seq), kind: .review,
                                    producer: "", date: day, ref: report.id, sides: sides, note: note)
            written = entry
            return [.append(entry.coreEntry)]
        }
        StoreAccess.afterAppend(&store, context: context)
        context.output.line("reviewed \(report.id): \(report.kind.rawValue) \(report.subject), \(sides.count) side\(sides.count == 1 ? "" : "s") seen (\(written!.id)); a new side would open it again")
    }

    /// Reads `text` as the field means it: a price in euros, a unit by name, a yes/no flag,
    /// a number; otherwise as the type the conflicting values have.
    static func parse(_ text: String, field: String, like values: [Value]) throws -> Value {
        switch field {
        case ProductField.price.rawValue:
            guard let money = Money(euros: text), money.cents >= 0 else { throw CLIError.usage("--value \(text) is not a price in euros, e.g. 25 or 3,20") }
            return .int(money.cents)
        case ProductField.unit.rawValue:
            guard let unit = QuantityUnit.parse(text)?.unit else { throw CLIError.usage("--value \(text) is not a unit: kg, g, l, ml or piece") }
            return .text(unit.rawValue)
        default:
            break
        }
        switch values.first {
        case .int?:
            guard let number = Int64(text) else { throw CLIError.usage("--value \(text) is not a whole number, which this field holds") }
            return .int(number)
        case .bool?:
            switch text.lowercased() {
            case "true", "yes", "1", "oui": return .bool(true)
            case "false", "no", "0", "non": return .bool(false)
            default: throw CLIError.usage("--value \(text): this field is yes or no")
            }
        case .day?:
            guard let day = CalendarDay(iso: text) else { throw CLIError.usage("--value \(text) is not a date: write YYYY-MM-DD") }
            return .day(day.daysSinceEpoch)
        default:
            return .text(text)
        }
    }
}
