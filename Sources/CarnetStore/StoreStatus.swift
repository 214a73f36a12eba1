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
///     header  = "CARNETST" u16(version = 2) 6 × 00
///     stamp   = u64(log size) u64(last record offset) u32(its crc)
///     body    = varint(events) digest(32) varint(forks) varint(pending)
///               varint(n) n × ( string(name) signed(value) )      (derived figures)
///               summary                                          (as in "Summaries")
///     trailer = u32(crc32c of every byte before it)
///
/// Version 2 holds the state digest of version 3 (the heads only); a version-1 file held
/// version 2's, which no longer compares with anything, so it is treated like any file
/// that is not current: ignored, and rewritten by the next open.
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
        return StampedFile(stamp: stamp, body: writer.bytes).encoded(as: .status)
    }

    static func decode(_ bytes: [UInt8]) -> StoreStatus? {
        StampedFile.decode(bytes, as: .status).flatMap(decode)
    }

    private static func decode(_ file: StampedFile) -> StoreStatus? {
        var reader = ByteReader(file.body)
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
            return StoreStatus(stamp: file.stamp, eventCount: events, digest: digest, forkCount: forks,
                                pendingCount: pending, derived: derived, history: history)
        } catch {
            return nil
        }
    }

    /// The status file of `directory` when it describes the log exactly as it is now; nil
    /// when it is missing, damaged, or the log has changed since (then open the store).
    public static func current(directory: String, storage: any Storage = PosixStorage()) -> StoreStatus? {
        StampedFile.current(fileName, as: .status, directory: directory, storage: storage).flatMap(decode)
    }

    /// Replaces the status file atomically.
    func write(directory: String, storage: any Storage) throws(StoreError) {
        try StampedFile.replace(Self.fileName, with: encode(), directory: directory, storage: storage)
    }
}
