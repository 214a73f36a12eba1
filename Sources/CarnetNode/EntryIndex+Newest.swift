import CarnetCore
import CarnetLedger
import CarnetSystem

extension EntryIndex {
    /// How many slots `forEachNewest` reads at a time: a few records of an imported hub
    /// (1,000 events each), some 4 MB of entries kept while they are handed on.
    public static let newestBlock = 4_096

    /// Hands the entries to `body` newest first (the order `log` prints), each with the
    /// reversal that voids it, if any, and in a ledger with members its standing; only those whose producer is `producer` when one is
    /// given (compared as the store's `log` compares it), and at most `limit`. Returns how
    /// many it handed.
    ///
    /// `log` without `--limit` prints every entry: a million `LedgerRecord`s kept at once
    /// cost gigabytes. This reads `block` slots at a time, and every log record those slots
    /// (and the reversals voiding them) point at once per block, in offset order, keeping
    /// only the events named: what it holds is bounded by the block, whatever the ledger's
    /// size, and a record shared by a block's entries is decoded once, however the writers'
    /// clocks interleave the log.
    ///
    /// Throws `Damage` at the first block or record that does not check, or that `body`
    /// throws (a caller's own check, made before it shows anything); `body` has then been
    /// handed the entries of the blocks before it (a caller that must not show half an
    /// answer walks once without showing, then again, or holds back what it shows).
    @discardableResult
    public func forEachNewest(producer: String? = nil, limit: Int = .max, block: Int = EntryIndex.newestBlock,
                              _ body: (_ record: LedgerRecord, _ voidedBy: LedgerRecord?, _ standing: EntryIndexStanding?)
                                  throws(Damage) -> Void) throws(Damage) -> Int {
        // Without a producer, the newest `limit` are the last `limit` slots: read no more.
        let block = max(1, producer == nil ? min(block, limit) : block)
        var handed = 0
        var upper = entryCount
        while upper > 0, handed < limit {
            let lower = max(0, upper - block)
            let read = try entries(lower..<upper)
            for index in (lower..<upper).reversed() {
                let record = read.records[index - lower]
                if let producer, record.entry.producer != producer { continue }
                var voidedBy: LedgerRecord?
                if let reversal = read.slots[index - lower].voidedBy {
                    guard let found = reversal >= lower && reversal < upper ? read.records[reversal - lower] : read.reversals[reversal],
                          found.entry.cancels(record) else {
                        throw Damage(description: "slot \(index) of the entry index names as its void an entry that does not cancel it")
                    }
                    voidedBy = found
                }
                try body(record, voidedBy, try standing(index))
                handed += 1
                if handed == limit { break }
            }
            upper = lower
        }
        return handed
    }

    /// The entries at `range` of the entries order, their slots, and the reversals outside
    /// the range that void them (by slot): each record they lie in read once, in offset order.
    private func entries(_ range: Range<Int>) throws(Damage)
        -> (slots: [EntryIndexFile.Slot], records: [LedgerRecord], reversals: [Int: LedgerRecord]) {
        var slots: [EntryIndexFile.Slot] = []
        slots.reserveCapacity(range.count)
        for index in range { slots.append(try slot(.entries, index)) }
        // Every slot to read, by the record it lies in: the range's own, then the voids
        // that lie outside it.
        var wanted: [Int: [(index: Int, slot: EntryIndexFile.Slot)]] = [:]
        for (offset, slot) in slots.enumerated() {
            wanted[slot.location.offset, default: []].append((range.lowerBound + offset, slot))
        }
        var outside = Set<Int>()
        for slot in slots {
            guard let reversal = slot.voidedBy, !range.contains(reversal), outside.insert(reversal).inserted else { continue }
            guard reversal < entryCount else {
                throw Damage(description: "the entry index names slot \(reversal) of \(entryCount) as a void")
            }
            let named = try self.slot(.entries, reversal)
            wanted[named.location.offset, default: []].append((reversal, named))
        }
        var records = [LedgerRecord?](repeating: nil, count: range.count)
        var reversals: [Int: LedgerRecord] = [:]
        let offsets = wanted.keys.sorted()
        let decoded = try decodeInParallel(offsets)
        for offset in offsets {
            let events: [Event]
            if let read = decoded[offset] { events = read } else { events = try recordEvents(at: offset) }
            for (index, slot) in wanted[offset] ?? [] {
                guard let record = LedgerRecord(reading: try Self.event(slot, in: events)) else {
                    throw Damage(description: "slot \(index) of the entry index points at an event that is no readable entry")
                }
                if range.contains(index) { records[index - range.lowerBound] = record } else { reversals[index] = record }
            }
        }
        let found = records.compactMap { $0 }
        guard found.count == range.count else { throw Damage(description: "the entry index's slots \(range) do not all read") }
        return (slots, found, reversals)
    }

    /// The records at `offsets` that are not kept yet, decoded on every core: decoding
    /// (each event's hash recomputed) was a third of `log --json`, and the records of a
    /// block are independent. Handed back, and kept as `recordEvents` keeps them (the next
    /// block often lies in the same records: an imported hub's hold 1,000 events each).
    private func decodeInParallel(_ offsets: [Int]) throws(Damage) -> [Int: [Event]] {
        let missing = offsets.filter { !keepsRecord(at: $0) }
        guard missing.count > 1 else { return [:] }
        let log = self.log
        let decoded = ParallelMap.map(count: missing.count) { log.events(at: missing[$0]) }
        var read: [Int: [Event]] = [:]
        read.reserveCapacity(missing.count)
        for (offset, events) in zip(missing, decoded) {
            guard let events else { throw Self.unsoundRecord(at: offset) }
            read[offset] = events
            keep(events, at: offset)
        }
        return read
    }
}
