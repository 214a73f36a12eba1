import CarnetLedger
import CarnetNode

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
        let indexed = IndexedReading.ledger(context)
        if let indexed {
            // An id the index does not know is answered from the store: its error names
            // the closest id, which needs every id.
            if let found = IndexedReading.answer(context, { () throws(EntryIndex.Damage) in try indexed.index.lookUp(id) }),
               !found.records.isEmpty {
                let standings = found.standings
                show(Found(records: found.records, reversals: found.reversals, catalog: indexed.names,
                           labels: indexed.names, standing: { standings[$0.event].map(EntryStanding.init) }),
                     context.output)
                return
            }
        }
        let view = try LedgerView.read(context)
        let records = view.state.everyRecord(withID: id)
        guard !records.isEmpty else {
            let hint = Suggestion.closest(to: id, among: view.state.everyRecord.map(\.entry.id)).map { "; did you mean \($0)?" } ?? "; see `carnet log` for entry ids"
            throw CLIError.data("no entry \"\(id)\" on this node\(hint)")
        }
        let state = view.state
        show(Found(records: records, reversals: state.reversals(of: id), catalog: view.catalog, labels: view.replica,
                   standing: { EntryStanding($0, in: state) }),
             context.output)
    }

    /// The entries carrying the id and the reversals naming it, in `log` order, with what
    /// names products, parties and writers: from the store or from the entry index.
    struct Found {
        var records: [LedgerRecord]
        var reversals: [LedgerRecord]
        var catalog: any CatalogNames
        var labels: any WriterLabels
        /// In a ledger with members, each entry's verdict and writer's roles (from the ledger
        /// state, or as the entry index kept them).
        var standing: (LedgerRecord) -> EntryStanding? = { _ in nil }

        /// The reversals that cancel `record`, earliest first (`LedgerState.voidingReversals`).
        func voiding(_ record: LedgerRecord) -> [LedgerRecord] {
            record.entry.kind == .reversal ? [] : reversals.filter { $0.entry.cancels(record) }
        }

        func json(_ record: LedgerRecord) -> JSON {
            JSONForms.entry(record, voidedBy: voiding(record).first, labels: labels, standing: standing(record))
        }
    }

    private func show(_ found: Found, _ output: Output) {
        let reversals = found.voiding(found.records[0])
        if json {
            guard case var .object(object) = found.json(found.records[0]) else { return }
            object["reversals"] = .array(reversals.map(found.json))
            object["sameID"] = .array(found.records.dropFirst().map(found.json))
            output.json(.object(object))
            return
        }
        for (index, shown) in found.records.enumerated() {
            if index > 0 { output.line(output.yellow("\nanother entry with the same id:")) }
            print(shown, found, output: output)
        }
        for (index, reversal) in reversals.enumerated() {
            output.line(output.bold(index == 0 ? "\nvoided by:" : "\nalso reversed by (does not count):"))
            print(reversal, found, output: output)
        }
    }

    private func print(_ record: LedgerRecord, _ found: Found, output: Output) {
        let catalog = found.catalog
        let entry = record.entry
        var rows: [(String, String?)] = [
            ("id", entry.id), ("kind", entry.kind.rawValue),
            ("producer", entry.producer + (catalog.partyName(entry.producer).map { " (\($0))" } ?? "")),
            ("date", entry.date.iso),
            ("product", entry.product.map { $0 + (catalog.productName($0).map { " (\($0))" } ?? "") }),
            ("quantity", entry.quantity == nil ? nil : Display.quantity(entry.quantity, entry.unit)),
            ("lot", entry.lot),
            ("party", entry.party.map { $0 + (catalog.partyName($0).map { " (\($0))" } ?? "") }),
            ("amount", entry.amount == nil ? nil : Display.money(entry.amount)),
            ("method", entry.method), ("ref", entry.ref.map { $0 + (entry.refKind.map { " (\($0.rawValue))" } ?? "") }),
            ("reason", entry.reason), ("note", entry.note),
        ]
        rows.append(("written by", Display.node(record.writer, labels: found.labels)))
        if let standing = found.standing(record) {
            rows.append(("roles", standing.rolesText))
            if standing.verdict != .counts { rows.append(("standing", output.red(standing.verdict.description))) }
        }
        rows.append(("at", record.clock.readable + " UTC"))
        for (key, value) in rows {
            guard let value else { continue }
            output.line(output.bold(key.rightPadded(to: 11)) + value)
        }
    }
}
