import CarnetCore

/// An entry as the id index keeps it: enough to undo a void and to total a sale's amount.
struct IndexedEntry: Sendable {
    var ref: RecordRef
    var kind: EntryKind
    var amount: Int64?
    var producer: ExactString
}

/// The fold's entries, one per entry folded, by place: what `LedgerFold`'s tables point
/// at. Kept packed, 72 bytes each instead of an `IndexedEntry`'s 112 (a million of them
/// at 1M: the largest of the fold's tables): the node of an entry's event and its
/// producer are positions in two small tables (a ledger has a few of each), and the
/// amount is a value and a flag. Read back whole, as an `IndexedEntry`.
struct IndexedEntries: Sendable {
    private var packed: [PackedEntry] = []
    private var nodes: [NodeID] = []
    private var nodePositions: [NodeID: UInt32] = [:]
    private var producers: [ExactString] = []
    private var producerPositions: [ExactString: UInt32] = [:]
    /// The positions given last, looked at first.
    private var lastNode: UInt32?
    private var lastProducer: UInt32?

    var count: Int { packed.count }

    mutating func reserveCapacity(_ count: Int) { packed.reserveCapacity(count) }

    /// Keeps `entry` after the others: its place is the count before.
    mutating func append(_ entry: IndexedEntry) {
        // A fold walks one chain at a time, whose entries are nearly all one producer's:
        // the last positions first, before a table lookup (two hashes an entry otherwise).
        let node = Self.position(of: entry.ref.event.dot.node, in: &nodes, &nodePositions, last: &lastNode)
        let producer = Self.position(of: entry.producer, in: &producers, &producerPositions, last: &lastProducer)
        packed.append(PackedEntry(physical: entry.ref.clock.physical, logical: entry.ref.clock.logical,
                                  producer: producer, seq: entry.ref.event.dot.seq, hash: entry.ref.event.hash,
                                  amount: entry.amount ?? 0, node: node, kind: entry.kind, hasAmount: entry.amount != nil))
    }

    subscript(place: Int) -> IndexedEntry {
        let entry = packed[place]
        return IndexedEntry(ref: ref(of: entry), kind: entry.kind, amount: entry.hasAmount ? entry.amount : nil,
                            producer: producers[Int(entry.producer)])
    }

    /// The record reference of the entry at `place` alone (what sorting contributors reads).
    func ref(at place: Int) -> RecordRef { ref(of: packed[place]) }

    private func ref(of entry: PackedEntry) -> RecordRef {
        RecordRef(clock: HLCTimestamp(physical: entry.physical, logical: entry.logical),
                  event: EventID(dot: Dot(node: nodes[Int(entry.node)], seq: entry.seq), hash: entry.hash))
    }

    private static func position<Key: Hashable>(of key: Key, in list: inout [Key], _ positions: inout [Key: UInt32],
                                                last: inout UInt32?) -> UInt32 {
        if let last, list[Int(last)] == key { return last }
        let position: UInt32
        if let known = positions[key] {
            position = known
        } else {
            list.append(key)
            position = UInt32(list.count - 1)
            positions[key] = position
        }
        last = position
        return position
    }

    /// Fields ordered so that none needs padding before it.
    private struct PackedEntry: Sendable {
        var physical: UInt64
        var logical: UInt32
        var producer: UInt32
        var seq: UInt64
        var hash: SHA256Digest
        var amount: Int64
        var node: UInt32
        var kind: EntryKind
        var hasAmount: Bool
    }
}
