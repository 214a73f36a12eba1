import CarnetCore

/// A bundle: events in a file, for sneakernet (a USB stick between a farm without
/// network and the hub).
///
/// Self-describing and checksummed, so a truncated copy or another ledger's file is
/// refused before anything is stored. Layout (integers big-endian, varints LEB128,
/// strings varint length + UTF-8, as in the rest of this module):
///
///     header  = "CARNETBN" u16(version = 1) 6 × 00                   (16 bytes)
///     body    = string(ledger) nodeID(creator, 16 bytes) string(creator label)
///               u64(created, ms since the epoch) u8(0 | 1) [nodeID(for)]
///               varint(chunk count)
///               chunk = varint(event count) varint(byte length) batch
///     trailer = sha256(every byte before it)                          (32 bytes)
///
/// Each batch is the event batch encoding (at most `chunkEvents` events, and within the
/// batch's canonical size limit, protocol/SPEC.md §3.2); the receiver
/// recomputes every event hash, so an event cannot be altered undetected either.
///
/// The format lives here, beside the other codecs, rather than in the `carnet` executable,
/// so that the fuzz targets (and anything else) can decode bundles without the CLI.
public struct BundleFormat: Sendable, Equatable {
    public static let chunkEvents = 10_000
    /// At most this many chunks in one bundle: a bound on a hostile count, far above any
    /// real bundle (2^20 chunks of 10,000 events).
    static let maxChunks = 1 << 20

    public var ledger: String
    public var creator: NodeID
    public var creatorLabel: String
    public var createdMillis: UInt64
    /// The node it was made for (`bundle create --for`), if any.
    public var recipient: NodeID?
    public var events: [Event]

    public init(ledger: String, creator: NodeID, creatorLabel: String, createdMillis: UInt64,
                recipient: NodeID?, events: [Event]) {
        self.ledger = ledger
        self.creator = creator
        self.creatorLabel = creatorLabel
        self.createdMillis = createdMillis
        self.recipient = recipient
        self.events = events
    }

    public func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 64 + events.count * 64)
        writer.raw(FileHeader.bundle.bytes)
        writer.string(ledger)
        writer.nodeID(creator)
        writer.string(creatorLabel)
        writer.uint64BigEndian(createdMillis)
        if let recipient {
            writer.byte(1)
            writer.nodeID(recipient)
        } else {
            writer.byte(0)
        }
        var chunks: [ArraySlice<Event>] = []
        var start = 0
        while start < events.count {
            let candidates = events[start..<min(start + Self.chunkEvents, events.count)]
            let count = EventBatch.countWithinCanonicalLimit(candidates)
            chunks.append(candidates.prefix(count))
            start += count
        }
        writer.varint(UInt64(chunks.count))
        for chunk in chunks {
            let batch = EventBatch.encode(chunk)
            writer.varint(UInt64(chunk.count))
            writer.varint(UInt64(batch.count))
            writer.raw(batch)
        }
        var bytes = writer.bytes
        bytes += SHA256.hash(bytes).bytes
        return bytes
    }

    /// Why a file is not a bundle this carnet can apply: each a sentence for a person,
    /// meant to follow the file's name.
    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        case notABundle
        case newerVersion(Int)
        case damaged(String)
        /// Sound as a file, but holding what no node accepts (protocol/SPEC.md §3.2): a
        /// copy from the same source would be no better.
        case refused(String)

        public var description: String {
            switch self {
            case .notABundle: "is not a Carnet bundle (wrong magic bytes)"
            case let .refused(reason): "is refused: \(reason); nothing was applied, and no Carnet node accepts it"
            case let .newerVersion(version): "uses bundle format version \(version), which this carnet cannot read; upgrade carnet"
            case let .damaged(reason): "is damaged (\(reason)); copy it again from the node that made it"
            }
        }
    }

    public static func decode(_ bytes: [UInt8]) throws(Problem) -> BundleFormat {
        switch FileHeader.bundle.read(bytes) {
        case .matches: break
        case .otherFormat: throw .notABundle
        case let .otherVersion(version): throw .newerVersion(version)
        }
        guard bytes.count >= 16 + 32 else { throw .damaged("too short") }
        let body = bytes.count - 32
        guard SHA256.hash(bytes[..<body]).bytes == Array(bytes[body...]) else {
            throw .damaged("checksum mismatch: truncated or altered")
        }
        var reader = ByteReader(Array(bytes[16..<body]))
        do throws(WireError) {
            let ledger = try reader.string()
            let creator = try reader.nodeID()
            let label = try reader.string()
            let created = try reader.uint64BigEndian()
            let recipient: NodeID? = try reader.byte() == 1 ? try reader.nodeID() : nil
            let chunkCount = try reader.count(limit: maxChunks, "chunks")
            var events: [Event] = []
            for _ in 0..<chunkCount {
                let count = try reader.count(limit: WireLimits.maxEventsPerBatch, "events")
                let length = try reader.count(limit: reader.remaining, "batch length")
                let batch = try EventBatch.decode(Array(try reader.raw(length)))
                guard batch.count == count else { throw WireError.malformed("a chunk holds \(batch.count) events, not \(count)", at: reader.offset) }
                events += batch
            }
            guard reader.isAtEnd else { throw WireError.malformed("\(reader.remaining) bytes after the last chunk", at: reader.offset) }
            return BundleFormat(ledger: ledger, creator: creator, creatorLabel: label, createdMillis: created,
                                recipient: recipient, events: events)
        } catch {
            if case .canonicalSizeExceeded = error { throw .refused("\(error)") }
            throw .damaged("\(error)")
        }
    }
}
