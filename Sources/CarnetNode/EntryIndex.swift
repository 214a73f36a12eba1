import CarnetCore
import CarnetLedger
import CarnetStore
import CarnetSystem
import CarnetWire

/// The entry index of a directory, opened for reading while it describes the log exactly
/// as it is (protocol/SPEC.md §6.7): `show` and `log --limit` answer from it and the few
/// log records it points at, at any size, in milliseconds and a few megabytes.
///
/// Reads block by block (each checked against its CRC-32C when first read) and record by
/// record (each checked as opening checks it, and every event compared with the hash
/// prefix the index names). Any mismatch throws `Damage`: the caller opens the store
/// instead, so a damaged index costs time, never a wrong answer.
///
/// One command's reader: not shared between threads.
public final class EntryIndex {
    /// Why the index could not answer after it was opened: a block or a record that does
    /// not check. The message names what, for the warning a command shows.
    public struct Damage: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    private let file: any StorageFile
    let log: LogRecordReader
    /// The log state the index describes, its tail added.
    public let stamp: LogStamp
    /// How many readable entries the file holds: the length of its entries order.
    let slotCount: Int
    /// The entries of the records past the file's stamp a reader may add (`DerivedTail`,
    /// SPEC §6.8), in the entries' order (clock, then event id): shown beside the file's.
    /// Each is an entry naming no other, whose id no other entry carries or names.
    let tail: [LedgerRecord]
    private let tailByID: [ExactString: [LedgerRecord]]
    /// The writes of nodes' own labels among those records (SPEC §6.8): changes `log` lists
    /// beside the file's.
    private let tailChanges: [Event]
    /// In a ledger with members, the standing of each of `tail`'s entries (each counts).
    private let tailStandings: [EventID: EntryIndexStanding]
    /// How many readable entries the ledger holds: the length of `log`'s order.
    public var entryCount: Int { slotCount + tail.count }
    /// The log state the file describes; `stamp` is the one it describes with its tail.
    public let fileStamp: LogStamp
    /// The names of products, parties and writers, as the catalog and the replica give them.
    public let names: EntryIndexNames
    /// In a ledger with members (§9.5), every standing an entry has; nil where every entry
    /// counts, and nothing about standing is printed.
    public let members: [EntryIndexStanding]?
    private let idCount: Int
    private let changeCount: Int
    private let starts: [Int]
    private var blocks: [Int: [UInt8]] = [:]
    private var records: [Int: [Event]] = [:]
    /// Bounds on what is kept read: at most 1.5 MB of blocks, 64 decoded records.
    // `show` reads some 20 blocks, `log` a walk of them once each (and a few voids' again):
    // 24 MB of blocks kept was most of a streamed `log`'s memory at a million entries.
    private static let blocksKept = 256
    private static let recordsKept = 64

    enum Table: Int {
        case entries = 0, ids, changes, held, standings

        var width: Int {
            switch self {
            case .ids: EntryIndexFile.keySize
            case .standings: EntryIndexFile.standingSize
            case .entries, .changes, .held: EntryIndexFile.slotSize
            }
        }
    }

    /// The index of `directory` when it is whole at its head and its names and describes the
    /// log as it is now; nil when it is missing, of another format or version, damaged at
    /// its head or names, of the wrong length, or stale.
    ///
    /// `status`: read against that status file (`StoreStatus.prefix`) instead of the log as it
    /// is now, as `LedgerViewsFile` reads the views for a server's save.
    public static func current(directory: String, storage: any Storage = PosixStorage(), status: StoreStatus? = nil) -> EntryIndex? {
        guard let file = try? storage.openReadOnly(directory + "/" + EntryIndexFile.fileName),
              let head = try? file.read(at: 0, count: EntryIndexFile.headSize), head.count == EntryIndexFile.headSize,
              FileHeader.entries.read(head) == .matches,
              let stamp = LogStamp.read(head, at: FileHeader.size) else { return nil }
        let countsAt = FileHeader.size + LogStamp.encodedSize
        guard let counts = EntryIndexFile.readCounts(Array(head[countsAt...]), stamp: stamp) else { return nil }
        let sizes = EntryIndexFile.tableSizes(counts)
        let namesAt = EntryIndexFile.headSize + sizes.reduce(0, +)
        // The names and the members follow the tables, each a few kilobytes: read together.
        guard let fileSize = try? file.size(), fileSize >= namesAt + 12,
              let tail = try? file.read(at: namesAt, count: fileSize - namesAt), tail.count == fileSize - namesAt else { return nil }
        var offset = 0
        guard let namesBytes = EntryIndexFile.readSection(tail, &offset), let names = EntryIndexNames.decode(namesBytes),
              let membersBytes = EntryIndexFile.readSection(tail, &offset), offset + 4 == tail.count,
              let members = EntryIndexFile.decodeMembers(membersBytes, standingCount: counts[4], entryCount: counts[0])
        else { return nil }
        let exact: LogRecordReader?
        if let status {
            exact = stamp == status.stamp ? LogRecordReader(directory: directory, prefix: stamp, storage: storage) : nil
        } else {
            exact = LogRecordReader(directory: directory, stamp: stamp, storage: storage)
        }
        if let log = exact {
            return EntryIndex(file: file, log: log, stamp: stamp, counts: counts, sizes: sizes, names: names, members: members,
                              tail: (stamp, [], [], [:]))
        }
        // The log grew past the file: its tail, when a reader may add it.
        let logTail = if let status {
            DerivedTail.after(stamp, status: status, directory: directory, storage: storage)
        } else {
            DerivedTail.after(stamp, directory: directory, storage: storage)
        }
        guard let tail = logTail,
              let entries = tail.entries(), let labels = OwnLabelWrite.labels(tail.ownLabelWrites()),
              let log = LogRecordReader(directory: directory, prefix: tail.end, storage: storage) else { return nil }
        var tailStandings: [EventID: EntryIndexStanding] = [:]
        if members != nil, !entries.isEmpty {
            guard let judged = standingsOfTail(entries, directory: directory, storage: storage, status: status) else { return nil }
            tailStandings = judged
        }
        return EntryIndex(file: file, log: log, stamp: stamp, counts: counts, sizes: sizes, names: names.adding(labels: labels),
                          members: members,
                          tail: (tail.end, entries.sorted { ($0.clock, $0.event) < ($1.clock, $1.event) },
                                 tail.records.flatMap { $0.events.filter { OwnLabelWrite($0) != nil } }, tailStandings))
    }

    /// In a ledger with members, the standing of each of the tail's entries: each counts
    /// (its writer stated so, SPEC §6.8), under its writer's chain end as the views file
    /// keeps it (`EntryIndexStanding.counting`), which the tail does not change. Nil when
    /// the views file does not read or keeps no chain end for a writer: the caller opens
    /// the store.
    private static func standingsOfTail(_ entries: [LedgerRecord], directory: String, storage: any Storage,
                                      status: StoreStatus?) -> [EventID: EntryIndexStanding]? {
        guard let members = LedgerViewsFile.members(directory: directory, storage: storage, status: status),
              let byWriter = EntryIndexStanding.counting(writers: entries.map(\.writer), members: members, ownNode: nil)
        else { return nil }
        var standings: [EventID: EntryIndexStanding] = [:]
        for record in entries {
            guard let standing = byWriter[record.writer] else { return nil }
            standings[record.event] = standing
        }
        return standings
    }

    private init(file: any StorageFile, log: LogRecordReader, stamp fileStamp: LogStamp, counts: [Int], sizes: [Int],
                 names: EntryIndexNames, members: [EntryIndexStanding]?,
                 tail: (end: LogStamp, entries: [LedgerRecord], changes: [Event], standings: [EventID: EntryIndexStanding])) {
        self.file = file
        self.log = log
        self.fileStamp = fileStamp
        stamp = tail.end
        self.tail = tail.entries
        tailByID = Dictionary(grouping: tail.entries) { ExactString($0.entry.id) }
        tailChanges = tail.changes
        tailStandings = tail.standings
        self.names = names
        self.members = members
        slotCount = counts[0]
        idCount = counts[1]
        changeCount = counts[2]
        var starts: [Int] = []
        var start = EntryIndexFile.headSize
        for size in sizes {
            starts.append(start)
            start += size
        }
        self.starts = starts
    }

    // MARK: - What commands ask

    /// The entries carrying `id` and the reversals naming it that count, in `log` order, and
    /// in a ledger with members the standing of each: what `LedgerState.everyRecord(withID:)`
    /// (those that count first, then those set aside) and `reversals(of:)` give.
    public func lookUp(_ id: String) throws(Damage)
        -> (records: [LedgerRecord], reversals: [LedgerRecord], standings: [EventID: EntryIndexStanding]) {
        let key = EntryIndexFile.key(of: id)
        var low = 0, high = idCount
        while low < high {
            let middle = (low + high) / 2
            if try idKey(middle).key < key { low = middle + 1 } else { high = middle }
        }
        var records: [LedgerRecord] = [], setAside: [LedgerRecord] = [], reversals: [LedgerRecord] = []
        var standings: [EventID: EntryIndexStanding] = [:]
        var index = low
        while index < idCount {
            let line = try idKey(index)
            guard line.key == key else { break }
            let record = try entry(line.slot)
            let judged = try standing(line.slot)
            let counts = judged.map { $0.verdict == .counts } ?? true
            switch line.role {
            case .carries:
                guard ExactString(record.entry.id) == ExactString(id) else { break }
                if counts { records.append(record) } else { setAside.append(record) }
                standings[record.event] = judged
            case .reverses:
                guard record.entry.kind == .reversal, let target = record.entry.ref else {
                    throw Damage(description: "the id table names slot \(line.slot) as a reversal, and it is not one")
                }
                // A reversal set aside under the members voids nothing (`LedgerState.reversals(of:)`).
                if ExactString(target) == ExactString(id), counts { reversals.append(record) }
                standings[record.event] = judged
            }
            index += 1
        }
        // A tail entry's id is no other's, and nothing names it (the writer checked).
        let tailRecords = tailByID[ExactString(id)] ?? []
        for record in tailRecords { standings[record.event] = tailStandings[record.event] }
        return (records + setAside + tailRecords, reversals, standings)
    }

    /// The standing of a tail entry (`tail`), nil where every entry counts.
    func tailStanding(_ record: LedgerRecord) -> EntryIndexStanding? { tailStandings[record.event] }

    /// The standing of the entry at `index` of the entries order (§9.5: whether it counts,
    /// its writer's roles); nil where every entry counts.
    public func standing(_ index: Int) throws(Damage) -> EntryIndexStanding? {
        guard let members else { return nil }
        guard index >= 0, index < slotCount else {
            throw Damage(description: "the entry index names slot \(index) of \(slotCount)")
        }
        let (bytes, at) = try element(.standings, index)
        let position = Int(EntryIndexFile.get32(bytes, at))
        guard position < members.count else {
            throw Damage(description: "slot \(index) of the entry index names standing \(position) of \(members.count)")
        }
        return members[position]
    }

    /// The newest `count` entries, newest first (the order `log` prints), each with the
    /// reversal that voids it, if any: `forEachNewest` kept in an array (for a small count).
    public func newest(_ count: Int) throws(Damage) -> [(record: LedgerRecord, voidedBy: LedgerRecord?)] {
        var shown: [(record: LedgerRecord, voidedBy: LedgerRecord?)] = []
        try forEachNewest(limit: count) { record, voidedBy, _ in shown.append((record, voidedBy)) }
        return shown
    }

    /// The newest `count` catalog, party and node assignments, newest first (by clock,
    /// then event id, as `log` lists them).
    public func newestChanges(_ count: Int) throws(Damage) -> [Event] {
        var events: [Event] = []
        var index = changeCount - 1
        while index >= 0, events.count < count {
            let event = try event(at: try slot(.changes, index))
            guard case .assign = event.operation else {
                throw Damage(description: "change \(index) of the entry index is not an assignment")
            }
            events.append(event)
            index -= 1
        }
        guard !tailChanges.isEmpty else { return events }
        return Array((events + tailChanges).sorted { ($0.clock, $0.id) > ($1.clock, $1.id) }.prefix(count))
    }

    // MARK: - Slots and events

    /// The entry at `slot` of the entries order.
    func entry(_ index: Int) throws(Damage) -> LedgerRecord {
        guard index >= 0, index < slotCount else {
            throw Damage(description: "the entry index names slot \(index) of \(slotCount)")
        }
        guard let record = LedgerRecord(reading: try event(at: try slot(.entries, index))) else {
            throw Damage(description: "slot \(index) of the entry index points at an event that is no readable entry")
        }
        return record
    }

    func event(at slot: EntryIndexFile.Slot) throws(Damage) -> Event {
        try Self.event(slot, in: try recordEvents(at: slot.location.offset))
    }

    /// The event `slot` names in `events` (its record's), when its hash begins as the slot says.
    static func event(_ slot: EntryIndexFile.Slot, in events: [Event]) throws(Damage) -> Event {
        guard slot.location.index < events.count, events[slot.location.index].hash.w0 == slot.hashPrefix else {
            throw Damage(description: "the log record at offset \(slot.location.offset) does not hold the event the entry index names")
        }
        return events[slot.location.index]
    }

    /// The record at `offset` when it is among those kept decoded.
    func cachedRecord(at offset: Int) -> [Event]? { records[offset] }

    static func unsoundRecord(at offset: Int) -> Damage {
        Damage(description: "no sound log record at offset \(offset), where the entry index points")
    }

    /// The events of the log record at `offset`, read and checked once while a few are kept.
    func recordEvents(at offset: Int) throws(Damage) -> [Event] {
        if let cached = records[offset] { return cached }
        guard let read = log.events(at: offset) else { throw Self.unsoundRecord(at: offset) }
        keep(read, at: offset)
        return read
    }

    /// Keeps a decoded record. A few records are reused (neighbours in the log's order
    /// share one); `log` must not keep every event it printed.
    func keep(_ events: [Event], at offset: Int) {
        if records.count >= Self.recordsKept { records.removeAll(keepingCapacity: true) }
        records[offset] = events
    }

    func slot(_ table: Table, _ index: Int) throws(Damage) -> EntryIndexFile.Slot {
        let (bytes, at) = try element(table, index)
        guard let slot = EntryIndexFile.readSlot(bytes, at) else {
            throw Damage(description: "slot \(index) of the entry index is out of range")
        }
        return slot
    }

    private func idKey(_ index: Int) throws(Damage) -> EntryIndexFile.IDKey {
        let (bytes, at) = try element(.ids, index)
        guard let line = EntryIndexFile.readKey(bytes, at), line.slot < slotCount else {
            throw Damage(description: "line \(index) of the entry index's id table does not read")
        }
        return line
    }

    /// The block holding element `index` of `table`, read and checked once, and where the
    /// element begins in it.
    private func element(_ table: Table, _ index: Int) throws(Damage) -> ([UInt8], Int) {
        let block = index / EntryIndexFile.blockElements
        let key = table.rawValue << 40 | block
        let at = (index % EntryIndexFile.blockElements) * table.width
        if let cached = blocks[key] { return (cached, at) }
        let count = [slotCount, idCount, changeCount, 0, members == nil ? 0 : slotCount][table.rawValue]
        let elements = min(EntryIndexFile.blockElements, count - block * EntryIndexFile.blockElements)
        let length = elements * table.width
        let offset = starts[table.rawValue] + block * (EntryIndexFile.blockElements * table.width + 4)
        guard let bytes = try? file.read(at: offset, count: length + 4), bytes.count == length + 4,
              CRC32C.checksum(bytes[0..<length]) == EntryIndexFile.get32(bytes, length) else {
            throw Damage(description: "block \(block) of the entry index fails its checksum")
        }
        if blocks.count >= Self.blocksKept { blocks.removeAll(keepingCapacity: true) }
        blocks[key] = bytes
        return (bytes, at)
    }
}
