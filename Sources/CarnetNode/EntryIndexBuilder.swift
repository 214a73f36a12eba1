import CarnetCore
import CarnetLedger
import CarnetStore
import CarnetSystem
import CarnetWire

/// Builds the entry index (`EntryIndexFile`) of a replica whose events all lie in the log
/// up to a stamp.
///
/// The orders come from the ledger state (the same `records` and voids `log` and `show`
/// print from the store); where each event lies comes from the last index file, when its
/// stamp still begins the log, and from reading only the records appended after it. So a
/// write costs the records it added, not a reading of the whole log; the first build (or
/// one after the file was lost or damaged) reads every record once.
enum EntryIndexBuilder {
    /// The contents for `replica` at `stamp`, nil when an event's place in the log cannot be
    /// found (the log does not read as the store read it): then no index is written, and
    /// readers open the store.
    static func contents(replica: Replica, ledger: LedgerState, stamp: LogStamp, directory: String,
                         storage: any Storage) -> EntryIndexFile.Contents? {
        guard let locations = locations(upTo: stamp, directory: directory, storage: storage) else { return nil }
        func slot(_ event: EventID) -> EntryIndexFile.Slot? {
            locations[event.hash.w0].map { EntryIndexFile.Slot(location: $0, hashPrefix: event.hash.w0, voidedBy: nil) }
        }
        var reversalSlots: [EventID: Int] = [:]
        for (index, record) in ledger.records.enumerated() where record.entry.kind == .reversal {
            reversalSlots[record.event] = index
        }
        var entries: [EntryIndexFile.Slot] = []
        var ids: [EntryIndexFile.IDKey] = []
        entries.reserveCapacity(ledger.records.count)
        ids.reserveCapacity(ledger.records.count)
        for (index, record) in ledger.records.enumerated() {
            guard var entry = slot(record.event) else { return nil }
            entry.voidedBy = ledger.voidingReversal(of: record).flatMap { reversalSlots[$0.event] }
            entries.append(entry)
            ids.append(EntryIndexFile.IDKey(key: EntryIndexFile.key(of: record.entry.id), slot: index, role: .carries))
            if record.entry.kind == .reversal, let target = record.entry.ref {
                ids.append(EntryIndexFile.IDKey(key: EntryIndexFile.key(of: target), slot: index, role: .reverses))
            }
        }
        ids.sort(by: EntryIndexFile.IDKey.precedes)
        var assignments: [(clock: HLCTimestamp, id: EventID)] = []
        replica.history.forEachEvent { event in
            if case .assign = event.operation { assignments.append((event.clock, event.id)) }
        }
        assignments.sort { ($0.clock, $0.id) < ($1.clock, $1.id) }
        var changes: [EntryIndexFile.Slot] = []
        changes.reserveCapacity(assignments.count)
        for assignment in assignments {
            guard let change = slot(assignment.id) else { return nil }
            changes.append(change)
        }
        var held: [EntryIndexFile.Slot] = []
        for event in replica.history.pendingEvents.sorted(by: { $0.id < $1.id }) {
            guard let waiting = slot(event.id) else { return nil }
            held.append(waiting)
        }
        return EntryIndexFile.Contents(entries: entries, ids: ids, changes: changes, held: held)
    }

    /// Where each event of the log up to `stamp` lies, by the first 8 bytes of its hash:
    /// the entries, changes and held events of the last index file (when it is whole and its stamp still
    /// begins the log), then every record after that stamp, read and decoded.
    static func locations(upTo stamp: LogStamp, directory: String,
                          storage: any Storage) -> [UInt64: EntryIndexFile.Location]? {
        var locations: [UInt64: EntryIndexFile.Location] = [:]
        var start = FileHeader.size
        if let bytes = try? storage.openReadOnly(directory + "/" + EntryIndexFile.fileName).readAll(),
           let file = StampedFile.decode(bytes, as: .entries), file.stamp.size <= stamp.size,
           file.stamp.isPrefix(directory: directory, storage: storage),
           let previous = EntryIndexFile.decodeBody(file.body, stamp: file.stamp) {
            locations.reserveCapacity(previous.entries.count + previous.changes.count + previous.held.count)
            for slot in previous.entries + previous.changes + previous.held { locations[slot.hashPrefix] = slot.location }
            start = file.stamp.size
        }
        guard let log = LogRecordReader(directory: directory, prefix: stamp, storage: storage) else { return nil }
        let read = log.forEachRecord(from: start) { offset, events in
            for (index, event) in events.enumerated() {
                locations[event.hash.w0] = EntryIndexFile.Location(offset: offset, index: index)
            }
        }
        return read ? locations : nil
    }
}
