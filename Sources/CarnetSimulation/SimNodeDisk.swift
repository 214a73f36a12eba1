import CarnetCore
import CarnetTestKit

/// A node's durable state and the writes on their way to it.
///
/// `log` holds every event that reached the disk, in the order it did, and `node` the
/// identity file: together what a restart reads back. A write (a local operation, or a
/// batch a peer sent) waits in `queue` for its simulated fsync; only when that completes
/// is it durable, applied to the replica and acknowledged. A crash loses the queue; the
/// write being synced at that moment may have reached the disk anyway (a seeded coin),
/// in which case it is durable but was never acknowledged.
public struct SimNodeDisk: Sendable {
    /// What one write record holds.
    public enum Record: Sendable {
        /// A local operation: its event is made when the record reaches the disk (under the
        /// store's lock, as `NodeStore.writeBatch` makes it), so no one sees it earlier.
        case write(SimOperation)
        /// A batch a session (at `side` of the connection) asked to persist.
        case batch(ConnectionID, side: ConnectionEnd, batch: UInt64, events: [Event])
    }

    /// The durable contents: what a restart (or a backup) holds.
    public struct Contents: Sendable {
        public var node: NodeID
        public var log: [Event]
    }

    public private(set) var contents: Contents
    /// Writes waiting for their fsync, oldest first; the first is being synced.
    public private(set) var queue: [Record] = []
    /// When the write being synced completes.
    public private(set) var busyUntil: SimTime = .zero
    /// Time one fsync takes on this node's disk.
    public let fsyncTime: SimTime

    public init(node: NodeID, fsyncTime: SimTime) {
        contents = Contents(node: node, log: [])
        self.fsyncTime = fsyncTime
    }

    public var node: NodeID { contents.node }
    public var isIdle: Bool { queue.isEmpty }

    /// Queues a write; returns when its fsync completes if it is the only one queued (the
    /// caller schedules that), nil when it waits behind others.
    public mutating func enqueue(_ record: Record, now: SimTime) -> SimTime? {
        queue.append(record)
        guard queue.count == 1 else { return nil }
        busyUntil = now + fsyncTime
        return busyUntil
    }

    /// The record being synced completed: it is durable. Returns it, and when the next one
    /// completes (if any).
    public mutating func completeHead(now: SimTime) -> (Record, next: SimTime?) {
        let record = queue.removeFirst()
        guard !queue.isEmpty else { return (record, nil) }
        busyUntil = now + fsyncTime
        return (record, busyUntil)
    }

    /// Appends events that became durable (the caller made them from a completed record).
    public mutating func append(_ events: [Event]) {
        contents.log += events
    }

    /// The node continues under a new id (the identity file is rewritten).
    public mutating func setNode(_ node: NodeID) {
        contents.node = node
    }

    /// A crash: the queue is lost. Returns the record that was being synced, which the
    /// caller may still make durable (the coin said its bytes reached the disk).
    public mutating func crash() -> Record? {
        let inFlight = queue.first
        queue = []
        return inFlight
    }

    /// Replaces the durable contents with a backup (and forgets the queue).
    public mutating func restore(_ backup: Contents) {
        queue = []
        contents = backup
    }
}
