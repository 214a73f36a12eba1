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
///     header  = "CARNETST" u16(version = 3) 6 × 00
///     stamp   = u64(log size) u64(last record offset) u32(its crc)
///     body    = varint(events) digest(32) varint(forks) varint(pending)
///               varint(n) n × ( string(name) signed(value) )      (derived figures)
///               summary                                          (as in "Summaries")
///               varint(checkpointed events)
///               varint(m) m × ( node(16) varint(k) k × ( varint(physical) varint(logical) ) )
///     trailer = u32(crc32c of every byte before it)
///
/// Version 3 adds what a writer needs to append its own entry without loading the
/// replica (`StoreAppender`): the clock of every head (its next timestamp follows them)
/// and how many events the newest checkpoint holds (when one is due, it opens the store).
/// A file of another version is treated like any file that is not current: ignored, and
/// rewritten by the next open.
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
    /// How many events the newest checkpoint held when this was written.
    public var checkpointedEvents: Int
    /// The clock of each head of `history`, node by node in the same order.
    public var headClocks: [NodeID: [HLCTimestamp]]

    public static let fileName = "status"

    public init(stamp: LogStamp, eventCount: Int, digest: SHA256Digest, forkCount: Int, pendingCount: Int,
                derived: [String: Int], history: HistorySummary, checkpointedEvents: Int = 0,
                headClocks: [NodeID: [HLCTimestamp]] = [:]) {
        self.stamp = stamp
        self.eventCount = eventCount
        self.digest = digest
        self.forkCount = forkCount
        self.pendingCount = pendingCount
        self.derived = derived
        self.history = history
        self.checkpointedEvents = checkpointedEvents
        self.headClocks = headClocks
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
        writer.varint(UInt64(checkpointedEvents))
        writer.varint(UInt64(headClocks.count))
        for (node, clocks) in headClocks.sorted(by: { $0.key < $1.key }) {
            writer.nodeID(node)
            writer.varint(UInt64(clocks.count))
            for clock in clocks {
                writer.varint(clock.physical)
                writer.varint(UInt64(clock.logical))
            }
        }
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
            let checkpointed = try reader.count(limit: Int.max >> 1, "checkpointed events")
            let nodes = try reader.count(limit: history.heads.count, "nodes with head clocks")
            var clocks: [NodeID: [HLCTimestamp]] = [:]
            for _ in 0..<nodes {
                let node = try reader.nodeID()
                let heads = history.heads[node]?.count ?? 0
                let count = try reader.count(limit: heads, "head clocks")
                // Each head its clock, or the node's clocks are left out (the writer never does).
                guard count == heads, clocks[node] == nil else { return nil }
                var list: [HLCTimestamp] = []
                for _ in 0..<count {
                    let physical = try reader.varint()
                    let logical = try reader.varint()
                    guard logical <= UInt64(UInt32.max) else { return nil }
                    list.append(HLCTimestamp(physical: physical, logical: UInt32(logical)))
                }
                clocks[node] = list
            }
            guard reader.isAtEnd else { return nil }
            return StoreStatus(stamp: file.stamp, eventCount: events, digest: digest, forkCount: forks,
                                pendingCount: pending, derived: derived, history: history,
                                checkpointedEvents: checkpointed, headClocks: clocks)
        } catch {
            return nil
        }
    }

    /// The status file of `directory` when it describes the log exactly as it is now; nil
    /// when it is missing, damaged, or the log has changed since (then open the store).
    public static func current(directory: String, storage: any Storage = PosixStorage()) -> StoreStatus? {
        StampedFile.current(fileName, as: .status, directory: directory, storage: storage).flatMap(decode)
    }

    /// The status file of `directory` when the log still begins with the state it describes,
    /// though it may have grown since: what a server whose sessions appended since its last
    /// save reads its files against (`ServedFilesSave`). Nil when missing or damaged, or when
    /// the log no longer holds that state.
    public static func prefix(directory: String, storage: any Storage = PosixStorage()) -> StoreStatus? {
        guard let bytes = try? storage.openReadOnly(directory + "/" + fileName).readAll(),
              let file = StampedFile.decode(consume bytes, as: .status),
              file.stamp.isPrefix(directory: directory, storage: storage) else { return nil }
        return decode(file)
    }

    /// Replaces the status file atomically.
    func write(directory: String, storage: any Storage) throws(StoreError) {
        try StampedFile.replace(Self.fileName, with: encode(), directory: directory, storage: storage)
    }
}
