extension EntryIndex {
    /// Checks, before a long answer is printed, what storage damage would break in the walk
    /// `forEachNewest(producer:limit:)` makes: the CRC-32C of every block of the entries
    /// table (and, with members, of the standings table) it reads, and the framing and CRC-32C of every log record those slots (and the
    /// reversals voiding them) point at. Nothing is decoded: at a million entries this
    /// reads some 40 MB in well under a second, where the walk decodes for seconds.
    ///
    /// What it cannot see (a slot naming the wrong event of a sound record, as a writer's
    /// bug would leave it) the walk still finds, and throws; `log --json` then stops with an
    /// error saying its answer is cut short (protocol/SPEC.md §6.7).
    public func checkStorage(producer: String?, limit: Int) throws(Damage) {
        // With a producer, how far the walk goes is known only once entries are read.
        let lowest = producer == nil && limit < slotCount ? slotCount - limit : 0
        var checked = Set<Int>()
        var upper = slotCount
        while upper > lowest {
            let lower = max(lowest, upper - EntryIndex.newestBlock)
            // The offsets checked for the block before: records shared by two blocks are
            // read once, and the set stays the size of a block whatever the ledger's.
            var checking = Set<Int>()
            for index in lower..<upper {
                let slot = try slot(.entries, index)
                _ = try standing(index)
                var offsets = [slot.location.offset]
                if let reversal = slot.voidedBy {
                    guard reversal < slotCount else {
                        throw Damage(description: "the entry index names slot \(reversal) of \(slotCount) as a void")
                    }
                    offsets.append(try self.slot(.entries, reversal).location.offset)
                }
                for offset in offsets where checking.insert(offset).inserted && !checked.contains(offset) {
                    guard log.isSound(at: offset) else {
                        throw Damage(description: "no sound log record at offset \(offset), where the entry index points")
                    }
                }
            }
            checked = checking
            upper = lower
        }
    }
}
