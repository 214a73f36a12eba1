import CarnetCore
import CarnetStore
import CarnetSystem
import CarnetWire

/// The entry index, `entries`: where each entry's event lies in the log, in the order
/// `carnet log` prints them, and its id, so that `show ID` and `log --limit N` read a few
/// records of the log instead of opening the store (decoding a million events to print
/// five). Derived state like the views file, written at the same moments with the same
/// stamp, refused when the log has moved on, never trusted over the log: every event it
/// points at is read, checked and compared with the hash it names. Layout:
/// protocol/SPEC.md §6.7.
///
/// The tables are cut into blocks of 256 elements, each with its own CRC-32C, so that a
/// reader checks only the blocks it reads (a few kilobytes at a million entries) while
/// the file's trailer still covers every byte for a writer that reuses it whole. The
/// names printed beside entries (products, parties, writers) follow the tables, a few
/// kilobytes under their own CRC-32C: the two commands need not read the views file.
/// In a ledger with members (§9.5) each entry also names its standing (whether it counts,
/// its writer's roles), kept once each after the names: what `show` and `log` print there.
public enum EntryIndexFile {
    public static let fileName = "entries"
    static let blockElements = 256
    static let slotSize = 24
    static let keySize = 16
    static let standingSize = 4
    static let tableCount = 5
    /// Header, stamp, the five counts and their CRC-32C.
    static let headSize = FileHeader.size + LogStamp.encodedSize + 4 * tableCount + 4
    /// Where the counts' CRC-32C lies in a body (after the stamp).
    static let countsSize = 4 * tableCount

    /// Where an event lies: the offset of its log record and its position in the record's batch.
    public struct Location: Hashable, Sendable {
        public var offset: Int
        public var index: Int

        public init(offset: Int, index: Int) {
            self.offset = offset
            self.index = index
        }
    }

    /// One event of an order (entries or catalog changes).
    public struct Slot: Equatable, Sendable {
        public var location: Location
        /// The first 8 bytes of the event's hash, compared with the event read: a slot that
        /// points at another event is a damaged index, never another entry shown.
        public var hashPrefix: UInt64
        /// In the entries order: the slot of the first reversal that cancels this entry
        /// (`LedgerState.voidingReversal`), nil when none does.
        public var voidedBy: Int?
    }

    /// Why an entry is listed under an id key.
    public enum Role: UInt32, Sendable {
        /// The entry carries the id.
        case carries = 0
        /// The entry is a reversal naming the id (`ref`).
        case reverses = 1
    }

    /// One line of the id table: the key of an id, an entry slot, and how it relates.
    public struct IDKey: Equatable, Sendable {
        public var key: UInt64
        public var slot: Int
        public var role: Role

        static func precedes(_ a: IDKey, _ b: IDKey) -> Bool {
            (a.key, a.slot, a.role.rawValue) < (b.key, b.slot, b.role.rawValue)
        }
    }

    /// Everything the file holds, decoded (what a writer builds and reuses).
    public struct Contents: Equatable, Sendable {
        /// Every readable entry, in `LedgerState.records` order (clock, then event id).
        public var entries: [Slot]
        /// Sorted by key, then slot, then role.
        public var ids: [IDKey]
        /// Every catalog, party and node assignment, by clock then event id.
        public var changes: [Slot]
        /// The events the log holds that wait for a predecessor (pending), by event id:
        /// not shown, but one of them may become an entry once its predecessor arrives, and
        /// the next index must find it without reading the log again.
        public var held: [Slot]
        /// The names `show` and `log` print beside entries.
        public var names: EntryIndexNames
        /// In a ledger with members: for each entry (same order as `entries`), the position
        /// of its standing in `members`. Empty where every entry counts (no members).
        public var standings: [Int] = []
        /// In a ledger with members: every standing an entry has, once, in the order the
        /// entries first name them; nil where every entry counts (format 1, no genesis held).
        public var members: [EntryIndexStanding]?
    }

    /// The key of an entry id: the first 8 bytes of the SHA-256 of its UTF-8 bytes, big
    /// endian. Ids compare as bytes (SPEC §10), so they are hashed as bytes; two ids that
    /// share a key are told apart by reading their entries.
    public static func key(of id: String) -> UInt64 { SHA256.hash(Array(id.utf8)).w0 }

    // MARK: - Writing

    /// The body of the index of `replica`, whose events lie in the log of `directory` up
    /// to `stamp`; nil when one cannot be found there (`EntryIndexBuilder`: merged into
    /// the previous file when it can be, rebuilt otherwise). `appended`: where events the
    /// writer appended lie, when it knows (`EntryIndexBuilder.body`).
    static func body(replica: Replica, names: EntryIndexNames, stamp: LogStamp, directory: String,
                     storage: any Storage, appended: [UInt64: Location] = [:]) -> [UInt8]? {
        EntryIndexBuilder.body(replica: replica, names: names, stamp: stamp, directory: directory, storage: storage,
                               appended: appended).body
    }

    /// The body (after the stamp, before the trailer) for a file stamped `stamp`.
    static func encodeBody(_ contents: Contents, stamp: LogStamp) -> [UInt8] {
        var counts: [UInt8] = []
        for count in [contents.entries.count, contents.ids.count, contents.changes.count, contents.held.count,
                      contents.standings.count] {
            put32(UInt32(count), &counts)
        }
        var body = counts
        put32(CRC32C.checksum(FileHeader.entries.bytes + stamp.bytes + counts), &body)
        body.reserveCapacity(16 + tableSize(contents.entries.count, slotSize) * 2 + tableSize(contents.ids.count, keySize))
        appendTable(contents.entries.count, into: &body) { writeSlot(contents.entries[$0], into: &$1) }
        appendTable(contents.ids.count, into: &body) { index, bytes in
            let line = contents.ids[index]
            put64(line.key, &bytes)
            put32(UInt32(line.slot), &bytes)
            put32(line.role.rawValue, &bytes)
        }
        appendTable(contents.changes.count, into: &body) { writeSlot(contents.changes[$0], into: &$1) }
        appendTable(contents.held.count, into: &body) { writeSlot(contents.held[$0], into: &$1) }
        appendTable(contents.standings.count, into: &body) { put32(UInt32(contents.standings[$0]), &$1) }
        appendSection(contents.names.encoded, to: &body)
        appendSection(contents.members.map(EntryIndexStanding.encodeList) ?? [], to: &body)
        return body
    }

    /// `names` and `members`: length, bytes, CRC-32C.
    static func appendSection(_ bytes: [UInt8], to body: inout [UInt8]) {
        put32(UInt32(bytes.count), &body)
        body += bytes
        put32(CRC32C.checksum(bytes), &body)
    }

    private static func writeSlot(_ slot: Slot, into bytes: inout [UInt8]) {
        put64(UInt64(slot.location.offset), &bytes)
        put32(UInt32(slot.location.index), &bytes)
        put32(slot.voidedBy.map { UInt32($0 + 1) } ?? 0, &bytes)
        put64(slot.hashPrefix, &bytes)
    }

    private static func appendTable(_ count: Int, into body: inout [UInt8], _ element: (Int, inout [UInt8]) -> Void) {
        var start = 0
        while start < count {
            let end = min(start + blockElements, count)
            let blockStart = body.count
            for index in start..<end { element(index, &body) }
            put32(CRC32C.checksum(body[blockStart...]), &body)
            start = end
        }
    }

    /// Bytes of the five tables (entries, ids, changes, held, standings) for their counts.
    static func tableSizes(_ counts: [Int]) -> [Int] {
        [tableSize(counts[0], slotSize), tableSize(counts[1], keySize), tableSize(counts[2], slotSize),
         tableSize(counts[3], slotSize), tableSize(counts[4], standingSize)]
    }

    /// Bytes of a table of `count` elements of `width` bytes: the elements and one CRC per block.
    static func tableSize(_ count: Int, _ width: Int) -> Int {
        count * width + 4 * ((count + blockElements - 1) / blockElements)
    }

    // MARK: - Reading whole (a writer reusing the locations of the last file, `verify`)

    /// The whole file of `directory`, every block and the trailer checked, when it
    /// describes the log exactly as it is now; nil otherwise.
    static func current(directory: String, storage: any Storage = PosixStorage()) -> Contents? {
        StampedFile.current(fileName, as: .entries, directory: directory, storage: storage)
            .flatMap { decodeBody($0.body, stamp: $0.stamp) }
    }

    /// The contents of a whole file's body, every block checked; nil at any doubt.
    /// Without `withIDs` the id table is checked but left empty (a writer reusing the
    /// places of events needs only the slots).
    static func decodeBody(_ body: [UInt8], stamp: LogStamp, withIDs: Bool = true) -> Contents? {
        guard let counts = readCounts(body, stamp: stamp),
              body.count >= countsSize + 4 + tableSizes(counts).reduce(0, +) + 16 else { return nil }
        var offset = countsSize + 4
        guard let entries = readTable(body, &offset, counts[0], slotSize, readSlot),
              let ids = withIDs ? readTable(body, &offset, counts[1], keySize, readKey)
                  : skipTable(body, &offset, counts[1], keySize),
              let changes = readTable(body, &offset, counts[2], slotSize, readSlot),
              let held = readTable(body, &offset, counts[3], slotSize, readSlot),
              let standings = readTable(body, &offset, counts[4], standingSize, { Int(get32($0, $1)) }),
              let namesBytes = readSection(body, &offset), let names = EntryIndexNames.decode(namesBytes),
              let membersBytes = readSection(body, &offset), offset == body.count,
              let members = decodeMembers(membersBytes, standingCount: counts[4], entryCount: counts[0]),
              standings.allSatisfy({ $0 < (members?.count ?? 0) }) else { return nil }
        return Contents(entries: entries, ids: ids, changes: changes, held: held, names: names, standings: standings,
                        members: members)
    }

    /// The five counts at the start of a body, when their CRC-32C (over the header and stamp
    /// too) checks.
    static func readCounts(_ body: [UInt8], stamp: LogStamp) -> [Int]? {
        guard body.count >= countsSize + 4,
              get32(body, countsSize) == CRC32C.checksum(FileHeader.entries.bytes + stamp.bytes + Array(body[0..<countsSize]))
        else { return nil }
        return (0..<tableCount).map { Int(get32(body, $0 * 4)) }
    }

    /// A section (`names`, `members`) at `offset`, its CRC-32C checked; `offset` moves past it.
    static func readSection(_ body: [UInt8], _ offset: inout Int) -> [UInt8]? {
        guard offset + 4 <= body.count else { return nil }
        let length = Int(get32(body, offset))
        guard body.count - offset - 8 >= length else { return nil }
        let bytes = Array(body[(offset + 4)..<(offset + 4 + length)])
        guard CRC32C.checksum(bytes) == get32(body, offset + 4 + length) else { return nil }
        offset += 8 + length
        return bytes
    }

    /// The standings of `members` (nil when it is empty: no members), when they decode and
    /// agree with the standings table's count (one per entry, or none); `.none` at any doubt.
    static func decodeMembers(_ bytes: [UInt8], standingCount: Int, entryCount: Int) -> [EntryIndexStanding]?? {
        guard !bytes.isEmpty else { return standingCount == 0 ? .some(nil) : .none }
        guard standingCount == entryCount, let standings = EntryIndexStanding.decodeList(bytes) else { return .none }
        return .some(standings)
    }

    private static func readTable<T>(_ body: [UInt8], _ offset: inout Int, _ count: Int, _ width: Int,
                                     _ read: ([UInt8], Int) -> T?) -> [T]? {
        var elements: [T] = []
        elements.reserveCapacity(count)
        var start = 0
        while start < count {
            let n = min(blockElements, count - start)
            let end = offset + n * width
            guard CRC32C.checksum(body[offset..<end]) == get32(body, end) else { return nil }
            for index in 0..<n {
                guard let element = read(body, offset + index * width) else { return nil }
                elements.append(element)
            }
            offset = end + 4
            start += n
        }
        return elements
    }

    private static func skipTable(_ body: [UInt8], _ offset: inout Int, _ count: Int, _ width: Int) -> [IDKey]? {
        var start = 0
        while start < count {
            let n = min(blockElements, count - start)
            let end = offset + n * width
            guard CRC32C.checksum(body[offset..<end]) == get32(body, end) else { return nil }
            offset = end + 4
            start += n
        }
        return []
    }

    static func readSlot(_ bytes: [UInt8], _ at: Int) -> Slot? {
        let offset = get64(bytes, at)
        let voided = get32(bytes, at + 12)
        guard offset <= UInt64(Int.max) else { return nil }
        return Slot(location: Location(offset: Int(offset), index: Int(get32(bytes, at + 8))),
                    hashPrefix: get64(bytes, at + 16), voidedBy: voided == 0 ? nil : Int(voided) - 1)
    }

    static func readKey(_ bytes: [UInt8], _ at: Int) -> IDKey? {
        guard let role = Role(rawValue: get32(bytes, at + 12)) else { return nil }
        return IDKey(key: get64(bytes, at), slot: Int(get32(bytes, at + 8)), role: role)
    }

    // MARK: - Integers (big endian)

    // Appended through the value's bytes, not a temporary array: a million entries are
    // six million of these.
    static func put32(_ value: UInt32, _ bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    static func put64(_ value: UInt64, _ bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    static func get32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
    }

    static func get64(_ bytes: [UInt8], _ at: Int) -> UInt64 {
        UInt64(get32(bytes, at)) << 32 | UInt64(get32(bytes, at + 4))
    }
}
