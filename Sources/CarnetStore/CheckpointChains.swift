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

    /// Seqs `firstSeq ..< firstSeq + count` of a node's first branch are the events
    /// `firstIndex ..< firstIndex + count` of one chunk.
    struct Run: Sendable {
        var firstSeq: UInt64
        var count: Int
        var chunk: Int
        var firstIndex: Int
        var lastSeq: UInt64 { firstSeq + UInt64(count) - 1 }
    }

    let file: any StorageFile
    let chunks: [Chunk]
    let runs: [NodeID: [Run]]
    /// `reach(of:)` of every node, computed once: a cold read asks for it each time.
    private let reaches: [NodeID: UInt64]
    private let lastChunk = LastDecodedChunk()

    init(file: any StorageFile, chunks: [Chunk], runs: [NodeID: [Run]]) {
        self.file = file
        self.chunks = chunks
        self.runs = runs
        var reaches: [NodeID: UInt64] = [:]
        for (node, runs) in runs {
            var reach: UInt64 = 0
            for run in runs {
                guard run.firstSeq == reach + 1 else { break }
                reach = run.lastSeq
            }
            reaches[node] = reach
        }
        self.reaches = reaches
    }

    /// How far each node's first branch lies here without a gap, from seq 1: what a store
    /// may keep cold with this source.
    public func reach(of node: NodeID) -> UInt64 {
        reaches[node] ?? 0
    }

    /// Finds, for the events a checkpoint held in file order, those that lie on their
    /// node's first branch of `history` at their seq, and where.
    static func locate(_ events: [Event], chunks: [Chunk], file: any StorageFile, in history: History) -> CheckpointChains {
        var runs: [NodeID: [Run]] = [:]
        var chunk = 0, index = 0
        for event in events {
            while chunk < chunks.count, index == chunks[chunk].count {
                chunk += 1
                index = 0
            }
            defer { index += 1 }
            guard history.chainContains(event.id) else { continue }
            let node = event.dot.node
            if let last = runs[node]?.last, last.chunk == chunk, last.lastSeq + 1 == event.dot.seq,
               last.firstIndex + last.count == index {
                runs[node]![runs[node]!.count - 1].count += 1
            } else if runs[node]?.last.map({ $0.lastSeq < event.dot.seq }) ?? true {
                runs[node, default: []].append(Run(firstSeq: event.dot.seq, count: 1, chunk: chunk, firstIndex: index))
            }
            // (An event of a seq already located, or out of order, is left out: `reach`
            // stops at the first gap, and nothing past it goes cold.)
        }
        return CheckpointChains(file: file, chunks: chunks, runs: runs)
    }

    public func chainEvents(of node: NodeID, seqs: ClosedRange<UInt64>) throws -> [Event] {
        guard let runs = runs[node] else { throw ReadError(reason: "no events of this node in the checkpoint") }
        var out: [Event] = []
        out.reserveCapacity(seqs.count)
        var seq = seqs.lowerBound
        // The first run that ends at or after `seq`: runs are in seq order.
        var at = Self.firstRun(endingAtOrAfter: seq, in: runs)
        while seq <= seqs.upperBound {
            guard at < runs.count, runs[at].firstSeq <= seq else {
                throw ReadError(reason: "seq \(seq) is not in the checkpoint")
            }
            let run = runs[at]
            let last = Swift.min(run.lastSeq, seqs.upperBound)
            let events = try decoded(chunk: run.chunk)
            let from = run.firstIndex + Int(seq - run.firstSeq)
            let to = from + Int(last - seq) + 1
            guard to <= events.count else { throw ReadError(reason: "chunk \(run.chunk) holds \(events.count) events, not \(to)") }
            out += events[from..<to]
            seq = last + 1
            at += 1
        }
        return out
    }

    private static func firstRun(endingAtOrAfter seq: UInt64, in runs: [Run]) -> Int {
        var low = 0, high = runs.count
        while low < high {
            let middle = (low + high) / 2
            if runs[middle].lastSeq < seq { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// A chunk's events, decoded with the hashes it keeps (no hashing again); the last one
    /// decoded is kept, since walks read a chunk in several runs.
    private func decoded(chunk index: Int) throws -> [Event] {
        try lastChunk.events(of: index) { () throws -> [Event] in
            let chunk = chunks[index]
            let bytes: [UInt8]
            do {
                bytes = try file.read(at: chunk.batch.lowerBound, count: chunk.batch.count + chunk.count * 32)
            } catch {
                throw ReadError(reason: "chunk \(index) cannot be read: \(error)")
            }
            guard bytes.count == chunk.batch.count + chunk.count * 32 else {
                throw ReadError(reason: "chunk \(index) is cut short (\(bytes.count) bytes)")
            }
            var hashes: [SHA256Digest] = []
            hashes.reserveCapacity(chunk.count)
            var reader = ByteReader(bytes, offset: chunk.batch.count)
            for _ in 0..<chunk.count {
                guard let hash = try? reader.digest() else { throw ReadError(reason: "chunk \(index): hash past the end") }
                hashes.append(hash)
            }
            do {
                return try EventBatch.decodeSigned(Array(bytes[..<chunk.batch.count]), trustedHashes: hashes).events
            } catch {
                throw ReadError(reason: "chunk \(index) does not decode: \(error)")
            }
        }
    }

    public struct ReadError: Error, Sendable, CustomStringConvertible {
        public var reason: String
        public var description: String { "the checkpoint no longer gives back its events: \(reason)" }
    }
}

/// The chunks a `CheckpointChains` decoded last, shared by the copies of one source.
///
/// A few, not one: a session sending several nodes' chains, or a fold walking one chain
/// while it looks up what a void cancels, alternates between chunks, and each decode is
/// 16,384 events. Four chunks of decoded events are some 50 MB at most, for as long as
/// they are read.
///
/// `@unchecked Sendable` is sound: `recent` is read and written only while holding `lock`.
final class LastDecodedChunk: @unchecked Sendable {
    static let kept = 4
    private let lock = Lock()
    /// Most recently used last.
    private var recent: [(index: Int, events: [Event])] = []

    func events(of chunk: Int, decode: () throws -> [Event]) throws -> [Event] {
        try lock.withLock { () throws -> [Event] in
            if let at = recent.firstIndex(where: { $0.index == chunk }) {
                let hit = recent.remove(at: at)
                recent.append(hit)
                return hit.events
            }
            let events = try decode()
            if recent.count == Self.kept { recent.removeFirst() }
            recent.append((chunk, events))
            return events
        }
    }
}
