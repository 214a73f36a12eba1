import CarnetCore
import CarnetLedger
import CarnetStore
import CarnetSystem
import CarnetWire

/// Builds the entry index (`EntryIndexFile`) of a replica whose events all lie in the log
/// up to a stamp.
///
/// A writer merges what the log gained into the last index file when that file is whole
/// and its stamp still begins the log (`EntryIndexMerge`): a write reads the records it
/// added and orders the entries from the lowest new one, copying the rest. Otherwise (the
/// first build, a file lost, damaged or of a log since rewritten, or a merge it could not
/// show exact) it rebuilds: the orders are the ledger state's (the same `records` and voids
/// `log` and `show` print from the store), where each event lies comes from the last file
/// when its stamp begins the log, and from reading the records after it.
enum EntryIndexBuilder {
    /// How a body was made: merged into the previous file, or rebuilt from every entry, and
    /// why (what tests and measurements look at; the bytes are the same either way).
    enum Made: Equatable, Sendable {
        case merged
        case rebuilt(String)
    }

    /// The body for `replica` at `stamp`, merged into the previous file when it can be,
    /// rebuilt otherwise; nil when an event's place in the log cannot be found (the log does
    /// not read as the store read it): then no index is written, and readers open the store.
    ///
    /// `appended`: where events the writer appended to the log lie, by the first 8 bytes of
    /// their hash (a cold store notes them as it appends). A rebuild takes the places of
    /// events from them and the previous file first, and reads every record only when an
    /// event is in neither: after a first sync, that read decoded and hashed the million
    /// events just received again (some 2.5 s at 1M).
    static func body(replica: Replica, names: EntryIndexNames, stamp: LogStamp, directory: String,
                     storage: any Storage, appended: [UInt64: EntryIndexFile.Location] = [:]) -> (body: [UInt8]?, made: Made) {
        var previous = previousFile(upTo: stamp, directory: directory, storage: storage)
        let membership = Membership(replica: replica)
        let reason: String
        if membership.enforced {
            // Each entry's standing may change with a member record anywhere in the history
            // (a revocation reaches back): the standings are judged again, every entry.
            reason = "the ledger has members"
        } else if let file = previous {
            if let tables = EntryIndexTables(body: file.body, stamp: file.stamp) {
                do throws(EntryIndexMerge.Refusal) {
                    let body = try EntryIndexMerge.body(previous: tables, previousStamp: file.stamp, replica: replica,
                                                        names: names, stamp: stamp, directory: directory, storage: storage)
                    return (body, .merged)
                } catch {
                    reason = error.reason
                    // A whole file the merge found wrong does not describe the log at its
                    // stamp (or the log does not read): its places are not taken either, or
                    // a file missing one would leave every later write without an index.
                    if !error.placesHold { previous = nil }
                }
            } else {
                reason = "the previous index does not check"
            }
        } else {
            reason = "no whole previous index whose stamp begins the log"
        }
        // The previous file's places (a few, or none, after a first sync) looked up first,
        // then the appended ones: one table of a million places, not two.
        let known = appended.isEmpty ? nil : previousLocations(previous)
        let contents = known.flatMap { known in
            Self.contents(replica: replica, ledger: nil, membership: membership, names: names) { known[$0] ?? appended[$0] }
        } ?? locations(upTo: stamp, previous: previous, directory: directory, storage: storage).flatMap {
            Self.contents(replica: replica, ledger: nil, membership: membership, names: names, locations: $0)
        }
        return (contents.map { EntryIndexFile.encodeBody($0, stamp: stamp) }, .rebuilt(reason))
    }

    /// The contents for `replica` at `stamp` made from nothing but the log and the replica
    /// (every record read, every entry ordered), whatever file lies there: what a merged
    /// index must equal, byte for byte, once encoded.
    static func fromScratch(replica: Replica, names: EntryIndexNames, stamp: LogStamp, directory: String,
                            storage: any Storage) -> EntryIndexFile.Contents? {
        locations(upTo: stamp, previous: nil, directory: directory, storage: storage).flatMap {
            contents(replica: replica, ledger: nil, membership: nil, names: names, locations: $0)
        }
    }

    /// The contents for `replica` whose events lie where `locations` says (by the first 8
    /// bytes of their hash); nil when one is not there. `verify` passes what it read from
    /// every record of the log, and the ledger state it built (its records are taken as
    /// they are); otherwise the records are read here, in the same order, without the rest
    /// of what `LedgerState` computes (orders, reviews, the views' indexes: a second or
    /// more at a million entries, for nothing the index holds). `membership`: the ledger's
    /// members as the writer read them (nil: read here, or taken from `ledger`).
    static func contents(replica: Replica, ledger: LedgerState?, membership: Membership? = nil, names: EntryIndexNames,
                         locations: [UInt64: EntryIndexFile.Location]) -> EntryIndexFile.Contents? {
        contents(replica: replica, ledger: ledger, membership: membership, names: names) { locations[$0] }
    }

    /// The same, with each event's place given by `location` (by the first 8 bytes of its hash).
    static func contents(replica: Replica, ledger: LedgerState?, membership: Membership? = nil, names: EntryIndexNames,
                         location: (UInt64) -> EntryIndexFile.Location?) -> EntryIndexFile.Contents? {
        func slot(_ event: EventID) -> EntryIndexFile.Slot? {
            location(event.hash.w0).map { EntryIndexFile.Slot(location: $0, hashPrefix: event.hash.w0, voidedBy: nil) }
        }
        let membership = ledger?.membership ?? membership ?? Membership(replica: replica)
        var judged = StandingList(enforced: membership.enforced)
        // The catalog, party and node assignments, by clock then event id. Taken in the
        // same walk as the entries where the records are read here: each walk of a cold
        // history decodes every chunk again (some 2 s at a million events).
        var assignments: [(clock: HLCTimestamp, id: EventID)] = []
        let (rows, reversalRecords) = ledger.map { state in
            replica.history.forEachEvent { event in
                if case .assign = event.operation { assignments.append((event.clock, event.id)) }
            }
            return Self.rows(state.everyRecord) { record in
                judged.position(of: EntryIndexStanding(record: record, membership: state.membership,
                                                       verdict: state.verdict(of: record)))
            }
        } ?? readableRows(of: replica, assignments: &assignments) { event, record in
            judged.position(of: EntryIndexStanding(event: event, entry: record.entry, membership: membership))
        }
        func reversal(_ row: Row) -> LedgerRecord? { row.reversal < 0 ? nil : reversalRecords[Int(row.reversal)] }
        // Target id → the reversals naming it that count, in record order (`LedgerState.reversals(of:)`:
        // a reversal set aside under the members voids nothing).
        var reversals: [ExactString: [Int]] = [:]
        for (index, row) in rows.enumerated() where judged.counts(row.standing) {
            if let target = reversal(row)?.entry.ref { reversals[ExactString(target), default: []].append(index) }
        }
        // The entries a counting reversal names, read at once in the order they lie: one by
        // one, in clock order, a cold history would decode a chunk for each.
        let named = replica.history.events(withIDs: rows.lazy.filter { $0.reversal < 0 && reversals[ExactString($0.id)] != nil }
            .map(\.event))
        var entries: [EntryIndexFile.Slot] = []
        var ids: [EntryIndexFile.IDKey] = []
        entries.reserveCapacity(rows.count)
        ids.reserveCapacity(rows.count + reversals.count)
        for (index, row) in rows.enumerated() {
            guard var entry = slot(row.event) else { return nil }
            // The first reversal that cancels it (`LedgerState.voidingReversal(of:)`), by the
            // one rule (`LedgerEntry.cancels`), on the entry read again (a few percent are named).
            if row.reversal < 0, let naming = reversals[ExactString(row.id)],
               let record = named[row.event].flatMap(LedgerRecord.init(reading:)) {
                entry.voidedBy = naming.first { reversal(rows[$0])?.entry.cancels(record) == true }
            }
            entries.append(entry)
            ids.append(EntryIndexFile.IDKey(key: EntryIndexFile.key(of: row.id), slot: index, role: .carries))
            if let target = reversal(row)?.entry.ref {
                ids.append(EntryIndexFile.IDKey(key: EntryIndexFile.key(of: target), slot: index, role: .reverses))
            }
        }
        ids.sort(by: EntryIndexFile.IDKey.precedes)
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
        let (standings, members) = judged.inEntryOrder(rows)
        return EntryIndexFile.Contents(entries: entries, ids: ids, changes: changes, held: held, names: names,
                                       standings: standings, members: members)
    }

    /// The standings of the entries as they are judged, each kept once (a ledger has a few:
    /// its devices' roles, and why entries are set aside); renumbered at the end in the
    /// order the entries first name them, the order the file keeps.
    struct StandingList {
        let enforced: Bool
        private var list: [EntryIndexStanding] = []
        private var positions: [EntryIndexStanding: Int32] = [:]

        init(enforced: Bool) { self.enforced = enforced }

        /// The position of `standing`, added when new; -1 where every entry counts.
        mutating func position(of standing: @autoclosure () -> EntryIndexStanding) -> Int32 {
            guard enforced else { return -1 }
            let standing = standing()
            if let known = positions[standing] { return known }
            list.append(standing)
            positions[standing] = Int32(list.count - 1)
            return Int32(list.count - 1)
        }

        /// Whether the entry whose standing is at `position` counts.
        func counts(_ position: Int32) -> Bool { position < 0 || list[Int(position)].verdict == .counts }

        /// The standings table and the `members` list of the file for `rows`, in entry order.
        func inEntryOrder(_ rows: [Row]) -> (standings: [Int], members: [EntryIndexStanding]?) {
            guard enforced else { return ([], nil) }
            var renumbered = [Int](repeating: -1, count: list.count)
            var members: [EntryIndexStanding] = []
            var standings: [Int] = []
            standings.reserveCapacity(rows.count)
            for row in rows {
                let old = Int(row.standing)
                if renumbered[old] < 0 {
                    renumbered[old] = members.count
                    members.append(list[old])
                }
                standings.append(renumbered[old])
            }
            return (standings, members)
        }
    }

    /// What the index needs of a readable entry: where it sorts, its id, and for a reversal
    /// where its whole record is kept (what it names), -1 for other entries. A million
    /// `LedgerRecord`s held at once cost a writer some 400 MB more; these, about 100.
    struct Row {
        var clock: HLCTimestamp
        var event: EventID
        var id: String
        var reversal: Int32
        /// The position of its standing in a `StandingList` (-1 where every entry counts).
        var standing: Int32
    }

    /// The rows of records already in (clock, event id) order, and the reversals' records;
    /// `standing` gives each row's.
    static func rows(_ records: [LedgerRecord], standing: (LedgerRecord) -> Int32) -> ([Row], [LedgerRecord]) {
        var rows: [Row] = []
        var reversals: [LedgerRecord] = []
        rows.reserveCapacity(records.count)
        for record in records { rows.append(row(record, standing: standing(record), keeping: &reversals)) }
        return (rows, reversals)
    }

    private static func row(_ record: LedgerRecord, standing: Int32, keeping reversals: inout [LedgerRecord]) -> Row {
        guard record.entry.kind == .reversal else {
            return Row(clock: record.clock, event: record.event, id: record.entry.id, reversal: -1, standing: standing)
        }
        reversals.append(record)
        return Row(clock: record.clock, event: record.event, id: record.entry.id, reversal: Int32(reversals.count - 1),
                   standing: standing)
    }

    /// The readable entries of the accepted events in (clock, event id) order (the
    /// `everyRecord` of `LedgerState`), as rows, and the reversals' records; `standing`
    /// gives each row's. The assignments met on the way are added to `assignments`.
    static func readableRows(of replica: Replica, assignments: inout [(clock: HLCTimestamp, id: EventID)],
                             standing: (Event, LedgerRecord) -> Int32) -> ([Row], [LedgerRecord]) {
        var rows: [Row] = []
        var reversals: [LedgerRecord] = []
        // Nearly every event is an entry: one array of the right size, not twenty doublings
        // (the last of which held 1.5 times the rows at once).
        rows.reserveCapacity(replica.history.count)
        replica.history.forEachEvent { event in
            if let record = LedgerRecord(reading: event) {
                rows.append(row(record, standing: standing(event, record), keeping: &reversals))
            } else if case .assign = event.operation {
                assignments.append((event.clock, event.id))
            }
        }
        rows.sort { ($0.clock, $0.event) < ($1.clock, $1.event) }
        return (rows, reversals)
    }

    /// The last index file of `directory` when it is whole (trailer) and its stamp still
    /// begins the log up to `stamp`.
    static func previousFile(upTo stamp: LogStamp, directory: String, storage: any Storage) -> StampedFile? {
        // The bytes read are handed to `decode`, which cuts the body out of them in place.
        guard let bytes = try? storage.openReadOnly(directory + "/" + EntryIndexFile.fileName).readAll(),
              let file = StampedFile.decode(consume bytes, as: .entries), file.stamp.size <= stamp.size,
              file.stamp.isPrefix(directory: directory, storage: storage) else { return nil }
        return file
    }

    /// Where the events of `previous` (the last index file, whole, its stamp beginning the
    /// log) lie, without reading the log; none when there is no such file.
    static func previousLocations(_ previous: StampedFile?) -> [UInt64: EntryIndexFile.Location] {
        guard let file = previous, let previous = EntryIndexFile.decodeBody(file.body, stamp: file.stamp, withIDs: false) else {
            return [:]
        }
        var locations: [UInt64: EntryIndexFile.Location] = [:]
        for slot in previous.entries + previous.changes + previous.held { locations[slot.hashPrefix] = slot.location }
        return locations
    }

    /// Where each event of the log up to `stamp` lies, by the first 8 bytes of its hash:
    /// the entries, changes and held events of `previous` (the last index file, when it is
    /// whole and its stamp still begins the log), then every record after that stamp, read and decoded.
    static func locations(upTo stamp: LogStamp, previous: StampedFile?, directory: String,
                          storage: any Storage) -> [UInt64: EntryIndexFile.Location]? {
        var locations: [UInt64: EntryIndexFile.Location] = [:]
        var start = FileHeader.size
        if let file = previous, let previous = EntryIndexFile.decodeBody(file.body, stamp: file.stamp, withIDs: false) {
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
