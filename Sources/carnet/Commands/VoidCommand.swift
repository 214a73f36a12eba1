import CarnetCore
import CarnetLedger

/// `carnet void ENTRY --reason TEXT`: appends the reversal of an earlier entry. Entries
/// are never edited or deleted; a reversal cancels one, visibly, on every node.
struct VoidCommand: Command {
    static let spec = CommandSpec(
        path: ["void"], summary: "append a reversal of an earlier entry",
        arguments: [ArgumentSpec(name: "ENTRY", help: "the id of the entry to cancel (see `carnet log`)", identifier: true)],
        options: [
            .value("--reason", "TEXT", "why it is cancelled", required: true),
            .value("--date", "YYYY-MM-DD", "the day of the reversal (default: today)"),
        ],
        discussion: "Prints the reversal's id. A reversal cannot itself be voided: record the entry again instead.",
        examples: ["carnet void sale-1a2b3c4d-12 --reason \"entered twice\""]
    )

    var target: String
    var reason: String
    var date: CalendarDay?

    init(_ invocation: Invocation) throws {
        target = invocation.arguments[0]
        reason = try invocation.nonEmpty("--reason")!
        if let text = invocation.value("--date") {
            guard let day = CalendarDay(iso: text) else { throw CLIError.usage("--date \(text) is not a date: write YYYY-MM-DD") }
            date = day
        }
    }

    func run(in context: Context) throws {
        var store = try StoreAccess.open(context)
        let state = LedgerState(replica: store.replica)
        let records = state.records(withID: target)
        guard let record = records.first else {
            throw CLIError.data("unknown entry \"\(target)\": see `carnet log` for entry ids")
        }
        guard records.count == 1 else {
            throw CLIError.data("\(records.count) different entries carry the id \(target) (see `carnet conflicts`); correct the double count with an `adjust` instead")
        }
        guard record.entry.kind != .reversal else {
            throw CLIError.data("\(target) is a reversal, and reversals are not reversed: record the original entry again instead")
        }
        if let earlier = state.reversals(of: target).first {
            throw CLIError.data("\(target) is already voided by \(earlier.entry.id)")
        }
        // The id names the event that carries it: made under the store's lock, so that
        // another process writing at the same moment cannot take the same one.
        let day = date ?? context.today()
        var reversal: LedgerEntry?
        try store.write(wallMillis: context.wallMillis()) { first, _ in
            let made = record.entry.reversal(id: EntryIDs.make(kind: .reversal, node: first.node, seq: first.seq),
                                             date: day, reason: reason)
            reversal = made
            return [.append(made.coreEntry)]
        }
        StoreAccess.afterAppend(&store, context: context)
        context.output.line(reversal!.id)
    }
}
