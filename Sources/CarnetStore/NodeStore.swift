import CarnetCore
import CarnetSystem

/// One node's durable store: its identity, its event log and the replica they hold.
///
/// Every write and every received batch is in the log (fsynced) before it is applied and
/// acknowledged. Opening a directory that was copied or restored from a backup, or whose
/// own history has forked, continues under a new node id linked to the old one, so the
/// node never reuses sequence numbers it may already have used elsewhere.
public struct NodeStore: ~Copyable {
    public let directory: String
    public private(set) var identity: NodeIdentity
    public private(set) var replica: Replica
    private var log: EventLog
    private let freshNodeID: () -> NodeID
    /// The disk: the real one unless a test simulates one.
    private let storage: any Storage
    public let opening: OpeningReport
    /// Set once this store has continued under a new id because a sync showed its own
    /// history forked (a restore that kept the directory's inode, e.g. a disk image).
    public private(set) var continuedAfterSync: NodeID?
    /// Other writers' events that a write or a receive took in on the way (they must be
    /// read before appending): `refresh()` and `takeEventsFromOtherWriters()` return them, so a
    /// server's live sessions learn of every event another process wrote, however it
    /// came in. (Dropped on the floor, a `carnet record` made while `serve` persisted a
    /// batch was pushed to no live peer.)
    private var foreignSinceRefresh: [Event] = []
    /// Events the newest checkpoint (read or written by this store) holds.
    public private(set) var checkpointedEvents: Int

    /// What opening found.
    public struct OpeningReport: Sendable, Equatable {
        public var recovery: RecoveryReport
        /// Events taken from the checkpoint (the log was read only after its state), or
        /// nil when the whole log was read; then `checkpointProblem` says why.
        public var checkpointEvents: Int?
        public var checkpointProblem: String?
        /// Set when the store continued under a new node id: the id it continues, and why.
        public var continuedFrom: NodeID?
        public var reason: String?
    }

    /// Creates a node in an empty (or new) directory.
    public static func create(directory: String, ledger: String, label: String, node: NodeID,
                              storage: any Storage = PosixStorage()) throws(StoreError) {
        for text in [ledger, label] where text.contains("\n") || text.contains("\r") {
            throw .badIdentity(path: directory, reason: "names cannot contain line breaks")
        }
        do {
            try storage.createDirectory(directory)
        } catch {
            throw .system(error)
        }
        guard !storage.exists(directory + "/" + NodeIdentity.fileName) else { throw .alreadyANode(directory: directory) }
        let home = try NodeIdentity.currentHome(of: directory, storage: storage)
        let identity = NodeIdentity(node: node, ledger: ledger, label: label, home: home)
        _ = try EventLog.open(directory: directory, storage: storage)
        do {
            try identity.save(directory: directory, storage: storage)
        } catch {
            // The rename may have happened and its directory fsync failed: the file is
            // there to see but maybe not on disk. Left in place, `create` again would say
            // "already a node" and nothing would ever make the name durable. Remove it, so
            // that creating again does it all anew.
            storage.remove(directory + "/" + NodeIdentity.fileName)
            throw error
        }
    }

    /// Opens the node in `directory`. `wallMillis` and `freshNodeID` are inputs so that a
    /// relocation or fork can be handled deterministically in tests.
    /// `storage` is the disk (the real one unless a test simulates one).
    public init(directory: String, wallMillis: UInt64, storage: any Storage = PosixStorage(),
                freshNodeID: @escaping () -> NodeID) throws(StoreError) {
        var identity = try NodeIdentity.load(directory: directory, storage: storage)
        var checkpoint: Checkpoint.Contents?
        var checkpointProblem: String?
        do throws(Checkpoint.Problem) {
            checkpoint = try Checkpoint.read(directory: directory, storage: storage)
        } catch {
            checkpointProblem = error.description
        }
        let opening = try EventLog.open(directory: directory, resumingAt: checkpoint?.stamp, storage: storage)
        var log = opening.log
        var replica = Replica(node: identity.node)
        var checkpointEvents: Int?
        if let checkpoint, log.report.resumedAt != nil {
            replica.admit(contentsOf: checkpoint.events)
            checkpointEvents = checkpoint.events.count
        } else if checkpoint != nil {
            checkpointProblem = "checkpoint does not match the log (older copy, or the log was replaced)"
        }
        replica.admit(contentsOf: opening.recovered)
        replica.resumeClock(wallMillis: wallMillis)
        var continuedFrom: NodeID?
        var reason: String?
        let home = try NodeIdentity.currentHome(of: directory, storage: storage)
        if home != identity.home {
            reason = "the directory was copied or restored (it is not where this node was created)"
        } else if replica.hasForkedItself {
            reason = "this node's own history has forked (restored from a backup?)"
        }
        if reason != nil {
            continuedFrom = identity.node
            try Self.continueUnderNewID(&replica, &identity, &log, home: home, directory: directory,
                                        node: freshNodeID(), wallMillis: wallMillis, storage: storage)
        }
        self.freshNodeID = freshNodeID
        self.storage = storage
        self.directory = directory
        self.identity = identity
        self.replica = replica
        self.opening = OpeningReport(recovery: log.report, checkpointEvents: checkpointEvents,
                                     checkpointProblem: checkpointProblem, continuedFrom: continuedFrom, reason: reason)
        self.checkpointedEvents = checkpointEvents ?? 0
        self.log = log
    }

    /// Writes the link event of a new incarnation, then the identity that names it. A crash
    /// between the two leaves the old identity: the next open continues again, harmlessly.
    private static func continueUnderNewID(_ replica: inout Replica, _ identity: inout NodeIdentity, _ log: inout EventLog,
                                           home: NodeIdentity.Home, directory: String, node: NodeID,
                                           wallMillis: UInt64, storage: any Storage) throws(StoreError) {
        let next = replica.continuing(as: node, wallMillis: wallMillis)
        try log.append(next.history.events(of: node))
        replica = next
        identity.node = node
        identity.home = home
        try identity.save(directory: directory, storage: storage)
    }

    /// Records a local operation: durable when this returns. After a failure the store
    /// must be reopened (its log refuses further appends, and the in-memory replica may
    /// hold the event that did not reach the disk).
    @discardableResult
    public mutating func write(_ operation: Operation, wallMillis: UInt64) throws(StoreError) -> Event {
        try writeBatch([operation], wallMillis: wallMillis)[0]
    }

    /// Records many local operations as one log record (one fsync): durable when this
    /// returns, like `write`. Each assignment supersedes exactly what it names, so an
    /// assignment that must replace an earlier one of the same batch belongs in a later
    /// batch. After a failure the store must be reopened, as after `write`.
    @discardableResult
    public mutating func writeBatch(_ operations: [Operation], wallMillis: UInt64) throws(StoreError) -> [Event] {
        try writeBatch(wallMillis: wallMillis) { _, _ in operations }
    }

    /// Records operations that must name the event that carries them (an entry id made
    /// of the node id and the sequence number): `make` is called under the log's lock,
    /// after what other processes appended was taken in, with the dot the first event
    /// will get and the replica as it then is. Two processes writing to one directory at
    /// once can therefore never hand out the same id. Reading the next sequence number
    /// before the lock (as `carnet record` once did) gave 38 of 363 entries a duplicate
    /// id when three processes wrote to one store.
    @discardableResult
    public mutating func writeBatch(wallMillis: UInt64,
                                    _ make: (_ first: Dot, _ current: Replica) -> [Operation]) throws(StoreError) -> [Event] {
        // The events are made under the log's lock, after taking in what other writers
        // appended, so their seqs follow the log's. The replica is moved out (not copied:
        // a copy would duplicate this node's whole chain) for the closure to use.
        var working = Replica(node: replica.node)
        swap(&working, &replica)
        defer { swap(&working, &replica) }
        var takenIn: [Event] = []
        defer { foreignSinceRefresh += takenIn }
        var refused: StoreError?
        let events = try log.append { others in
            takenIn = others
            working.admit(contentsOf: others)
            let node = working.node
            let first = Dot(node: node, seq: (working.history.chainHead(of: node)?.dot.seq ?? 0) + 1)
            let operations = make(first, working)
            refused = Self.oversized(operations, first: first, clock: working.clock, wallMillis: wallMillis)
            guard refused == nil else { return [] }  // nothing is written
            return operations.map { working.write($0, wallMillis: wallMillis) }
        }
        if let refused { throw refused }
        return events
    }

    /// Takes events from a peer or a bundle: the new ones are persisted as one record, then
    /// applied. Returns what they did.
    @discardableResult
    public mutating func persist(_ events: [Event]) throws(StoreError) -> AdmissionCounts {
        var seen = Set<EventID>()
        let new = events.filter { !replica.history.contains($0.id) && seen.insert($0.id).inserted }
        if let refused = Self.oversized(new) { throw refused }
        let others = try log.append(new)
        foreignSinceRefresh += others
        replica.admit(contentsOf: others)
        var summary = replica.admit(contentsOf: new)
        summary.duplicates += events.count - new.count
        if replica.hasForkedItself {
            // A peer holds a history of this node that this store lost: stop using the id.
            let previous = identity.node
            try Self.continueUnderNewID(&replica, &identity, &log, home: identity.home, directory: directory,
                                        node: freshNodeID(), wallMillis: replica.clock.last.physical, storage: storage)
            continuedAfterSync = previous
        }
        return summary
    }

    /// The log's state as this store last saw it.
    public var stamp: LogStamp { log.stamp }

    /// True after a failed write or fsync: this store appends nothing more, and the
    /// caller opens the directory again (recovery cuts what the failed record left).
    public var needsReopen: Bool { log.needsReopen }

    /// Events held that the newest checkpoint does not: what the next open must read from
    /// the log.
    public var eventsSinceCheckpoint: Int {
        replica.eventCount + replica.history.pendingCount - checkpointedEvents
    }

    /// Writes a checkpoint of every event held, covering the log as it is. Skipped (false)
    /// when another process appended meanwhile: its state is newer than this store's.
    @discardableResult
    public mutating func saveCheckpoint() throws(StoreError) -> Bool {
        guard !log.needsReopen else { throw .needsReopen(path: log.path) }
        let events = replica.allEvents + replica.history.pendingEvents
        let stamp = log.stamp
        let directory = self.directory
        let storage = self.storage
        let written = try log.withLockIfCurrent { (current: Bool) throws(StoreError) -> Bool in
            guard current else { return false }
            try Checkpoint.write(events, stamp: stamp, directory: directory, storage: storage)
            return true
        }
        if written { checkpointedEvents = events.count }
        return written
    }

    /// Writes a checkpoint when the log has grown enough since the last one that the next
    /// open would read much of it: at least `minimum` events, and an eighth of the store.
    @discardableResult
    public mutating func saveCheckpointIfDue(minimum: Int = 2_000) throws(StoreError) -> Bool {
        let tail = eventsSinceCheckpoint
        guard tail >= minimum, tail * 8 >= replica.eventCount else { return false }
        return try saveCheckpoint()
    }

    /// What `status` reports, for the state this store holds.
    public func statusSummary(derived: [String: Int]) -> StoreStatus {
        StoreStatus(stamp: log.stamp, eventCount: replica.eventCount, digest: replica.digest,
                     forkCount: replica.forks.count, pendingCount: replica.history.pendingCount,
                     derived: derived, history: replica.summary)
    }

    /// Writes the status file, so that the next `status` answers without opening the
    /// store. Skipped (false) when another process appended meanwhile.
    @discardableResult
    public mutating func saveStatus(derived: [String: Int]) throws(StoreError) -> Bool {
        guard !log.needsReopen else { throw .needsReopen(path: log.path) }
        let summary = statusSummary(derived: derived)
        let directory = self.directory
        let storage = self.storage
        return try log.withLockIfCurrent { (current: Bool) throws(StoreError) -> Bool in
            guard current else { return false }
            try summary.write(directory: directory, storage: storage)
            return true
        }
    }

    /// Picks up events another process (the CLI, a server) appended to this node's log;
    /// returns them (a server pushes them to its live peers).
    @discardableResult
    public mutating func refresh() throws(StoreError) -> [Event] {
        let events = try log.refresh()
        replica.admit(contentsOf: events)
        return takeEventsFromOtherWriters() + events
    }

    /// Other writers' events that writes and receives took in since the last call (or
    /// `refresh()`), already applied: for a server to push them as it pushes its own.
    public mutating func takeEventsFromOtherWriters() -> [Event] {
        defer { foreignSinceRefresh = [] }
        return foreignSinceRefresh
    }
}
