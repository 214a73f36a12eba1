import CarnetCore
import CarnetSystem
import CarnetWire

/// Where each node's first branch lies in a checkpoint, so that a store can keep those
/// events out of memory and read them back a chunk at a time (`Replica.keepChainsCold`).
///
/// A checkpoint already holds every event with its hash, in self-contained chunks that
/// decode without hashing again (SPEC §6.2): it is the cheapest place to read an old event
/// from. The file stays open here, so a newer checkpoint renamed over it (by this process
/// or another writer) leaves this one readable for as long as the source lives.
public struct CheckpointChains: ColdChainSource {
    /// A chunk's place in the file: its batch, then its `count` hashes.
    public struct Chunk: Sendable {
        var batch: Range<Int>
        var count: Int
    }

    let file: any StorageFile
    let chunks: [Chunk]
    /// Each node's runs, in seq order; a run's piece is the number of its chunk.
    let runs: [NodeID: [ChainRun]]
    /// `reach(of:)` of every node, computed once: a cold read asks for it each time.
    private let reaches: [NodeID: UInt64]
    private let lastChunks = RecentlyDecodedPieces()

    init(file: any StorageFile, chunks: [Chunk], runs: [NodeID: [ChainRun]]) {
        var locator = Locator()
        for (node, runs) in runs {
            for run in runs { locator.note(run, of: node) }
        }
        self.init(file: file, chunks: chunks, located: locator)
    }

    /// The first-branch events `located` found in the chunks of `file`.
    init(file: any StorageFile, chunks: [Chunk], located: Locator) {
        self.file = file
        self.chunks = chunks
        self.runs = located.runs
        self.reaches = located.reaches
    }

    /// How far each node's first branch lies here without a gap, from seq 1: what a store
    /// may keep cold with this source.
    public func reach(of node: NodeID) -> UInt64 {
        reaches[node] ?? 0
    }

    /// Notes, as a checkpoint's chunks are taken in, where each event that lies on its
    /// node's first branch is, and how far each first branch is found without a gap.
    struct Locator: Sendable {
        private(set) var runs: [NodeID: [ChainRun]] = [:]
        /// The seq each node's runs reach from seq 1 without a gap: kept as they grow, so
        /// that a store cooling after every chunk never walks every run again.
        private(set) var reaches: [NodeID: UInt64] = [:]

        /// Notes that `id`, on its node's first branch, is event `index` of chunk `chunk`.
        /// Events come in file order; one of a seq already located (or lower) is left out:
        /// the reach stops at the first gap, and nothing past it goes cold.
        mutating func note(_ id: EventID, chunk: Int, index: Int) {
            note(ChainRun(firstSeq: id.dot.seq, count: 1, piece: chunk, firstIndex: index), of: id.dot.node)
        }

        /// Notes a run of events, extending the node's last run when it continues it.
        /// Called once per event a cold open reads (a million at 1M): the node's runs and
        /// its reach are each looked up once, and changed in place.
        mutating func note(_ run: ChainRun, of node: NodeID) {
            guard let end = Self.extend(&runs[node, default: []], with: run) else { return }
            if run.firstSeq == end + 1 {
                Self.advance(&reaches[node, default: 0], from: end, to: run.lastSeq)
            }
        }

        /// Adds `run` to a node's runs, extending the last when it continues it; the seq the
        /// runs ended at before, or nil when `run` starts at or below it (left out).
        private static func extend(_ runs: inout [ChainRun], with run: ChainRun) -> UInt64? {
            let end = runs.last?.lastSeq ?? 0
            guard run.firstSeq > end else { return nil }
            if let last = runs.last, last.isContinued(by: run) {
                runs[runs.count - 1].count += run.count
            } else {
                runs.append(run)
            }
            return end
        }

        private static func advance(_ reach: inout UInt64, from end: UInt64, to last: UInt64) {
            if reach == end { reach = last }
        }
    }

    public func chainEvents(of node: NodeID, seqs: ClosedRange<UInt64>) throws -> [Event] {
        var out: [Event] = []
        out.reserveCapacity(seqs.count)
        for slice in try chainEventSlices(of: node, seqs: seqs) { out += slice }
        return out
    }

    /// The events at `seqs` as slices of the decoded chunks they lie in (one a chunk), not
    /// copied: a slice keeps its chunk's events alive only as long as the reader holds it.
    public func chainEventSlices(of node: NodeID, seqs: ClosedRange<UInt64>) throws -> [ArraySlice<Event>] {
        guard let runs = runs[node] else { throw ReadError(reason: "no events of this node in the checkpoint") }
        var out: [ArraySlice<Event>] = []
        var seq = seqs.lowerBound
        // The first run that ends at or after `seq`: runs are in seq order.
        var at = ChainRun.first(endingAtOrAfter: seq, in: runs)
        while seq <= seqs.upperBound {
            guard at < runs.count, runs[at].firstSeq <= seq else {
                throw ReadError(reason: "seq \(seq) is not in the checkpoint")
            }
            let run = runs[at]
            let last = Swift.min(run.lastSeq, seqs.upperBound)
            let events = try decoded(chunk: run.piece)
            let from = run.firstIndex + Int(seq - run.firstSeq)
            let to = from + Int(last - seq) + 1
            guard to <= events.count else { throw ReadError(reason: "chunk \(run.piece) holds \(events.count) events, not \(to)") }
            out.append(events[from..<to])
            seq = last + 1
            at += 1
        }
        return out
    }

    /// Drops the chunks decoded so far: for a test that damages the file under a store, then
    /// reads an event a chunk decoded earlier (opening confirms a fork's predecessor so)
    /// would answer from memory.
    func forgetDecodedChunks() { lastChunks.forget() }

    /// The number of the chunk that holds `node`'s first-branch event at `seq`.
    public func readingPlace(of node: NodeID, seq: UInt64) -> Int? {
        guard let runs = runs[node] else { return nil }
        let at = ChainRun.first(endingAtOrAfter: seq, in: runs)
        guard at < runs.count, runs[at].firstSeq <= seq else { return nil }
        return runs[at].piece
    }

    /// A chunk's events, decoded with the hashes it keeps (no hashing again); the last one
    /// decoded is kept, since walks read a chunk in several runs.
    private func decoded(chunk index: Int) throws -> [Event] {
        try lastChunks.events(of: index) { () throws -> [Event] in
            let chunk = chunks[index]
            let batch: [UInt8], hashes: [UInt8]
            do {
                batch = try file.read(at: chunk.batch.lowerBound, count: chunk.batch.count)
                hashes = try file.read(at: chunk.batch.upperBound, count: chunk.count * 32)
            } catch {
                throw ReadError(reason: "chunk \(index) cannot be read: \(error)")
            }
            guard batch.count == chunk.batch.count, hashes.count == chunk.count * 32 else {
                throw ReadError(reason: "chunk \(index) is cut short (\(batch.count + hashes.count) bytes)")
            }
            do throws(Checkpoint.Problem) {
                return try CheckpointReader.decode(batch: batch, hashes: hashes, count: chunk.count).events
            } catch {
                throw ReadError(reason: "chunk \(index): \(error)")
            }
        }
    }

    public struct ReadError: Error, Sendable, CustomStringConvertible {
        public var reason: String
        public var description: String { "the checkpoint no longer gives back its events: \(reason)" }
    }
}
