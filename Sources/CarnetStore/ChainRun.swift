/// Seqs `firstSeq ..< firstSeq + count` of a node's first branch are the events
/// `firstIndex ..< firstIndex + count` of one stored piece: a log record (`LogChains`, the
/// piece its offset) or a checkpoint chunk (`CheckpointChains`, the piece its number).
/// What a cold store notes of an event instead of keeping it, to read it back later.
struct ChainRun: Sendable {
    var firstSeq: UInt64
    var count: Int
    /// The log record's offset, or the checkpoint chunk's number.
    var piece: Int
    var firstIndex: Int

    var lastSeq: UInt64 { firstSeq + UInt64(count) - 1 }

    /// Whether `next` carries this run on: the seqs after it, at the events after it in
    /// the same piece (then the two are noted as one run).
    func isContinued(by next: ChainRun) -> Bool {
        next.piece == piece && next.firstSeq == lastSeq + 1 && next.firstIndex == firstIndex + count
    }

    /// The position of the first of `runs` (in seq order, as a node's are kept) that ends
    /// at or after `seq`: where reading `seq` onwards begins.
    static func first(endingAtOrAfter seq: UInt64, in runs: [ChainRun]) -> Int {
        var low = 0, high = runs.count
        while low < high {
            let middle = (low + high) / 2
            if runs[middle].lastSeq < seq { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
