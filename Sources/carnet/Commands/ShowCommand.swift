import CarnetLedger

/// `carnet show ENTRY [--json]`: one entry with its reversal, if any.
struct ShowCommand: Command {
    static let spec = CommandSpec(
        path: ["show"], summary: "one entry, with its reversal if any",
        arguments: [ArgumentSpec(name: "ENTRY", help: "an entry id (see `carnet log`)", identifier: true)],
        options: [.json],
        discussion: """
        JSON: the entry (fields as in `carnet log --json`) with `reversals` (the entries that
        cancel it, earliest first; only the first counts) and `sameID` (other entries carrying
        the same id, normally none).
        """,
        examples: ["carnet show sale-1a2b3c4d-12 --json"]
    )

    var id: String
    var json: Bool

    init(_ invocation: Invocation) throws {
        id = invocation.arguments[0]
        json = invocation.flag("--json")
    }

    func run(in context: Context) throws {
        let view = try LedgerView.read(context)
        let records = view.state.everyRecord(withID: id)
        guard let record = records.first else {
            let hint = Suggestion.closest(to: id, among: view.state.everyRecord.map(\.entry.id)).map { "; did you mean \($0)?" } ?? "; see `carnet log` for entry ids"
            throw CLIError.data("no entry \"\(id)\" on this node\(hint)")
        }
        let reversals = view.state.voidingReversals(of: record)
        if json {
            guard case var .object(object) = JSONForms.entry(record, state: view.state, replica: view.replica) else { return }
            object["reversals"] = .array(reversals.map { JSONForms.entry($0, state: view.state, replica: view.replica) })
            object["sameID"] = .array(records.dropFirst().map { JSONForms.entry($0, state: view.state, replica: view.replica) })
            context.output.json(.object(object))
            return
        }
        let output = context.output
        for (index, shown) in records.enumerated() {
            if index > 0 { output.line(output.yellow("\nanother entry with the same id:")) }
            print(shown, view: view, output: output)
        }
        for (index, reversal) in reversals.enumerated() {
            output.line(output.bold(index == 0 ? "\nvoided by:" : "\nalso reversed by (does not count):"))
            print(reversal, view: view, output: output)
        }
    }

    private func print(_ record: LedgerRecord, view: LedgerView, output: Output) {
        let entry = record.entry
        var rows: [(String, String?)] = [
            ("id", entry.id), ("kind", entry.kind.rawValue),
            ("producer", entry.producer + (view.catalog.partyName(entry.producer).map { " (\($0))" } ?? "")),
            ("date", entry.date.iso),
            ("product", entry.product.map { $0 + (view.catalog.productName($0).map { " (\($0))" } ?? "") }),
            ("quantity", entry.quantity == nil ? nil : Display.quantity(entry.quantity, entry.unit)),
            ("lot", entry.lot),
            ("party", entry.party.map { $0 + (view.catalog.partyName($0).map { " (\($0))" } ?? "") }),
            ("amount", entry.amount == nil ? nil : Display.money(entry.amount)),
            ("method", entry.method), ("ref", entry.ref.map { $0 + (entry.refKind.map { " (\($0.rawValue))" } ?? "") }),
            ("reason", entry.reason), ("note", entry.note),
        ]
        rows.append(("written by", Display.node(record.writer, labels: view.replica)))
        if view.state.membership.enforced {
            rows.append(("roles", view.state.membership.roles(at: record.event)?.description ?? "none: not enrolled"))
            let verdict = view.state.verdict(of: record)
            if verdict != .counts { rows.append(("standing", output.red(verdict.description))) }
        }
        rows.append(("at", record.clock.readable + " UTC"))
        for (key, value) in rows {
            guard let value else { continue }
            output.line(output.bold(key.rightPadded(to: 11)) + value)
        }
    }
}
