import CarnetCore
import CarnetSystem
import CarnetWire

/// A checkpoint checked whole (header, trailer, where every chunk lies) before any of its
/// events is decoded, whose chunks are then decoded one at a time: so that opening a store
/// can take its events a few chunks at a time (`CheckpointLoad`) instead of decoding every
/// one of them into memory first.
///
/// The trailer covers every byte, so it is checked first, the file read a piece at a time
/// and never held whole. A chunk that does not decode after that is still damage (SPEC
/// §6.2): it is found when that chunk is decoded, and the caller drops what it took from
/// the earlier chunks. Every check, and every reason given, is `Checkpoint.decode`'s: both
/// read through this.
struct CheckpointReader: Sendable {
    let stamp: LogStamp
    /// Where each chunk lies, in file order.
    let chunks: [CheckpointChains.Chunk]
    /// Events in every chunk together.
    let eventCount: Int
    /// The file, still open, when read from one: a cold store reads old events back from
    /// it (`CheckpointChains`).
    let file: (any StorageFile)?
    private let bytes: Bytes

    /// Bytes read at once while the trailer is checked.
    static let checksumPiece = 4 << 20

    /// Opens and checks `directory/checkpoint`.
    static func open(directory: String, storage: any Storage) throws(Checkpoint.Problem) -> CheckpointReader {
        let path = directory + "/" + Checkpoint.fileName
        guard storage.exists(path) else { throw .missing }
        let file: any StorageFile
        let size: Int
        do {
            file = try storage.openReadOnly(path)
            size = try file.size()
        } catch {
            throw .damaged("\(error)")
        }
        return try CheckpointReader(.file(file), size: size, file: file)
    }

    /// Checks a checkpoint held in memory.
    init(bytes: [UInt8]) throws(Checkpoint.Problem) {
        try self.init(.memory(bytes), size: bytes.count, file: nil)
    }

    private init(_ bytes: Bytes, size: Int, file: (any StorageFile)?) throws(Checkpoint.Problem) {
        let prefixSize = FileHeader.size + LogStamp.encodedSize + 4
        let prefix = try bytes.read(0..<Swift.min(size, prefixSize))
        let reading = FileHeader.checkpoint.read(prefix)
        guard size >= prefixSize + 4, reading != .otherFormat else {
            throw .damaged("not a checkpoint: wrong magic or too short")
        }
        if case let .otherVersion(version) = reading { throw .unsupportedVersion(version) }
        let body = size - 4
        guard try bytes.checksum(of: 0..<body) == LogFormat.readUInt32(try bytes.read(body..<size), at: 0) else {
            throw .damaged("checksum mismatch")
        }
        guard let stamp = LogStamp.read(prefix, at: FileHeader.size) else { throw .damaged("bad log stamp") }
        var offset = FileHeader.size + LogStamp.encodedSize
        let chunkCount = Int(LogFormat.readUInt32(prefix, at: offset))
        offset += 4
        var chunks: [CheckpointChains.Chunk] = []
        var eventCount = 0
        for _ in 0..<chunkCount {
            guard body - offset >= 8 else { throw .damaged("chunk header past the end") }
            let header = try bytes.read(offset..<(offset + 8))
            let length = Int(LogFormat.readUInt32(header, at: 0))
            let count = Int(LogFormat.readUInt32(header, at: 4))
            offset += 8
            guard length <= body - offset, count <= (body - offset - length) / 32 else {
                throw .damaged("chunk past the end")
            }
            chunks.append(CheckpointChains.Chunk(batch: offset..<(offset + length), count: count))
            eventCount += count
            offset += length + count * 32
        }
        guard offset == body else { throw .damaged("\(body - offset) unexpected bytes") }
        self.stamp = stamp
        self.chunks = chunks
        self.eventCount = eventCount
        self.file = file
        self.bytes = bytes
    }

    /// The events (and signed heads) of chunk `index`, decoded with the hashes it keeps.
    func decode(chunk index: Int) throws(Checkpoint.Problem) -> SignedEvents {
        let chunk = chunks[index]
        let batch = try bytes.read(chunk.batch)
        let hashes = try bytes.read(chunk.batch.upperBound..<(chunk.batch.upperBound + chunk.count * 32))
        return try Self.decode(batch: batch, hashes: hashes, count: chunk.count)
    }

    /// Chunks `range`, decoded on every core, in order; the first error by chunk is thrown.
    func decode(chunks range: Range<Int>) throws(Checkpoint.Problem) -> [SignedEvents] {
        let reader = self
        return try ParallelMap.map(count: range.count) { (offset: Int) throws(Checkpoint.Problem) -> SignedEvents in
            try reader.decode(chunk: range.lowerBound + offset)
        }
    }

    /// A chunk's batch, decoded with its `count` hashes (`hashes` holds them end to end):
    /// its chain links are taken from them instead of hashing again (SPEC §6.2).
    static func decode(batch: [UInt8], hashes bytes: [UInt8], count: Int) throws(Checkpoint.Problem) -> SignedEvents {
        var hashes: [SHA256Digest] = []
        hashes.reserveCapacity(count)
        var reader = ByteReader(bytes)
        for _ in 0..<count {
            guard let hash = try? reader.digest() else { throw .damaged("hash past the end") }
            hashes.append(hash)
        }
        do {
            return try EventBatch.decodeSigned(batch, trustedHashes: hashes)
        } catch {
            throw .damaged("chunk does not decode: \(error)")
        }
    }

    /// Where a checkpoint's bytes are: in memory, or in its file, read when needed.
    private enum Bytes: Sendable {
        case memory([UInt8])
        case file(any StorageFile)

        func read(_ range: Range<Int>) throws(Checkpoint.Problem) -> [UInt8] {
            switch self {
            case let .memory(bytes):
                return Array(bytes[range])
            case let .file(file):
                let read: [UInt8]
                do {
                    read = try file.read(at: range.lowerBound, count: range.count)
                } catch {
                    throw .damaged("\(error)")
                }
                guard read.count == range.count else { throw .damaged("cut short while it was read") }
                return read
            }
        }

        func checksum(of range: Range<Int>) throws(Checkpoint.Problem) -> UInt32 {
            if case let .memory(bytes) = self { return CRC32C.checksum(bytes[range]) }
            var crc: UInt32 = 0
            var at = range.lowerBound
            while at < range.upperBound {
                let piece = try read(at..<Swift.min(range.upperBound, at + CheckpointReader.checksumPiece))
                crc = CRC32C.checksum(piece, initial: crc)
                at += piece.count
            }
            return crc
        }
    }
}
