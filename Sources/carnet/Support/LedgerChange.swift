import CarnetCore
import CarnetLedger
import CarnetNode

/// One row of `log --changes`: a catalog, party or node write, or an entry that settles
/// a conflict (a review, a void naming one event of a shared id). Both are what a person
/// decided rather than what happened on the farm, so they are listed together, newest
/// first, each with its author.
enum LedgerChange {
    case write(CatalogChange)
    case settlement(LedgerRecord, label: String?)

    /// Every change the ledger holds, newest first by the writer's clock.
    static func all(in view: LedgerView) -> [LedgerChange] {
        var changes = CatalogChange.all(in: view.replica).map(LedgerChange.write)
        for record in view.state.records where record.entry.kind == .review || record.entry.refEvent != nil {
            changes.append(.settlement(record, label: view.replica.label(of: record.writer)))
        }
        return changes.sorted { ($0.clock, $0.event) > ($1.clock, $1.event) }
    }

    /// Every change as `all(in:)` gives it, read from the log's records one at a time
    /// instead of from the opened store (`IndexedLedger.forEveryEventOfTheLog`), named by
    /// the index's names (as the catalog and the replica name them); nil when the files
    /// cannot say every event is held and every entry counts.
    static func allFromTheLog(_ indexed: IndexedLedger, directory: String) -> [LedgerChange]? {
        let names = indexed.names
        var seen = Set<EventID>()
        var changes: [LedgerChange] = []
        let read = indexed.forEveryEventOfTheLog(directory: directory) { event in
            if let change = CatalogChange(event: event, catalog: names, labels: names) {
                if seen.insert(event.id).inserted { changes.append(.write(change)) }
            } else if let record = LedgerRecord(reading: event), record.entry.kind == .review || record.entry.refEvent != nil,
                      seen.insert(event.id).inserted {
                changes.append(.settlement(record, label: names.label(of: record.writer)))
            }
        }
        return read ? changes.sorted { ($0.clock, $0.event) > ($1.clock, $1.event) } : nil
    }

    var clock: HLCTimestamp {
        switch self {
        case let .write(change): change.event.clock
        case let .settlement(record, _): record.clock
        }
    }

    var event: EventID {
        switch self {
        case let .write(change): change.event.id
        case let .settlement(record, _): record.event
        }
    }

    static func print(_ changes: [LedgerChange], _ output: Output) {
        var table = Table([("when", .left), ("by", .left), ("what", .left), ("value", .left), ("", .left)])
        for change in changes {
            switch change {
            case let .write(write):
                table.add(write.cells(output))
            case let .settlement(record, label):
                table.add([record.clock.readable, label ?? record.writer.short, settlementSubject(record.entry),
                           settlementValue(record.entry),
                           [output.yellow(settlementNote(record.entry)), ClockMark.cell(record.clock, output)]
                               .filter { !$0.isEmpty }.joined(separator: " ")])
            }
        }
        table.print(output)
    }

    var json: JSON {
        switch self {
        case let .write(change):
            return change.json
        case let .settlement(record, label):
            return .object([
                "subject": .string(Self.settlementSubject(record.entry)), "value": .string(Self.settlementValue(record.entry)),
                "node": .string(record.writer.hex), "label": .optional(label), "clock": .string(record.clock.readable),
                "clockMillis": .int(record.clock.physical), "event": .string(record.event.description),
                "supersedes": .int(0), "entry": .string(record.entry.id), "kind": .string(record.entry.kind.rawValue),
                "note": .optional(record.entry.note ?? record.entry.reason),
            ])
        }
    }

    private static func settlementSubject(_ entry: LedgerEntry) -> String {
        entry.kind == .review ? "conflict/\(entry.ref ?? "")" : "entry/\(entry.ref ?? "")"
    }

    private static func settlementValue(_ entry: LedgerEntry) -> String {
        if entry.kind == .review {
            let count = entry.sides?.count ?? 0
            return "reviewed (\(count) side\(count == 1 ? "" : "s"))" + (entry.note.map { ": \($0)" } ?? "")
        }
        return "voided event \(entry.refEvent?.short ?? "")" + (entry.reason.map { ": \($0)" } ?? "")
    }

    private static func settlementNote(_ entry: LedgerEntry) -> String {
        entry.kind == .review ? "settles a conflict (\(entry.id))" : "settles a duplicate id (\(entry.id))"
    }
}
