import CarnetCore
import CarnetSystem

/// Where the events a store appended to its log since its last checkpoint lie, per node's
/// first branch: what lets a store that keeps its chains cold (`NodeStore.keepsChainsCold`)
/// let the events it persists leave memory at once, instead of at the next checkpoint. A
/// farm receiving a whole hub, or a hub receiving batches all day, then holds hashes, not
/// events.
///
/// A value the store extends as it appends; each cooling takes a copy, so a history that
/// went cold with an older copy reads what that copy names (the log only grows).
struct LogChains: Sendable {
    /// Each node's runs, in seq order; a run's piece is the offset of its log record.
    private(set) var runs: [NodeID: [ChainRun]] = [:]

    /// Notes that the first branch's event `id` is the `index`th event of the record at
    /// `record`. Events must come in seq order per node to make runs; one that does not
    /// extend the node's last run starts a new run only past it.
    mutating func add(_ id: EventID, record: Int, index: Int) {
        let node = id.dot.node
        let run = ChainRun(firstSeq: id.dot.seq, count: 1, piece: record, firstIndex: index)
        if let last = runs[node]?.last {
            if last.isContinued(by: run) {
                runs[node]![runs[node]!.count - 1].count += 1
                return
            }
            guard last.lastSeq < run.firstSeq else { return }
        }
        runs[node, default: []].append(run)
    }

    /// Every event noted: its node, its seq, and where it lies (record, index).
    func forEachEvent(_ body: (_ node: NodeID, _ seq: UInt64, _ record: Int, _ index: Int) -> Void) {
        for (node, runs) in runs {
            for run in runs {
                for offset in 0..<run.count {
                    body(node, run.firstSeq + UInt64(offset), run.piece, run.firstIndex + offset)
                }
            }
        }
    }

    /// How far the node's first branch lies in the log without a gap, from `base + 1`.
    func reach(of node: NodeID, after base: UInt64) -> UInt64 {
        guard let runs = runs[node] else { return base }
        var reach = base
        for run in runs where run.lastSeq > reach {
            guard run.firstSeq <= reach + 1 else { break }
            reach = run.lastSeq
        }
        return reach
    }

    /// The offset of the record that holds the first branch's event at `seq`.
    func record(of node: NodeID, seq: UInt64) -> Int? {
        guard let runs = runs[node] else { return nil }
        let at = ChainRun.first(endingAtOrAfter: seq, in: runs)
        guard at < runs.count, runs[at].firstSeq <= seq else { return nil }
        return runs[at].piece
    }

    /// Where the first branch's events `seqs` lie: (record, first index, count) pieces in
    /// seq order, or nil when one is not in a run.
    func pieces(of node: NodeID, seqs: ClosedRange<UInt64>) -> [(record: Int, firstIndex: Int, count: Int)]? {
        guard let runs = runs[node] else { return nil }
        var out: [(record: Int, firstIndex: Int, count: Int)] = []
        var seq = seqs.lowerBound
        var at = ChainRun.first(endingAtOrAfter: seq, in: runs)
        while seq <= seqs.upperBound {
            guard at < runs.count, runs[at].firstSeq <= seq else { return nil }
            let run = runs[at]
            let last = Swift.min(run.lastSeq, seqs.upperBound)
            out.append((run.piece, run.firstIndex + Int(seq - run.firstSeq), Int(last - seq) + 1))
            seq = last + 1
            at += 1
        }
        return out
    }
}

/// A cold store's source: the checkpoint it opened or wrote, then the records it appended
/// to its log since, each node's first branch read from whichever holds its seq.
struct StoreChains: ColdChainSource {
    let checkpoint: CheckpointChains?
    let log: LogChains
    /// The log, read within the state it had when this source was made (nil: the log part
    /// is not used).
    let reader: LogRecordReader?
    /// The log records decoded last, by offset: the store's one cache, shared by every
    /// source it makes (one per append), so that they neither decode again nor pile up.
    let records: RecentlyDecodedPieces

    init(checkpoint: CheckpointChains?, log: LogChains, reader: LogRecordReader?, records: RecentlyDecodedPieces) {
        self.checkpoint = checkpoint
        self.log = log
        self.reader = reader
        self.records = records
    }

    /// How far each node's first branch can be read back without a gap, from seq 1.
    func reach(of node: NodeID) -> UInt64 {
        let base = checkpoint?.reach(of: node) ?? 0
        return reader == nil ? base : log.reach(of: node, after: base)
    }

    func chainEvents(of node: NodeID, seqs: ClosedRange<UInt64>) throws -> [Event] {
        var out: [Event] = []
        out.reserveCapacity(seqs.count)
        for slice in try chainEventSlices(of: node, seqs: seqs) { out += slice }
        return out
    }

    /// The checkpoint's chunks first (by number), then the log's records (by offset, after
    /// every chunk number).
    func readingPlace(of node: NodeID, seq: UInt64) -> Int? {
        let split = checkpoint?.reach(of: node) ?? 0
        if seq <= split { return checkpoint?.readingPlace(of: node, seq: seq) }
        return log.record(of: node, seq: seq).map { Int(Int32.max) + $0 }
    }

    /// The events at `seqs` as slices of the checkpoint chunks and log records they lie
    /// in, not copied (`CheckpointChains.chainEventSlices`).
    func chainEventSlices(of node: NodeID, seqs: ClosedRange<UInt64>) throws -> [ArraySlice<Event>] {
        let split = checkpoint?.reach(of: node) ?? 0
        var out: [ArraySlice<Event>] = []
        if seqs.lowerBound <= split, let checkpoint {
            out += try checkpoint.chainEventSlices(of: node, seqs: seqs.lowerBound...Swift.min(seqs.upperBound, split))
        }
        guard seqs.upperBound > split else { return out }
        let logSeqs = Swift.max(seqs.lowerBound, split + 1)...seqs.upperBound
        guard let reader, let pieces = log.pieces(of: node, seqs: logSeqs) else {
            throw CheckpointChains.ReadError(reason: "seqs \(logSeqs.lowerBound)...\(logSeqs.upperBound) are in no record this store appended")
        }
        for piece in pieces {
            let events = try records.events(of: piece.record) { () throws -> [Event] in
                guard let events = reader.events(at: piece.record) else {
                    throw CheckpointChains.ReadError(reason: "the log record at \(piece.record) does not read back")
                }
                return events
            }
            guard piece.firstIndex + piece.count <= events.count else {
                throw CheckpointChains.ReadError(reason: "the log record at \(piece.record) holds \(events.count) events")
            }
            out.append(events[piece.firstIndex..<(piece.firstIndex + piece.count)])
        }
        return out
    }
}
