import CarnetCore
import CarnetLedger

/// `carnet void ENTRY --reason TEXT [--event N]`: appends the reversal of an earlier
/// entry. Entries are never edited or deleted; a reversal cancels one, visibly, on every
/// node. When two entries carry one id (a duplicate-entry conflict), `--event` names the
/// one to cancel, and the reversal names its event so the other keeps counting.
struct VoidCommand: Command {
    static let spec = CommandSpec(
        path: ["void"], summary: "append a reversal of an earlier entry",
        arguments: [ArgumentSpec(name: "ENTRY", help: "the id of the entry to cancel (see `carnet log`)", identifier: true)],
        options: [
            .value("--reason", "TEXT", "why it is cancelled", required: true),
            .value("--date", "YYYY-MM-DD", "the day of the reversal (default: today)"),
            .value("--event", "N", "when entries share the id: the one to cancel, by its number in `carnet conflicts show` or its event (a prefix of its hash, or NODE:SEQ)"),
        ],
        discussion: "Prints the reversal's id. A reversal cannot itself be voided: record the entry again instead.",
        examples: ["carnet void sale-1a2b3c4d-12 --reason \"entered twice\"",
                   "carnet void harvest-1a2b3c4d-7 --event 2 --reason \"restored backup wrote it again\""]
    )

    var target: String
    var reason: String
    var date: CalendarDay?
    var event: String?

    init(_ invocation: Invocation) throws {
        target = invocation.arguments[0]
        event = try invocation.nonEmpty("--event")
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
        guard !records.isEmpty else {
            throw CLIError.data("unknown entry \"\(target)\": see `carnet log` for entry ids")
        }
        let record = try Self.choose(event, among: records, id: target, state: state)
        guard record.entry.kind != .reversal else {
            throw CLIError.data("\(target) is a reversal, and reversals are not reversed: record the original entry again instead")
        }
        try RoleCheck.require(.producer(record.entry.producer), store: store, context: context)
        if let earlier = state.voidingReversal(of: record) {
            throw CLIError.data("\(target) is already voided by \(earlier.entry.id)")
        }
        // Naming the event only when the id is shared keeps the common reversal as it was.
        let voidedEvent = records.count > 1 ? record.event.hash : nil
        // The id names the event that carries it: made under the store's lock, so that
        // another process writing at the same moment cannot take the same one.
        let day = date ?? context.today()
        var reversal: LedgerEntry?
        try store.write(wallMillis: context.wallMillis()) { first, _ in
            let made = record.entry.reversal(id: EntryIDs.make(kind: .reversal, node: first.node, seq: first.seq),
                                             date: day, reason: reason, event: voidedEvent)
            reversal = made
            return [.append(made.coreEntry)]
        }
        StoreAccess.afterAppend(&store, context: context)
        context.output.line(reversal!.id)
    }

    /// The entry `--event` names among those carrying the id: by its number among the
    /// entries that count (as `conflicts show` lists a duplicate's sides), by a prefix of
    /// its event hash, or by `NODE:SEQ` as the CLI prints events. Without `--event`, the
    /// only entry, or an error listing them.
    static func choose(_ event: String?, among records: [LedgerRecord], id: String, state: LedgerState) throws -> LedgerRecord {
        let listed = records.filter { !state.isVoided($0) && $0.entry.kind != .reversal }
        guard let event else {
            guard records.count == 1 else {
                let choices = listed.enumerated().map { "\($0.offset + 1). \($0.element.event) \($0.element.entry.oneLine)" }
                throw CLIError.data("\(records.count) different entries carry the id \(id); name the one to cancel with --event N: "
                                    + choices.joined(separator: "; "))
            }
            return records[0]
        }
        // A number names an entry by its place; but a hash prefix can be all decimal digits
        // too ("81062778", about one prefix of 8 in 40): past the places, it is a prefix.
        if let number = Int(event) {
            if (1...max(1, listed.count)).contains(number), !listed.isEmpty { return listed[number - 1] }
            if event.count < 4 {
                throw CLIError.usage("--event \(event): \(id) has \(listed.count) entr\(listed.count == 1 ? "y" : "ies") that count (1 to \(listed.count))")
            }
        }
        let text = event.lowercased()
        let matches = records.filter { record in
            let dot = "\(record.event.dot.node.short):\(record.event.dot.seq)"
            return text == dot || text == "\(record.event.dot.node.hex):\(record.event.dot.seq)"
                || (text.count >= 4 && (record.event.hash.hex.hasPrefix(text) || record.event.description.hasPrefix(text)))
        }
        guard matches.count == 1 else {
            throw CLIError.usage(matches.isEmpty
                ? "--event \(event) names no entry with the id \(id); give its number in `carnet conflicts show` or its event"
                : "--event \(event) names \(matches.count) entries; give more of the hash")
        }
        return matches[0]
    }
}
