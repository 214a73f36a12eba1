import CarnetCore
import CarnetStore
import CarnetWire

/// The store's file formats written by the harness (protocol/SPEC.md, "Store log",
/// "Checkpoint", "Status file", and `NodeIdentity`'s text): envelopes around fuzz bytes
/// with true lengths and checksums, and reference encoders for the round trips of the
/// status and identity files, whose own encoders are internal to the store.
///
/// A reference encoder written from the spec is also a check of the spec: a file it
/// writes that the store reads back differently is a bug on one side or the other.
enum StoreFiles {
    static func header(_ magic: String, version: UInt8 = 1) -> [UInt8] { Array(magic.utf8) + [0, version, 0, 0, 0, 0, 0, 0] }
    /// The status file is at version 2 (its digest is the state digest of version 3).
    static let statusHeader = header("CARNETST", version: 2)
    static let logHeader = header("CARNETLG")

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    static func bigEndian64(_ value: UInt64) -> [UInt8] {
        bigEndian(UInt32(value >> 32)) + bigEndian(UInt32(value & 0xFFFF_FFFF))
    }

    /// `u32(length) u32(crc32c(length ‖ payload)) payload`.
    static func logRecord(_ payload: [UInt8]) -> [UInt8] {
        let length = bigEndian(UInt32(payload.count))
        return length + bigEndian(CRC32C.checksum(payload, initial: CRC32C.checksum(length))) + payload
    }

    static func stamp(_ stamp: LogStamp) -> [UInt8] {
        bigEndian64(UInt64(stamp.size)) + bigEndian64(UInt64(stamp.lastRecordOffset)) + bigEndian(stamp.lastRecordCRC)
    }

    static func withCRCTrailer(_ bytes: [UInt8]) -> [UInt8] {
        bytes + bigEndian(CRC32C.checksum(bytes))
    }

    // MARK: - Envelopes

    /// A log of records made from `length() batch-body` pieces of the input, each with the
    /// batch header, true length and CRC; with `torn`, the last record loses a tail.
    static func logEnvelope(_ source: inout FuzzInput, torn: Bool) -> [UInt8] {
        let cut = Int(source.byte())
        var file = logHeader
        var last: [UInt8] = []
        while !source.isAtEnd {
            file += last
            last = logRecord(CodecTarget.batchHeader + source.take(source.length()))
        }
        if torn && !last.isEmpty { last.removeLast(1 + cut % last.count) }
        return file + last
    }

    /// A checkpoint whose stamp is the fixture log's (even first byte) or 20 input bytes,
    /// and whose chunks are `length() batch-body` pieces, each with as many 32-byte hashes
    /// from the input as its batch holds events.
    static func checkpointEnvelope(_ source: inout FuzzInput) -> [UInt8] {
        var bytes = header("CARNETCK")
        bytes += source.byte() & 1 == 0 ? stamp(StoreFixtures.logStamp) : source.takePadded(20)
        var chunks: [[UInt8]] = []
        while !source.isAtEnd {
            let batch = CodecTarget.batchHeader + source.take(source.length())
            let count = (try? EventBatch.decode(batch).count) ?? 0
            chunks.append(bigEndian(UInt32(batch.count)) + bigEndian(UInt32(count)) + batch + source.takePadded(32 * count))
        }
        bytes += bigEndian(UInt32(chunks.count))
        for chunk in chunks { bytes += chunk }
        return withCRCTrailer(bytes)
    }

    /// A status file around the input's body, stamped with the empty log's state.
    static func statusEnvelope(_ body: [UInt8]) -> [UInt8] {
        withCRCTrailer(statusHeader + stamp(StoreFixtures.emptyLogStamp) + body)
    }

    // MARK: - Reference encoders

    static func status(_ summary: StoreStatus) -> [UInt8] {
        var writer = ByteWriter(capacity: 256)
        writer.varint(UInt64(summary.eventCount))
        writer.digest(summary.digest)
        writer.varint(UInt64(summary.forkCount))
        writer.varint(UInt64(summary.pendingCount))
        writer.varint(UInt64(summary.derived.count))
        for (name, value) in summary.derived.sorted(by: { $0.key < $1.key }) {
            writer.string(name)
            writer.signed(Int64(value))
        }
        SummaryCoding.encode(summary.history, into: &writer)
        return withCRCTrailer(statusHeader + stamp(summary.stamp) + writer.bytes)
    }

    static func identity(_ identity: NodeIdentity) -> [UInt8] {
        Array(["carnet-node 1", "node \(identity.node.hex)", "ledger \(identity.ledger)", "label \(identity.label)",
               "home \(identity.home.device):\(identity.home.inode)"].joined(separator: "\n").utf8) + [0x0A]
    }
}

/// Fixed store files the store target writes beside the fuzzed one.
enum StoreFixtures {
    /// The farm's events in two records.
    static let log: [UInt8] = {
        let events = SessionFixtures.farm.allEvents
        return StoreFiles.logHeader + StoreFiles.logRecord(EventBatch.encode(events.prefix(5)))
            + StoreFiles.logRecord(EventBatch.encode(events.dropFirst(5)))
    }()

    /// The state of `log`: where its last record starts and its stored CRC.
    static let logStamp: LogStamp = {
        let first = StoreFiles.logRecord(EventBatch.encode(SessionFixtures.farm.allEvents.prefix(5)))
        let offset = StoreFiles.logHeader.count + first.count
        let crc = UInt32(log[offset + 4]) << 24 | UInt32(log[offset + 5]) << 16 | UInt32(log[offset + 6]) << 8 | UInt32(log[offset + 7])
        return LogStamp(size: log.count, lastRecordOffset: offset, lastRecordCRC: crc)
    }()

    static let emptyLogStamp = LogStamp(size: StoreFiles.logHeader.count, lastRecordOffset: 0, lastRecordCRC: 0)
}
