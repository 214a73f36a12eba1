import CarnetCore

/// A bundle: events in a file, for sneakernet (a USB stick between a farm without
/// network and the hub).
///
/// Two formats (protocol/SPEC.md §6.4). Format 2 (`BundleSeal`) is what `bundle create`
/// writes: sealed with the ledger's secret, so that a lost stick tells its finder nothing but
/// the ledger id and the size, and an altered or foreign file is refused. Format 1, below,
/// is read still (bundles already on sticks) and written only by tests and the fuzz target:
/// self-describing and checksummed, every entry in clear. Its layout (integers big-endian,
/// varints LEB128, strings varint length + UTF-8, as in the rest of this module):
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
/// recomputes every event hash, so an event cannot be altered undetected either. The
/// plaintext of format 2 is the same body, with batches of version 2 in a signed ledger.
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
    /// The signed heads that vouch for `events` (format 2 of a signed ledger); empty in
    /// format 1, which has no place for them.
    public var heads: [SignedHead]

    public init(ledger: String, creator: NodeID, creatorLabel: String, createdMillis: UInt64,
                recipient: NodeID?, events: [Event], heads: [SignedHead] = []) {
        self.ledger = ledger
        self.creator = creator
        self.creatorLabel = creatorLabel
        self.createdMillis = createdMillis
        self.recipient = recipient
        self.events = events
        self.heads = heads
    }

    /// Format 1 (no heads: a signed ledger's bundle must be sealed, `BundleSeal`).
    public func encode() -> [UInt8] {
        var chunks: [ArraySlice<Event>] = []
        var start = 0
        while start < events.count {
            let candidates = events[start..<min(start + Self.chunkEvents, events.count)]
            let count = EventBatch.countWithinCanonicalLimit(candidates)
            chunks.append(candidates.prefix(count))
            start += count
        }
        var writer = ByteWriter(capacity: 64 + events.count * 64)
        writer.raw(FileHeader.bundle.bytes)
        writeBody(chunks.map { (count: $0.count, batch: EventBatch.encode($0)) }, into: &writer)
        var bytes = writer.bytes
        bytes += SHA256.hash(bytes).bytes
        return bytes
    }

    /// The body both formats share: the fields, then the chunk list.
    func writeBody(_ chunks: [(count: Int, batch: [UInt8])], into writer: inout ByteWriter) {
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
        writer.varint(UInt64(chunks.count))
        for chunk in chunks {
            writer.varint(UInt64(chunk.count))
            writer.varint(UInt64(chunk.batch.count))
            writer.raw(chunk.batch)
        }
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
        /// Format 2 whose chunks do not all open: altered, cut, or sealed with another
        /// secret (the AEAD cannot tell these apart, and need not).
        case unsealed


        public var description: String {
            switch self {
            case .notABundle: "is not a Carnet bundle (wrong magic bytes)"
            case let .refused(reason): "is refused: \(reason); nothing was applied, and no Carnet node accepts it"
            case let .newerVersion(version): "uses bundle format version \(version), which this carnet cannot read; upgrade carnet"
            case let .damaged(reason): "is damaged (\(reason)); copy it again from the node that made it"
            case .unsealed: "is damaged or not sealed with this ledger's secret; nothing was applied"
            }
        }
    }

    /// Decodes a bundle of format 1 (`secret` unused) or 2 (opened with `secret`; nil
    /// refuses it as unsealed). Everything is checked before anything is returned.
    public static func decode(_ bytes: [UInt8], secret: [UInt8]? = nil) throws(Problem) -> BundleFormat {
        switch FileHeader.bundle.read(bytes) {
        case .matches: break
        case .otherFormat: throw .notABundle
        case .otherVersion(Int(BundleSeal.version)): return try BundleSeal.open(bytes, secret: secret ?? [])
        case let .otherVersion(version): throw .newerVersion(version)
        }
        guard bytes.count >= 16 + 32 else { throw .damaged("too short") }
        let body = bytes.count - 32
        guard SHA256.hash(bytes[..<body]).bytes == Array(bytes[body...]) else {
            throw .damaged("checksum mismatch: truncated or altered")
        }
        return try decodeBody(Array(bytes[16..<body]), signed: false)
    }

    /// Reads the body; `signed` admits batches of version 2 (format 2), whose heads are kept.
    static func decodeBody(_ body: [UInt8], signed: Bool) throws(Problem) -> BundleFormat {
        var reader = ByteReader(body)
        do throws(WireError) {
            let ledger = try reader.string()
            let creator = try reader.nodeID()
            let label = try reader.string()
            let created = try reader.uint64BigEndian()
            let recipient: NodeID? = try reader.byte() == 1 ? try reader.nodeID() : nil
            let chunkCount = try reader.count(limit: maxChunks, "chunks")
            var events: [Event] = []
            var heads: [SignedHead] = []
            for _ in 0..<chunkCount {
                let count = try reader.count(limit: WireLimits.maxEventsPerBatch, "events")
                let length = try reader.count(limit: reader.remaining, "batch length")
                // A fresh decoder per chunk: no chunk depends on another's tables.
                let batch = signed ? try EventBatch.decodeSigned(Array(try reader.raw(length)))
                    : SignedEvents(events: try EventBatch.decode(Array(try reader.raw(length))))
                guard batch.events.count == count else {
                    throw WireError.malformed("a chunk holds \(batch.events.count) events, not \(count)", at: reader.offset)
                }
                events += batch.events
                heads += batch.heads
            }
            guard reader.isAtEnd else { throw WireError.malformed("\(reader.remaining) bytes after the last chunk", at: reader.offset) }
            return BundleFormat(ledger: ledger, creator: creator, creatorLabel: label, createdMillis: created,
                                recipient: recipient, events: events, heads: heads)
        } catch {
            if case .canonicalSizeExceeded = error { throw .refused("\(error)") }
            throw .damaged("\(error)")
        }
    }
}
