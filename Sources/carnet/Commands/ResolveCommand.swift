import CarnetCore
import CarnetLedger

/// `carnet resolve CONFLICT --value V | --keep N`: settles a field conflict by one write
/// that supersedes every value the conflict shows (an auditable event, like any edit).
struct ResolveCommand: Command {
    static let spec = CommandSpec(
        path: ["resolve"], summary: "settle a field conflict by a write that supersedes all its values",
        arguments: [ArgumentSpec(name: "CONFLICT", help: "a conflict id from `carnet conflicts` (a unique prefix is enough)")],
        options: [
            .value("--value", "V", "the value to keep from now on (a price in euros, a unit, a name)"),
            .value("--keep", "N", "keep the N-th value as listed by `carnet conflicts`"),
        ],
        discussion: """
        Only field conflicts are settled by a value. Domain conflicts (stock below zero, a
        double reversal, ...) are settled by an entry: `resolve` says which, and writes nothing
        (exit 1).
        """,
        examples: ["carnet resolve 3f9a0c21b4 --keep 2", "carnet resolve 3f9a0c21b4 --value 25,00"]
    )

    var id: String
    var value: String?
    var keep: Int?

    init(_ invocation: Invocation) throws {
        id = invocation.arguments[0]
        value = invocation.value("--value")
        keep = try invocation.positiveInt("--keep")
        guard (value == nil) != (keep == nil) else { throw CLIError.usage("give either --value V or --keep N") }
    }

    func run(in context: Context) throws {
        var store = try StoreAccess.open(context)
        let view = LedgerView(store.replica)
        let report = try ConflictForms.find(id, in: Conflicts.all(replica: view.replica, ledger: view.state))
        guard report.kind == .field, let conflict = view.replica.fieldConflicts.first(where: { $0.id == report.id }) else {
            throw CLIError(.failure, "\(report.id) is a \(report.kind.rawValue) conflict, which a value cannot settle: \(report.suggestion)")
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
