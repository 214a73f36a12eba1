import CarnetStore
import CarnetWire

/// The tables of a previous entry index's body, checked once and read in place: what a
/// writer merging what changed into that file (`EntryIndexMerge`) copies, block by block
/// where nothing in a block moved, without decoding a million slots into structures first.
struct EntryIndexTables {
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

    let body: [UInt8]
    /// Elements of entries, ids, changes, held, standings.
    let counts: [Int]
    /// Whether the file keeps standings (a ledger with members): `members` is not empty.
    let hasMembers: Bool
    /// The standings the entries name, in the file's order (empty without members).
    let members: [EntryIndexStanding]
    /// Where each table begins in `body`.
    private let starts: [Int]

    /// The tables of `body` (a whole file's, stamped `stamp`) when its head, every block and
    /// its names check, as `EntryIndexFile.decodeBody` checks them; nil at any doubt.
    init?(body: [UInt8], stamp: LogStamp) {
        guard let counts = EntryIndexFile.readCounts(body, stamp: stamp) else { return nil }
        let sizes = EntryIndexFile.tableSizes(counts)
        guard body.count >= EntryIndexFile.countsSize + 4 + sizes.reduce(0, +) + 16 else { return nil }
        var starts: [Int] = []
        var offset = EntryIndexFile.countsSize + 4
        for size in sizes {
            starts.append(offset)
            offset += size
        }
        guard EntryIndexFile.readSection(body, &offset) != nil, let members = EntryIndexFile.readSection(body, &offset),
              offset == body.count,
              let standings = EntryIndexFile.decodeMembers(members, standingCount: counts[4], entryCount: counts[0]) else { return nil }
        self.body = body
        self.counts = counts
        self.starts = starts
        hasMembers = !members.isEmpty
        self.members = standings ?? []
        for table in [Table.entries, .ids, .changes, .held, .standings] {
            for block in 0..<blockCount(table) {
                let range = elementBytes(table, block: block)
                guard CRC32C.checksum(body[range]) == EntryIndexFile.get32(body, range.upperBound) else { return nil }
            }
        }
    }

    func count(_ table: Table) -> Int { counts[table.rawValue] }

    func blockCount(_ table: Table) -> Int {
        (count(table) + EntryIndexFile.blockElements - 1) / EntryIndexFile.blockElements
    }

    /// The bytes of the elements of one block (its CRC follows them).
    func elementBytes(_ table: Table, block: Int) -> Range<Int> {
        let start = starts[table.rawValue] + block * (EntryIndexFile.blockElements * table.width + 4)
        let elements = min(EntryIndexFile.blockElements, count(table) - block * EntryIndexFile.blockElements)
        return start..<(start + elements * table.width)
    }

    /// Where element `index` of `table` begins in `body`.
    func offset(_ table: Table, _ index: Int) -> Int {
        let block = index / EntryIndexFile.blockElements
        return starts[table.rawValue] + block * (EntryIndexFile.blockElements * table.width + 4)
            + (index % EntryIndexFile.blockElements) * table.width
    }

    func slot(_ table: Table, _ index: Int) -> EntryIndexFile.Slot? {
        EntryIndexFile.readSlot(body, offset(table, index))
    }

    /// The position in `members` of the standing of entry `index` (a file with members).
    func standing(_ index: Int) -> Int {
        Int(EntryIndexFile.get32(body, offset(.standings, index)))
    }

    func hashPrefix(_ table: Table, _ index: Int) -> UInt64 {
        EntryIndexFile.get64(body, offset(table, index) + 16)
    }

    /// The raw `voided by` field of an entry slot: 0, or 1 + the slot of its void.
    func voidField(_ index: Int) -> Int {
        Int(EntryIndexFile.get32(body, offset(.entries, index) + 12))
    }

    func idLine(_ index: Int) -> EntryIndexFile.IDKey? {
        EntryIndexFile.readKey(body, offset(.ids, index))
    }

    /// The first line of the id table whose key is not below `key`.
    func firstIDLine(atLeast key: UInt64) -> Int {
        var low = 0, high = count(.ids)
        while low < high {
            let middle = (low + high) / 2
            if EntryIndexFile.get64(body, offset(.ids, middle)) < key { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

/// Writes one table of the entry index (SPEC §6.7): elements cut into blocks of 256, each
/// followed by the CRC-32C of its elements, appended to a body being made.
struct EntryIndexTableWriter {
    private(set) var written = 0
    private var blockStart: Int

    init(body: [UInt8]) {
        blockStart = body.count
    }

    /// Whether the next element begins a block: only then can a whole block be copied.
    var atBlockStart: Bool { written % EntryIndexFile.blockElements == 0 }

    /// Appends one element, `write` putting its bytes at the end of `body`.
    mutating func append(to body: inout [UInt8], _ write: (inout [UInt8]) -> Void) {
        if atBlockStart { blockStart = body.count }
        write(&body)
        written += 1
        if atBlockStart { closeBlock(&body) }
    }

    /// Appends a whole block of a previous table (256 elements), its CRC included (checked
    /// when that table was read): the bytes a writer would make for them again.
    mutating func copyBlock(_ bytes: ArraySlice<UInt8>, to body: inout [UInt8]) {
        precondition(atBlockStart)
        body.append(contentsOf: bytes)
        written += EntryIndexFile.blockElements
        blockStart = body.count
    }

    /// Ends a table whose last block is not full.
    mutating func finish(_ body: inout [UInt8]) {
        if !atBlockStart { closeBlock(&body) }
    }

    private mutating func closeBlock(_ body: inout [UInt8]) {
        let checksum = CRC32C.checksum(body[blockStart...])
        EntryIndexFile.put32(checksum, &body)
        blockStart = body.count
    }
}
