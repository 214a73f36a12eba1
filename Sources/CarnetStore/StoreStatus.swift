import CarnetCore
import CarnetSystem
import CarnetWire

/// What `carnet status` reports, kept in a small file beside the log so that a status
/// answers in milliseconds on a store of any size, without reading the log.
///
/// It covers the log up to its stamp and is used only while the log is exactly in that
/// state; otherwise status opens the store, which rewrites it. Layout (protocol/SPEC.md,
/// "Status file"):
///
///     header  = "CARNETST" u16(version = 1) 6 × 00
///     stamp   = u64(log size) u64(last record offset) u32(its crc)
///     body    = varint(events) digest(32) varint(forks) varint(pending)
///               varint(n) n × ( string(name) signed(value) )      (derived figures)
///               summary                                          (as in "Summaries")
///     trailer = u32(crc32c of every byte before it)
public struct StoreStatus: Sendable, Equatable {
    public var stamp: LogStamp
    public var eventCount: Int
    public var digest: SHA256Digest
    public var forkCount: Int
    public var pendingCount: Int
    /// Figures the application derives from the state (the ledger's open conflicts), by
    /// name: the store knows events, not what they mean.
    public var derived: [String: Int]
    public var history: HistorySummary

    public static let fileName = "status"

    public init(stamp: LogStamp, eventCount: Int, digest: SHA256Digest, forkCount: Int, pendingCount: Int,
                derived: [String: Int], history: HistorySummary) {
        self.stamp = stamp
        self.eventCount = eventCount
        self.digest = digest
        self.forkCount = forkCount
        self.pendingCount = pendingCount
        self.derived = derived
        self.history = history
    }

    func encode() -> [UInt8] {
        var bytes = FileHeader.status.bytes
        stamp.write(into: &bytes)
        var writer = ByteWriter(capacity: 256)
        writer.varint(UInt64(eventCount))
        writer.digest(digest)
        writer.varint(UInt64(forkCount))
        writer.varint(UInt64(pendingCount))
        writer.varint(UInt64(derived.count))
        for (name, value) in derived.sorted(by: { $0.key < $1.key }) {
            writer.string(name)
            writer.signed(Int64(value))
        }
        SummaryCoding.encode(history, into: &writer)
        bytes += writer.bytes
        bytes += LogFormat.bigEndian(CRC32C.checksum(bytes))
        return bytes
    }

    static func decode(_ bytes: [UInt8]) -> StoreStatus? {
        let headerEnd = FileHeader.size + LogStamp.encodedSize
        guard bytes.count >= headerEnd + 4, FileHeader.status.read(bytes) == .matches else { return nil }
        let body = bytes.count - 4
        guard CRC32C.checksum(bytes[..<body]) == LogFormat.readUInt32(bytes, at: body),
              let stamp = LogStamp.read(bytes, at: 16) else { return nil }
        var reader = ByteReader(Array(bytes[headerEnd..<body]))
        do throws(WireError) {
            let events = try reader.count(limit: Int.max >> 1, "events")
            let digest = try reader.digest()
            let forks = try reader.count(limit: Int.max >> 1, "forks")
            let pending = try reader.count(limit: Int.max >> 1, "pending")
            let derivedCount = try reader.count(limit: 1024, "derived figures")
            var derived: [String: Int] = [:]
            for _ in 0..<derivedCount {
                let name = try reader.string()
                derived[name] = Int(try reader.signed())
            }
            let history = try SummaryCoding.decode(from: &reader)
            guard reader.isAtEnd else { return nil }
            return StoreStatus(stamp: stamp, eventCount: events, digest: digest, forkCount: forks,
                                pendingCount: pending, derived: derived, history: history)
        } catch {
            return nil
        }
    }

    /// The status file of `directory` when it describes the log exactly as it is now; nil
    /// when it is missing, damaged, or the log has changed since (then open the store).
    public static func current(directory: String, storage: any Storage = PosixStorage()) -> StoreStatus? {
        guard let bytes = try? storage.openReadOnly(directory + "/" + fileName).readAll(),
              let summary = decode(bytes),
              let log = try? storage.openReadOnly(directory + "/" + EventLog.fileName),
              let size = try? log.size(), size == summary.stamp.size,
              summary.stamp.isPrefix(of: log) else { return nil }
        return summary
    }

    /// Replaces the status file atomically.
    func write(directory: String, storage: any Storage) throws(StoreError) {
        do {
            try storage.writeAtomically(encode(), to: directory + "/" + Self.fileName, in: directory)
        } catch {
            throw .checkpointFailed(error)
        }
    }
}
