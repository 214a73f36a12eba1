import CarnetCore
import CarnetLedger
import CarnetWorkload
import Foundation

/// `carnet import FILE`: ledger entries and catalog edits from a workload file
/// (`producer-ledger-workload/1`, JSON lines). This node is the author of every event.
struct ImportCommand: Command {
    static let spec = CommandSpec(
        path: ["import"], summary: "import entries and catalog edits from a workload JSON-lines file",
        arguments: [ArgumentSpec(name: "FILE", help: "a producer-ledger-workload/1 file")],
        options: [
            .json, .value("--batch", "N", "events per durable write (default 1000)"),
            .value("--actor", "NAME", "import only the lines NAME wrote (its entries and catalog edits)"),
        ],
        discussion: """
        With --actor, only the lines the file's actor NAME wrote are imported: a farm's entries
        and its catalog edits, or the hub's catalog edits. Each node of a consortium can so be
        built from one shared file, and the nodes then sync what the others wrote.
        Entry ids are kept from the file. Producers (kind farm), the hub and the buyers the file
        names are created as parties when this node does not know them. `sync` lines are
        counted and skipped. Events are written in large batches, each one fsynced record.
        Progress is shown on stderr when it is a terminal. JSON: {entries, catalogWrites,
        partiesCreated, syncLines, skippedLines, events, seconds, millis}.
        """,
        examples: ["carnet import ledger-10k.jsonl", "carnet import ledger-10k.jsonl --actor F03"]
    )

    var file: String
    var json: Bool
    var batchSize: Int
    /// Only this actor's lines, when set.
    var actor: String?

    init(_ invocation: Invocation) throws {
        file = invocation.arguments[0]
        json = invocation.flag("--json")
        batchSize = try invocation.positiveInt("--batch") ?? 1000
        actor = invocation.value("--actor")
    }

    func run(in context: Context) throws {
        let started = Date()
        let bytes = try Files.read(file, what: "the import file")
        var reader = WorkloadReader(bytes: bytes)
        guard case let .meta(meta)? = try reader.next() else {
            throw CLIError.data("\(file) line 1: a workload file starts with its meta line")
        }
        if let actor, !meta.actors.contains(actor) {
            let known = meta.actors.prefix(6).joined(separator: ", ") + (meta.actors.count > 6 ? ", …" : "")
            throw CLIError.usage("--actor \(actor): the file has no such actor (it has \(known))")
        }
        var store = try StoreAccess.open(context)
        let catalog = Catalog(replica: store.replica)
        var knownParties = Set(catalog.parties.map(\.key.id))
        var batch: [CarnetCore.Operation] = []
        var assignedInBatch = Set<FieldKey>()
        var counts = (entries: 0, catalog: 0, parties: 0, syncs: 0, events: 0, skipped: 0)
        let wall = context.wallMillis()
        var repaint = ProgressThrottle()

        func flush() throws {
            guard !batch.isEmpty else { return }
            try store.write(batch, wallMillis: wall)
            counts.events += batch.count
            batch.removeAll(keepingCapacity: true)
            assignedInBatch.removeAll(keepingCapacity: true)
            guard repaint.isDue() else { return }
            context.output.progress("importing \(file): \(reader.offset * 100 / max(1, bytes.count)) % (\(counts.events) events)")
        }
        /// An assignment that replaces what the node sees; one that would replace a write of
        /// the same batch waits for the next batch, where that write is visible.
        func assign(_ key: FieldKey, _ value: Value) throws {
            if assignedInBatch.contains(key) { try flush() }
            batch.append(CatalogWrites.assignment(key, value, replica: store.replica))
            assignedInBatch.insert(key)
        }
        func ensureParty(_ id: String, kind: String) throws {
            guard !knownParties.contains(id) else { return }
            knownParties.insert(id)
            try assign(Catalog.partyKey(id, .name), .text(id))
            try assign(Catalog.partyKey(id, .kind), .text(kind))
            counts.parties += 1
        }

        while let line = try reader.next() {
            switch line {
            case .meta:
                throw CLIError.data("\(file) line \(reader.lineNumber): a second meta line")
            case let .catalog(write):
                if let actor, write.actor != actor { counts.skipped += 1; continue }
                for field in write.fields {
                    try assign(FieldKey(RecordType.product, write.product, field.name), Self.value(field.value))
                }
                counts.catalog += 1
            case let .entry(line):
                if let actor, line.farm != actor { counts.skipped += 1; continue }
                try ensureParty(line.farm, kind: "farm")
                if let to = line.to { try ensureParty(to, kind: to == meta.hub ? "hub" : "customer") }
                if let party = line.party { try ensureParty(party, kind: party == meta.hub ? "hub" : "customer") }
                let entry = try WorkloadReplay.ledgerEntry(line, lineNumber: reader.lineNumber)
                batch.append(.append(entry.coreEntry))
                counts.entries += 1
            case .sync:
                counts.syncs += 1
            }
            if batch.count >= batchSize { try flush() }
        }
        try flush()
        context.output.endProgress()
        if counts.events > 0 { StoreAccess.afterAppend(&store, context: context) }
        let seconds = Date().timeIntervalSince(started)
        if json {
            context.output.json(.object([
                "entries": .int(counts.entries), "catalogWrites": .int(counts.catalog),
                "partiesCreated": .int(counts.parties), "syncLines": .int(counts.syncs),
                "events": .int(counts.events), "skippedLines": .int(counts.skipped),
                "seconds": .int(Int64(seconds.rounded())), "millis": .int(Int64((seconds * 1000).rounded())),
            ]))
        } else {
            let rate = seconds > 0 ? " (\(Int(Double(counts.events) / seconds)) events/s)" : ""
            context.output.line("imported \(counts.entries) entries and \(counts.catalog) catalog writes from \(file), created \(counts.parties) parties: \(counts.events) events in \(String(format: "%.1f", seconds)) s\(rate)")
        }
    }

    static func value(_ value: WorkloadValue) -> Value {
        switch value {
        case let .int(number): .int(number)
        case let .string(text): .text(text)
        case let .bool(flag): .bool(flag)
        }
    }
}
