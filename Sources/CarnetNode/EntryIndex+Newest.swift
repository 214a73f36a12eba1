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
        try walkNewest(producer: producer, limit: limit, block: block) { (shown) throws(Damage) in
            for entry in shown { try body(entry.record, entry.voidedBy, entry.standing) }
        }
    }

    /// An entry as the walk hands it: with the reversal that voids it, if any, and its
    /// standing in a ledger with members.
    public typealias NewestEntry = (record: LedgerRecord, voidedBy: LedgerRecord?, standing: EntryIndexStanding?)

    /// `forEachNewest` with each entry first made into what `body` takes by `make`, a
    /// block's entries on every core, then handed to `body` one by one in the same order,
    /// with the same damage thrown at the same entry.
    ///
    /// What `log --json` does with an entry (its JSON text) was half its time at a million
    /// entries, on one core, once reading was on both; an entry's text needs nothing but
    /// the entry, so a block's can be made at once. `make` is given a piece of the block at
    /// a time and returns one result per entry, in order: the results of a piece can share
    /// one allocation (the text of a piece's entries, one buffer) rather than one each,
    /// made on one thread and freed on another. What is held is one block's results.
    @discardableResult
    public func forEachNewest<Made: Sendable>(
        producer: String? = nil, limit: Int = .max, block: Int = EntryIndex.newestBlock,
        making make: @Sendable (_ entries: ArraySlice<NewestEntry>) -> [Made],
        _ body: (Made) throws(Damage) -> Void) throws(Damage) -> Int {
        try walkNewest(producer: producer, limit: limit, block: block) { (shown) throws(Damage) in
            // A few pieces per core, so that a core left waiting by the other processes
            // on the machine does not hold the block back.
            let pieces = min(shown.count, Self.madePieces)
            let made = ParallelMap.map(count: pieces) { piece -> [Made] in
                let entries = shown[piece * shown.count / pieces..<(piece + 1) * shown.count / pieces]
                let made = make(entries)
                precondition(made.count == entries.count, "one result per entry")
                return made
            }
            for piece in made {
                for entry in piece { try body(entry) }
            }
        }
    }

    /// How many pieces `forEachNewest(making:)` cuts a block's entries into.
    static let madePieces = 16

    /// The walk of `forEachNewest`, handing `body` each block's entries, in order; damage
    /// found at an entry of a block (a void that does not cancel it, a standing out of
    /// range) is thrown once `body` was handed the block's entries before it.
    private func walkNewest(producer: String?, limit: Int, block: Int,
                            _ body: (_ shown: [NewestEntry]) throws(Damage) -> Void) throws(Damage) -> Int {
        // Without a producer, the newest `limit` are the last `limit` slots: read no more.
        let block = max(1, producer == nil ? min(block, limit) : block)
        var handed = 0
        var upper = slotCount
        // The tail's entries (`tail`, oldest first) not handed yet are `tail[..<tailLeft]`:
        // each goes before the first of the file's that is older (none voids; each counts).
        var tailLeft = tail.count
        func handTail(newerThan record: LedgerRecord?, into shown: inout [NewestEntry]) -> Bool {
            while tailLeft > 0, handed + shown.count < limit {
                let next = tail[tailLeft - 1]
                if let record, (next.clock, next.event) < (record.clock, record.event) { return false }
                tailLeft -= 1
                if producer == nil || next.entry.producer == producer { shown.append((next, nil, tailStanding(next))) }
            }
            return handed + shown.count == limit
        }
        while upper > 0, handed < limit {
            let lower = max(0, upper - block)
            let read = try entries(lower..<upper)
            var shown: [NewestEntry] = []
            shown.reserveCapacity(min(upper - lower, limit - handed))
            var damage: Damage?
            for index in (lower..<upper).reversed() {
                let record = read.records[index - lower]
                if handTail(newerThan: record, into: &shown) { break }
                if let producer, record.entry.producer != producer { continue }
                do throws(Damage) {
                    var voidedBy: LedgerRecord?
                    if let reversal = read.slots[index - lower].voidedBy {
                        guard let found = reversal >= lower && reversal < upper ? read.records[reversal - lower] : read.reversals[reversal],
                              found.entry.cancels(record) else {
                            throw Damage(description: "slot \(index) of the entry index names as its void an entry that does not cancel it")
                        }
                        voidedBy = found
                    }
                    shown.append((record, voidedBy, try standing(index)))
                } catch {
                    damage = error
                    break
                }
                if handed + shown.count == limit { break }
            }
            try body(shown)
            handed += shown.count
            if let damage { throw damage }
            upper = lower
        }
        if tailLeft > 0, handed < limit {
            var shown: [NewestEntry] = []
            _ = handTail(newerThan: nil, into: &shown)
            try body(shown)
            handed += shown.count
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
            guard reversal < slotCount else {
                throw Damage(description: "the entry index names slot \(reversal) of \(slotCount) as a void")
            }
            let named = try self.slot(.entries, reversal)
            wanted[named.location.offset, default: []].append((reversal, named))
        }
        var records = [LedgerRecord?](repeating: nil, count: range.count)
        var reversals: [Int: LedgerRecord] = [:]
        let offsets = wanted.keys.sorted()
        for read in readInParallel(offsets, wanted: wanted) {
            for (index, record) in read {
                let record = try record.get()
                if range.contains(index) { records[index - range.lowerBound] = record } else { reversals[index] = record }
            }
        }
        let found = records.compactMap { $0 }
        guard found.count == range.count else { throw Damage(description: "the entry index's slots \(range) do not all read") }
        return (slots, found, reversals)
    }

    /// The entries `wanted` names in each record at `offsets`, in that order, each read as
    /// a record or the damage that stops the walk: the records not kept yet are decoded,
    /// and every entry parsed, on every core. Decoding (each event's hash recomputed) and
    /// parsing were two fifths of `log --json`, and the records of a block are independent.
    /// What was decoded is kept as `recordEvents` keeps it (the next block often lies in
    /// the same records: an imported hub's hold 1,000 events each). The first damage, in
    /// offset order then slot order, is the one thrown, as when they were read one by one.
    private func readInParallel(_ offsets: [Int], wanted: [Int: [(index: Int, slot: EntryIndexFile.Slot)]])
        -> [[(index: Int, record: Result<LedgerRecord, Damage>)]] {
        let kept = offsets.map { cachedRecord(at: $0) }
        let groups = offsets.map { wanted[$0] ?? [] }
        let log = self.log
        let read = ParallelMap.map(count: offsets.count) { position -> (events: [Event]?, entries: [(index: Int, record: Result<LedgerRecord, Damage>)]) in
            guard let events = kept[position] ?? log.events(at: offsets[position]) else { return (nil, []) }
            let entries = groups[position].map { index, slot -> (index: Int, record: Result<LedgerRecord, Damage>) in
                do throws(Damage) {
                    guard let record = LedgerRecord(reading: try Self.event(slot, in: events)) else {
                        throw Damage(description: "slot \(index) of the entry index points at an event that is no readable entry")
                    }
                    return (index, .success(record))
                } catch {
                    return (index, .failure(error))
                }
            }
            return (events, entries)
        }
        var out: [[(index: Int, record: Result<LedgerRecord, Damage>)]] = []
        out.reserveCapacity(offsets.count)
        for (position, result) in read.enumerated() {
            guard let events = result.events else {
                // Thrown where the walk reaches it, after the damage of an earlier record.
                out.append([(index: -1, record: .failure(Self.unsoundRecord(at: offsets[position])))])
                continue
            }
            if kept[position] == nil { keep(events, at: offsets[position]) }
            out.append(result.entries)
        }
        return out
    }
}
