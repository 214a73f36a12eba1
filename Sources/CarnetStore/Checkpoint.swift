import CarnetCore
import CarnetSystem
import CarnetWire

/// A snapshot of every event a node holds, with their hashes, covering its log up to a
/// stamp, so that opening reads the snapshot and only the log's newer records.
///
/// Layout (protocol/SPEC.md, "Checkpoint"):
///
///     header  = "CARNETCK" u16(version = 1) 6 × 00              (16 bytes)
///     stamp   = u64(log size) u64(last record offset) u32(its crc)
///     u32(chunk count)
///     chunk   = u32(batch length) u32(event count) batch  count × hash(32)
///     trailer = u32(crc32c of every byte before it)
///
/// Written to a temporary file, fsynced, renamed over the old one, directory fsynced: a
/// crash leaves the old checkpoint or the new one. It is never needed for correctness:
/// missing, damaged, or not matching the log, it is ignored and rebuilt from the log.
public enum Checkpoint {
    public static let fileName = "checkpoint"
    /// Events per chunk: each chunk is one batch, within the batch codec's limits.
    static let chunkEvents = 16_384

    /// What a readable checkpoint holds.
    public struct Contents {
        public var stamp: LogStamp
        public var events: [Event]
        /// The signed heads kept (signed ledgers); each chunk carries those of its events.
        public var heads: [SignedHead] = []
    }

    /// Why a checkpoint was not used.
    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        case missing
        case damaged(String)
        case unsupportedVersion(Int)

        public var description: String {
            switch self {
            case .missing: "no checkpoint"
            case let .damaged(reason): "checkpoint damaged (\(reason))"
            case let .unsupportedVersion(version): "checkpoint format version \(version) is not known to this carnet"
            }
        }
    }

    /// The file's bytes for `events`, the events a log whose state is `stamp` holds.
    static func encode(_ events: [Event], heads: [SignedHead]? = nil, stamp: LogStamp) -> [UInt8] {
        encodeLocated(events, heads: heads, stamp: stamp).bytes
    }

    /// The file's bytes, and where each chunk's batch lies in them.
    static func encodeLocated(_ events: [Event], heads: [SignedHead]? = nil,
                              stamp: LogStamp) -> (bytes: [UInt8], chunks: [CheckpointChains.Chunk]) {
        let all = events
        return encodeLocated(count: events.count, heads: heads, stamp: stamp) { (range: Range<Int>) throws(Never) in Array(all[range]) }
    }

    /// The same, asking `events` for each chunk's events (on every core, a chunk at a
    /// time): a history that keeps its events out of memory is read back a chunk at a time.
    /// `chunkEvents` is smaller only in tests, to cut a small history into many chunks.
    static func encodeLocated<E: Error>(count: Int, heads: [SignedHead]?, stamp: LogStamp,
                                        chunkEvents: Int = Checkpoint.chunkEvents,
                                        events: @Sendable (Range<Int>) throws(E) -> [Event])
        throws(E) -> (bytes: [UInt8], chunks: [CheckpointChains.Chunk]) {
        var headsByEvent: [EventID: SignedHead] = [:]
        for head in heads ?? [] { headsByEvent[head.eventID] = head }
        var bytes = FileHeader.checkpoint.bytes
        stamp.write(into: &bytes)
        let chunkCount = (count + chunkEvents - 1) / chunkEvents
        bytes += LogFormat.bigEndian(UInt32(chunkCount))
        let signed = heads != nil, byEvent = headsByEvent
        // Each chunk is a batch of its own: encoded on every core, written in order.
        let encoded = try ParallelMap.map(count: chunkCount) { (index: Int) throws(E) -> [UInt8] in
            let chunk = try events((index * chunkEvents)..<min((index + 1) * chunkEvents, count))
            // A signed ledger's chunks are batches of version 2 with the heads of their own
            // events; a format-1 store keeps writing version 1.
            let batch = !signed ? EventBatch.encode(chunk)
                : EventBatch.encode(SignedEvents(events: Array(chunk), heads: chunk.compactMap { byEvent[$0.id] }))
            var bytes = LogFormat.bigEndian(UInt32(batch.count))
            bytes.reserveCapacity(8 + batch.count + chunk.count * 32)
            bytes += LogFormat.bigEndian(UInt32(chunk.count))
            bytes += batch
            for event in chunk { bytes += event.hash.bytes }
            return bytes
        }
        bytes.reserveCapacity(bytes.count + encoded.reduce(4) { $0 + $1.count })
        var chunks: [CheckpointChains.Chunk] = []
        chunks.reserveCapacity(chunkCount)
        for (index, chunk) in encoded.enumerated() {
            let inChunk = Swift.min(chunkEvents, count - index * chunkEvents)
            let batchStart = bytes.count + 8
            chunks.append(CheckpointChains.Chunk(batch: batchStart..<(batchStart + chunk.count - 8 - inChunk * 32), count: inChunk))
            bytes += chunk
        }
        bytes += LogFormat.bigEndian(CRC32C.checksum(bytes))
        return (bytes, chunks)
    }

    static func decode(_ bytes: [UInt8]) throws(Problem) -> Contents {
        try contents(of: CheckpointReader(bytes: bytes))
    }

    /// Reads `directory/checkpoint`: every event at once, for a caller that wants them all
    /// (`verify`, tests). A store opens a chunk at a time (`CheckpointLoad`).
    public static func read(directory: String, storage: any Storage = PosixStorage()) throws(Problem) -> Contents {
        try contents(of: CheckpointReader.open(directory: directory, storage: storage))
    }

    /// Every chunk of a checked checkpoint, decoded on every core (a million events: some
    /// sixty chunks), end to end.
    private static func contents(of reader: CheckpointReader) throws(Problem) -> Contents {
        let decoded = try reader.decode(chunks: 0..<reader.chunks.count)
        var events: [Event] = []
        events.reserveCapacity(reader.eventCount)
        var heads: [SignedHead] = []
        for signed in decoded {
            events += signed.events
            heads += signed.heads
        }
        return Contents(stamp: reader.stamp, events: events, heads: heads)
    }

    /// Replaces `directory/checkpoint` atomically.
    public static func write(_ events: [Event], heads: [SignedHead]? = nil, stamp: LogStamp, directory: String,
                             storage: any Storage = PosixStorage()) throws(StoreError) {
        do {
            try storage.writeAtomically(encode(events, heads: heads, stamp: stamp), to: directory + "/" + fileName, in: directory)
        } catch {
            throw .checkpointFailed(error)
        }
    }

    /// Replaces `directory/checkpoint` atomically with one of `history`, read back a chunk
    /// at a time in `layout`'s order (a store that keeps its chains cold never holds every
    /// event at once); returns where its chunks lie.
    static func write(_ layout: CheckpointLayout, of history: History, heads: [SignedHead]?, stamp: LogStamp,
                      directory: String, storage: any Storage) throws(StoreError) -> [CheckpointChains.Chunk] {
        let encoded: (bytes: [UInt8], chunks: [CheckpointChains.Chunk])
        do throws(ColdReadError) {
            encoded = try encodeLocated(count: layout.count, heads: heads, stamp: stamp) { (range: Range<Int>) throws(ColdReadError) in
                try layout.events(range, in: history)
            }
        } catch {
            throw .coldEventUnreadable(error.description)
        }
        do {
            try storage.writeAtomically(encoded.bytes, to: directory + "/" + fileName, in: directory)
        } catch {
            throw .checkpointFailed(error)
        }
        return encoded.chunks
    }
}
