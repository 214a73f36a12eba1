import CarnetCore
import CarnetLedger
import CarnetStore
import CarnetSystem
import CarnetWire

/// The entry index of a replica made from the previous file and what the log gained after
/// its stamp, instead of from every entry: a `carnet record` on a hub of a million entries
/// read, ordered, hashed and wrote a million entries to add one.
///
/// Why the result is the file a full build writes (`EntryIndexBuilder`), byte for byte:
///
/// - A replica's accepted events only grow (`History`: chains and branches are never cut,
///   a pending event is accepted once its predecessor comes), and a replica is what its
///   log says. So the entries and changes accepted now are those of the previous file and
///   those the log gained after its stamp or held at it (its `held` table): the
///   *candidates*.
/// - Both orders are (clock, event id). Every entry at or above the lowest candidate's
///   place, the *tail*, is taken from the replica and sorted; below it nothing moved, so
///   the previous order's slots are kept as they are (their blocks copied whole), and the
///   previous slots at or above it must be exactly the tail's events that are not new, in
///   the same order, ending the previous table: that is checked, slot by slot from the
///   end, and anything else (an event no longer accepted, another order, an accepted event
///   that is neither in the previous file nor a candidate) refuses the merge. When the
///   previous table ends below the lowest candidate (a `record`: its entry is the newest),
///   the tail is the candidates alone and the replica is not walked. A farm's old events
///   make the tail longer, never wrong.
/// - A slot's place is the last record holding its event, as the full build takes it: an
///   event the log gained again (a pending one received twice, two writers storing one
///   event) is a candidate, hence in the tail, and takes its new place.
/// - `voided by` is the first reversal, in order, naming the entry's id that cancels it.
///   Kept slots keep their void, moved to where the merge put it; only the entries of
///   ids a new entry carries or a new reversal names are decided again, from every entry
///   and reversal of those ids (found by key in the previous id table and among the new).
/// - Id lines keep their order when their slots move (the merge keeps the order of the
///   entries it moves); the new ones are merged in.
///
/// Holds the previous body and the new one (each some 40 bytes an entry) and the tail.
enum EntryIndexMerge {
    /// Why the previous file could not be merged with: the writer rebuilds from every entry.
    struct Refusal: Error, Sendable {
        var reason: String
        /// The previous file was not found wrong, only not worth merging with: the rebuild
        /// may still take the places of events from it.
        var placesHold = false
    }

    /// A row of a tail: an accepted event at or above the lowest candidate of its order.
    private struct Row {
        var clock: HLCTimestamp
        var event: EventID
    }

    /// Where the tail of one order goes: the previous slots below `start` stay; the tail
    /// follows them. `previous[i]` is the previous slot of tail row `i`, nil for a new one.
    private struct Tail {
        var rows: [Row]
        var start: Int
        var previous: [Int?]
        /// The new slot of each previous slot from `start`.
        var moved: [Int]
    }

    /// The refusal when the log gained more than `mostCandidates` events (`count`: those
    /// read before reading stopped).
    private static func tooMany(_ count: Int) -> Refusal {
        Refusal(reason: "the log gained \(count) events or more, more than the previous index holds entries", placesHold: true)
    }

    /// The body of the index of `replica` at `stamp` (`EntryIndexFile.encodeBody`'s bytes),
    /// from `previous`, the tables of the whole file stamped `previousStamp`, a prefix of
    /// the log. Throws a `Refusal` saying why when it cannot show the merge is exact.
    ///
    /// `newStandings`: in a ledger with members, the standing of every entry added, by its
    /// writer (entries that count, judged from the views: `EntryIndexStanding.counting`); a
    /// file that keeps standings is merged only with them, and only when the order in which
    /// the file lists the standings (by the first entry naming each) stays as it was.
    static func body(previous: EntryIndexTables, previousStamp: LogStamp, replica: some AcceptedEvents, names: EntryIndexNames,
                     stamp: LogStamp, directory: String, storage: any Storage,
                     newStandings: [NodeID: EntryIndexStanding]? = nil) throws(Refusal) -> [UInt8] {
        guard previousStamp.size <= stamp.size,
              let log = LogRecordReader(directory: directory, prefix: stamp, storage: storage) else {
            throw Refusal(reason: "the log does not read up to its stamp")
        }
        // Standings are merged only with the one of every entry added.
        guard previous.hasMembers == (newStandings != nil) else {
            throw Refusal(reason: previous.hasMembers ? "the previous index keeps the standings of a ledger with members"
                                                      : "the previous index keeps no standings", placesHold: true)
        }
        // What the log gained after the previous stamp, each event at its last place.
        // A merge holds the record of every new entry; when the log gained more events than
        // the previous file holds entries (an import into a new hub, a first sync), the
        // rebuild, which holds compact rows, is the cheaper way: reading stops there, or a
        // farm's first sync of a million events held them all here to refuse (1.9 GB).
        let mostCandidates = max(4_096, previous.count(.entries))
        var fresh: [UInt64: EntryIndexFile.Location] = [:]
        var candidates: [EventID: Event] = [:]
        let read = log.readRecords(from: previousStamp.size) { offset, events in
            for (index, event) in events.enumerated() {
                fresh[event.hash.w0] = EntryIndexFile.Location(offset: offset, index: index)
                candidates[event.id] = event
            }
            return candidates.count <= mostCandidates
        }
        guard read else { throw Refusal(reason: "a record after the previous index's stamp does not read") }
        guard candidates.count <= mostCandidates else { throw Self.tooMany(candidates.count) }
        // The events held at the previous stamp, read where the previous file says.
        var heldPlaces: [UInt64: EntryIndexFile.Location] = [:]
        var records: [Int: [Event]] = [:]
        for index in 0..<previous.count(.held) {
            guard let slot = previous.slot(.held, index) else { throw Refusal(reason: "a held slot does not read") }
            heldPlaces[slot.hashPrefix] = slot.location
            let event = try Self.event(slot, log: log, records: &records)
            candidates[event.id] = event
        }
        guard candidates.count <= mostCandidates else { throw Self.tooMany(candidates.count) }
        // The accepted candidates, and the lowest place a new entry, and a new change, can take.
        var newEntries: [Row] = [], newChanges: [Row] = []
        for event in candidates.values where replica.accepts(event.id) {
            if case .assign = event.operation {
                newChanges.append(Row(clock: event.clock, event: event.id))
            } else if LedgerRecord(reading: event) != nil {
                newEntries.append(Row(clock: event.clock, event: event.id))
            }
        }
        let lowestEntry = newEntries.min(by: Self.precedes), lowestChange = newChanges.min(by: Self.precedes)
        // The tails: every accepted entry and change from there. When the previous table
        // ends below its lowest candidate (one record read: a `record`'s entry is the newest),
        // that is the candidates alone, every accepted event the file did not hold being
        // one; otherwise they are taken from the replica, a walk over every event.
        let walkEntries = try !Self.endsBelow(.entries, lowestEntry, previous: previous, log: log, records: &records)
        let walkChanges = try !Self.endsBelow(.changes, lowestChange, previous: previous, log: log, records: &records)
        var entryRows = walkEntries ? [] : newEntries, changeRows = walkChanges ? [] : newChanges
        if walkEntries || walkChanges {
            let walked = replica.forEachAccepted { event in
                let row = Row(clock: event.clock, event: event.id)
                if case .assign = event.operation {
                    if walkChanges, let lowestChange, !Self.precedes(row, lowestChange) { changeRows.append(row) }
                } else if walkEntries, let lowestEntry, event.clock >= lowestEntry.clock, !Self.precedes(row, lowestEntry),
                          LedgerRecord(reading: event) != nil {
                    entryRows.append(row)
                }
            }
            if !walked {
                // A state that cannot walk its events (a writer without a replica, where
                // nothing waits): the accepted events at or above the lowest candidate are
                // the previous order's from there, read from the log, and the candidates.
                if walkEntries, let lowestEntry {
                    entryRows = try Self.suffix(.entries, from: lowestEntry, previous: previous, log: log, records: &records)
                        + newEntries
                }
                if walkChanges, let lowestChange {
                    changeRows = try Self.suffix(.changes, from: lowestChange, previous: previous, log: log, records: &records)
                        + newChanges
                }
            }
        }
        let entries = try tail(entryRows, of: .entries, in: previous, candidates: candidates)
        let changes = try tail(changeRows, of: .changes, in: previous, candidates: candidates)
        // The kept slot just below each tail lies below its lowest candidate (one record read):
        // the previous order then keeps every slot below it there too.
        for (table, tail, lowest) in [(EntryIndexTables.Table.entries, entries, lowestEntry), (.changes, changes, lowestChange)]
            where tail.start > 0 {
            guard let lowest else { continue }
            guard let slot = previous.slot(table, tail.start - 1) else { throw Refusal(reason: "a slot does not read") }
            let event = try Self.event(slot, log: log, records: &records)
            guard Self.precedes(Row(clock: event.clock, event: event.id), lowest), replica.accepts(event.id) else {
                throw Refusal(reason: "the previous index's \(table) below the tail are not below what was added")
            }
        }

        func place(_ row: Row, _ table: EntryIndexTables.Table, _ old: Int?) throws(Refusal) -> EntryIndexFile.Location {
            if let location = fresh[row.event.hash.w0] ?? heldPlaces[row.event.hash.w0] { return location }
            guard let old, let slot = previous.slot(table, old) else {
                throw Refusal(reason: "the place of event \(row.event) in the log is not known")
            }
            return slot.location
        }

        // The new entries' records, and the voids to decide again.
        var newRecords: [Int: LedgerRecord] = [:]
        for (index, row) in entries.rows.enumerated() where entries.previous[index] == nil {
            guard let event = candidates[row.event], let record = LedgerRecord(reading: event) else {
                throw Refusal(reason: "a new entry does not read")
            }
            newRecords[entries.start + index] = record
        }
        let voids = try decideVoids(newRecords: newRecords, entries: entries, previous: previous, replica: replica,
                                    log: log, records: &records)
        // With members: none voided or voiding (a reversal's standing decides whether it voids:
        // the rebuild judges), and the standings listed as before, new ones after them.
        var standings = previous.members
        var tailStandings: [Int] = []
        if let newStandings {
            guard voids.values.allSatisfy({ $0 == 0 }), newRecords.values.allSatisfy({ $0.entry.kind != .reversal }) else {
                throw Refusal(reason: "an entry added voids or is voided, in a ledger with members", placesHold: true)
            }
            tailStandings = try Self.tailStandings(entries, newRecords: newRecords, newStandings: newStandings,
                                                   previous: previous, standings: &standings)
        }

        var body: [UInt8] = []
        let pending = replica.pendingEvents
        let entryCount = entries.start + entries.rows.count
        let counts = [entryCount, 0, changes.start + changes.rows.count, pending.count, newStandings == nil ? 0 : entryCount]
        // The id lines, merged before the counts are written (their count is the sum).
        var newLines: [EntryIndexFile.IDKey] = []
        for (slot, record) in newRecords {
            newLines.append(EntryIndexFile.IDKey(key: EntryIndexFile.key(of: record.entry.id), slot: slot, role: .carries))
            if record.entry.kind == .reversal, let target = record.entry.ref {
                newLines.append(EntryIndexFile.IDKey(key: EntryIndexFile.key(of: target), slot: slot, role: .reverses))
            }
        }
        newLines.sort(by: EntryIndexFile.IDKey.precedes)
        let idCount = previous.count(.ids) + newLines.count
        let sizes = EntryIndexFile.tableSizes([counts[0], idCount, counts[2], counts[3], counts[4]])
        let namesBytes = names.encoded
        body.reserveCapacity(EntryIndexFile.countsSize + 4 + sizes.reduce(0, +) + 16 + namesBytes.count)
        var head: [UInt8] = []
        for count in [counts[0], idCount, counts[2], counts[3], counts[4]] { EntryIndexFile.put32(UInt32(count), &head) }
        body += head
        EntryIndexFile.put32(CRC32C.checksum(FileHeader.entries.bytes + stamp.bytes + head), &body)

        // Entries: the kept slots (whole blocks copied when no void in them moved), then the tail.
        func void(_ field: Int) throws(Refusal) -> Int {
            guard field > 0 else { return 0 }
            guard field - 1 < previous.count(.entries) else { throw Refusal(reason: "a void names no entry") }
            return field - 1 < entries.start ? field : entries.moved[field - 1 - entries.start] + 1
        }
        let decided = Set(voids.keys.map { $0 / EntryIndexFile.blockElements })
        var writer = EntryIndexTableWriter(body: body)
        var index = 0
        while index < entries.start {
            if writer.atBlockStart, index + EntryIndexFile.blockElements <= entries.start,
               !decided.contains(index / EntryIndexFile.blockElements),
               Self.voidsStay(from: index, previous: previous, below: entries.start) {
                let range = previous.elementBytes(.entries, block: index / EntryIndexFile.blockElements)
                writer.copyBlock(previous.body[range.lowerBound..<(range.upperBound + 4)], to: &body)
                index += EntryIndexFile.blockElements
                continue
            }
            let at = previous.offset(.entries, index)
            var field = voids[index] ?? 0
            if voids[index] == nil { field = try void(previous.voidField(index)) }
            writer.append(to: &body) { bytes in
                bytes.append(contentsOf: previous.body[at..<(at + 12)])
                EntryIndexFile.put32(UInt32(field), &bytes)
                bytes.append(contentsOf: previous.body[(at + 16)..<(at + 24)])
            }
            index += 1
        }
        for (offset, row) in entries.rows.enumerated() {
            let slot = entries.start + offset
            let old = entries.previous[offset]
            let location = try place(row, .entries, old)
            var field = voids[slot] ?? 0
            if voids[slot] == nil, let old { field = try void(previous.voidField(old)) }
            writer.append(to: &body) { bytes in
                Self.writeSlot(location, void: field, prefix: row.event.hash.w0, into: &bytes)
            }
        }
        writer.finish(&body)

        // Ids: the previous lines, their slots moved, merged with the new ones.
        writer = EntryIndexTableWriter(body: body)
        var next = 0
        var line = 0
        while line < previous.count(.ids) {
            // Whole blocks copied until the first new line or moved slot.
            if next == 0, writer.atBlockStart, line + EntryIndexFile.blockElements <= previous.count(.ids),
               Self.idsStay(from: line, previous: previous, below: entries.start, before: newLines.first) {
                let range = previous.elementBytes(.ids, block: line / EntryIndexFile.blockElements)
                writer.copyBlock(previous.body[range.lowerBound..<(range.upperBound + 4)], to: &body)
                line += EntryIndexFile.blockElements
                continue
            }
            defer { line += 1 }
            guard var kept = previous.idLine(line), kept.slot < previous.count(.entries) else {
                throw Refusal(reason: "an id line does not read")
            }
            if kept.slot >= entries.start { kept.slot = entries.moved[kept.slot - entries.start] }
            while next < newLines.count, EntryIndexFile.IDKey.precedes(newLines[next], kept) {
                let added = newLines[next]
                writer.append(to: &body) { Self.writeLine(added, into: &$0) }
                next += 1
            }
            writer.append(to: &body) { Self.writeLine(kept, into: &$0) }
        }
        for added in newLines[next...] { writer.append(to: &body) { Self.writeLine(added, into: &$0) } }
        writer.finish(&body)

        // Changes: the kept slots (whole blocks copied), then the tail.
        writer = EntryIndexTableWriter(body: body)
        Self.copyKept(.changes, below: changes.start, of: previous, with: &writer, into: &body)
        for (offset, row) in changes.rows.enumerated() {
            let location = try place(row, .changes, changes.previous[offset])
            writer.append(to: &body) { Self.writeSlot(location, void: 0, prefix: row.event.hash.w0, into: &$0) }
        }
        writer.finish(&body)

        // Held: the events waiting now, each from the log gained or the previous held table.
        writer = EntryIndexTableWriter(body: body)
        for event in pending {
            guard let location = fresh[event.hash.w0] ?? heldPlaces[event.hash.w0] else {
                throw Refusal(reason: "the place of held event \(event.id) in the log is not known")
            }
            writer.append(to: &body) { Self.writeSlot(location, void: 0, prefix: event.hash.w0, into: &$0) }
        }
        writer.finish(&body)

        // Standings (with members): the kept entries' copied, whole blocks where they can be;
        // the tail's moved with their entries, the new ones' the writer's.
        if newStandings != nil {
            writer = EntryIndexTableWriter(body: body)
            Self.copyKept(.standings, below: entries.start, of: previous, with: &writer, into: &body)
            for position in tailStandings {
                writer.append(to: &body) { EntryIndexFile.put32(UInt32(position), &$0) }
            }
            writer.finish(&body)
        }
        // Names, then the standings listed (none without members).
        EntryIndexFile.appendSection(namesBytes, to: &body)
        EntryIndexFile.appendSection(newStandings == nil ? [] : EntryIndexStanding.encodeList(standings), to: &body)
        return body
    }

    /// The standing position of each tail row: a moved entry's as before, a new one's its
    /// writer's (`newStandings`, added to `standings` when not listed). Refuses unless the
    /// list keeps the order a full build gives it, by the first entry naming each standing:
    /// a new entry naming a standing before its first entry, or a new standing before the
    /// first entry of one listed after it, would change every later position.
    private static func tailStandings(_ entries: Tail, newRecords: [Int: LedgerRecord],
                                      newStandings: [NodeID: EntryIndexStanding], previous: EntryIndexTables,
                                      standings: inout [EntryIndexStanding]) throws(Refusal) -> [Int] {
        let listed = standings.count
        var positions: [Int] = []
        positions.reserveCapacity(entries.rows.count)
        for (index, old) in entries.previous.enumerated() {
            if let old {
                positions.append(previous.standing(old))
                continue
            }
            guard let record = newRecords[entries.start + index], let standing = newStandings[record.writer] else {
                throw Refusal(reason: "a new entry's standing is not known", placesHold: true)
            }
            if let known = standings.firstIndex(of: standing) {
                positions.append(known)
            } else {
                standings.append(standing)
                positions.append(standings.count - 1)
            }
        }
        // The order of first entries: the kept slots' (read until every listed standing is
        // seen), then the tail's.
        var seen = [Bool](repeating: false, count: standings.count)
        var order: [Int] = []
        var index = 0
        while index < entries.start, order.count < listed {
            let position = previous.standing(index)
            guard position >= 0, position < seen.count else { throw Refusal(reason: "a kept standing is out of range") }
            if !seen[position] { seen[position] = true; order.append(position) }
            index += 1
        }
        for position in positions where !seen[position] {
            seen[position] = true
            order.append(position)
        }
        guard order == Array(0..<standings.count) else {
            throw Refusal(reason: "the entries added change the order of the standings, in a ledger with members", placesHold: true)
        }
        return positions
    }

    /// Copies the elements of `table` below `end` as the previous file has them: whole
    /// blocks, their CRC included, where a block lies wholly below `end`; the rest one by one.
    private static func copyKept(_ table: EntryIndexTables.Table, below end: Int, of previous: EntryIndexTables,
                                 with writer: inout EntryIndexTableWriter, into body: inout [UInt8]) {
        var index = 0
        while index < end {
            if writer.atBlockStart, index + EntryIndexFile.blockElements <= end {
                let range = previous.elementBytes(table, block: index / EntryIndexFile.blockElements)
                writer.copyBlock(previous.body[range.lowerBound..<(range.upperBound + 4)], to: &body)
                index += EntryIndexFile.blockElements
                continue
            }
            let at = previous.offset(table, index)
            writer.append(to: &body) { $0.append(contentsOf: previous.body[at..<(at + table.width)]) }
            index += 1
        }
    }

    // MARK: - The tail of an order

    /// The tail of `table`'s order: `rows` sorted, matched from the end of the previous
    /// table. Refused when the previous slots from where the match stops are not exactly
    /// the rows that are not candidates, in order, or a row is neither.
    private static func tail(_ rows: [Row], of table: EntryIndexTables.Table, in previous: EntryIndexTables,
                             candidates: [EventID: Event]) throws(Refusal) -> Tail {
        let rows = rows.sorted(by: precedes)
        var positions: [UInt64: Int] = [:]
        positions.reserveCapacity(rows.count)
        for (index, row) in rows.enumerated() { positions[row.event.hash.w0] = index }
        var matched = [Int?](repeating: nil, count: rows.count)
        var slot = previous.count(table) - 1
        var below = rows.count
        while slot >= 0, let index = positions[previous.hashPrefix(table, slot)] {
            guard index < below else {
                throw Refusal(reason: "the previous index orders its last \(table) otherwise than the replica")
            }
            matched[index] = slot
            below = index
            slot -= 1
        }
        for (index, row) in rows.enumerated() where matched[index] == nil && candidates[row.event] == nil {
            throw Refusal(reason: "event \(row.event) is accepted, neither in the previous index nor added since")
        }
        let start = slot + 1
        var moved = [Int](repeating: 0, count: previous.count(table) - start)
        for (index, old) in matched.enumerated() {
            if let old { moved[old - start] = start + index }
        }
        return Tail(rows: rows, start: start, previous: matched, moved: moved)
    }

    /// The rows of the previous order's slots at or above `lowest`, read from the log from
    /// the end back: for a state that holds every event it indexed accepted and nothing
    /// waiting, these are every accepted row there but the candidates. Refused past
    /// `mostRows` (an old farm's entries merged into a large hub: the rebuild is cheaper).
    private static func suffix(_ table: EntryIndexTables.Table, from lowest: Row, previous: EntryIndexTables,
                               log: LogRecordReader, records: inout [Int: [Event]],
                               mostRows: Int = 65_536) throws(Refusal) -> [Row] {
        var rows: [Row] = []
        var slot = previous.count(table) - 1
        while slot >= 0 {
            guard let place = previous.slot(table, slot) else { throw Refusal(reason: "a slot does not read") }
            let event = try event(place, log: log, records: &records)
            let row = Row(clock: event.clock, event: event.id)
            guard !precedes(row, lowest) else { break }
            guard rows.count < mostRows else {
                throw Refusal(reason: "more than \(mostRows) \(table) lie above what was added", placesHold: true)
            }
            rows.append(row)
            slot -= 1
        }
        return rows
    }

    /// Whether `table` of the previous file is empty or ends below `lowest` (nil: nothing new
    /// of that kind, no tail to find).
    private static func endsBelow(_ table: EntryIndexTables.Table, _ lowest: Row?, previous: EntryIndexTables,
                                  log: LogRecordReader, records: inout [Int: [Event]]) throws(Refusal) -> Bool {
        guard let lowest, previous.count(table) > 0 else { return true }
        guard let slot = previous.slot(table, previous.count(table) - 1) else { throw Refusal(reason: "a slot does not read") }
        let last = try event(slot, log: log, records: &records)
        return precedes(Row(clock: last.clock, event: last.id), lowest)
    }

    // MARK: - Voids

    /// The `voided by` field (0, or 1 + slot) of every entry, new or kept, that carries an id
    /// a new entry carries or a new reversal names, by new slot: the rule of the full build
    /// (the first reversal in order naming the id that cancels the entry), over every entry
    /// and reversal of those ids.
    private static func decideVoids(newRecords: [Int: LedgerRecord], entries: Tail, previous: EntryIndexTables,
                                    replica: some AcceptedEvents, log: LogRecordReader,
                                    records: inout [Int: [Event]]) throws(Refusal) -> [Int: Int] {
        // The ids to decide, and the new slots carrying or naming each (kept by id, not
        // searched for each: an import merges thousands of new entries).
        var ids: [ExactString: String] = [:]
        var related: [ExactString: [Int]] = [:]
        for (slot, record) in newRecords {
            related[ExactString(record.entry.id), default: []].append(slot)
            if record.entry.kind == .reversal {
                guard let target = record.entry.ref else { continue }
                ids[ExactString(target)] = target
                if ExactString(target) != ExactString(record.entry.id) { related[ExactString(target), default: []].append(slot) }
            } else {
                ids[ExactString(record.entry.id)] = record.entry.id
            }
        }
        var voids: [Int: Int] = [:]
        for (exact, id) in ids {
            // Every entry carrying the id and reversal naming it, by new slot.
            var found: [Int: LedgerRecord] = [:]
            for slot in related[exact] ?? [] { found[slot] = newRecords[slot] }
            let key = EntryIndexFile.key(of: id)
            var line = previous.firstIDLine(atLeast: key)
            while line < previous.count(.ids), let kept = previous.idLine(line), kept.key == key {
                guard kept.slot < previous.count(.entries) else { throw Refusal(reason: "an id line names no entry") }
                let slot = kept.slot < entries.start ? kept.slot : entries.moved[kept.slot - entries.start]
                if found[slot] == nil {
                    found[slot] = try record(at: kept.slot, moved: slot, entries: entries, previous: previous,
                                             replica: replica, log: log, records: &records)
                }
                line += 1
            }
            let reversals = found.filter {
                $0.value.entry.kind == .reversal && $0.value.entry.ref.map(ExactString.init) == exact
            }.sorted { $0.key < $1.key }
            for (slot, record) in found where record.entry.kind != .reversal && ExactString(record.entry.id) == exact {
                voids[slot] = reversals.first { $0.value.entry.cancels(record) }.map { $0.key + 1 } ?? 0
            }
        }
        return voids
    }

    /// The record of previous slot `slot` (now at `moved`): from the replica when it lies in
    /// the tail, from the log otherwise, checked against the slot's hash prefix.
    private static func record(at slot: Int, moved: Int, entries: Tail, previous: EntryIndexTables, replica: some AcceptedEvents,
                               log: LogRecordReader, records: inout [Int: [Event]]) throws(Refusal) -> LedgerRecord {
        if slot >= entries.start, let event = replica.acceptedEvent(entries.rows[moved - entries.start].event),
           let record = LedgerRecord(reading: event) {
            return record
        }
        guard let kept = previous.slot(.entries, slot), let record = LedgerRecord(reading: try event(kept, log: log, records: &records))
        else { throw Refusal(reason: "entry slot \(slot) of the previous index does not read") }
        return record
    }

    /// Whether no void of the kept block of entries from `index` names a slot from `start`
    /// (which the merge may move).
    private static func voidsStay(from index: Int, previous: EntryIndexTables, below start: Int) -> Bool {
        for slot in index..<(index + EntryIndexFile.blockElements) where previous.voidField(slot) > start {
            return false
        }
        return true
    }

    /// Whether the block of id lines from `line` is written as it was: every slot it names
    /// stays, and no new line goes before its last.
    private static func idsStay(from line: Int, previous: EntryIndexTables, below start: Int,
                                before next: EntryIndexFile.IDKey?) -> Bool {
        for index in line..<(line + EntryIndexFile.blockElements) {
            guard let kept = previous.idLine(index), kept.slot < start else { return false }
        }
        guard let next, let last = previous.idLine(line + EntryIndexFile.blockElements - 1) else { return true }
        return !EntryIndexFile.IDKey.precedes(next, last)
    }

    // MARK: - Bytes

    private static func event(_ slot: EntryIndexFile.Slot, log: LogRecordReader,
                              records: inout [Int: [Event]]) throws(Refusal) -> Event {
        let events: [Event]
        if let cached = records[slot.location.offset] {
            events = cached
        } else {
            guard let read = log.events(at: slot.location.offset) else {
                throw Refusal(reason: "no sound log record at offset \(slot.location.offset), where the previous index points")
            }
            if records.count >= 64 { records.removeAll(keepingCapacity: true) }
            records[slot.location.offset] = read
            events = read
        }
        guard slot.location.index < events.count, events[slot.location.index].hash.w0 == slot.hashPrefix else {
            throw Refusal(reason: "the log record at offset \(slot.location.offset) does not hold the event the previous index names")
        }
        return events[slot.location.index]
    }

    private static func precedes(_ a: Row, _ b: Row) -> Bool {
        (a.clock, a.event) < (b.clock, b.event)
    }

    private static func writeSlot(_ location: EntryIndexFile.Location, void: Int, prefix: UInt64, into bytes: inout [UInt8]) {
        EntryIndexFile.put64(UInt64(location.offset), &bytes)
        EntryIndexFile.put32(UInt32(location.index), &bytes)
        EntryIndexFile.put32(UInt32(void), &bytes)
        EntryIndexFile.put64(prefix, &bytes)
    }

    private static func writeLine(_ line: EntryIndexFile.IDKey, into bytes: inout [UInt8]) {
        EntryIndexFile.put64(line.key, &bytes)
        EntryIndexFile.put32(UInt32(line.slot), &bytes)
        EntryIndexFile.put32(line.role.rawValue, &bytes)
    }
}
