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
    public let opening: OpeningReport
    /// Set once this store has continued under a new id because a sync showed its own
    /// history forked (a restore that kept the directory's inode, e.g. a disk image).
    public private(set) var continuedAfterSync: NodeID?

    /// What opening found.
    public struct OpeningReport: Sendable, Equatable {
        public var recovery: RecoveryReport
        /// Set when the store continued under a new node id: the id it continues, and why.
        public var continuedFrom: NodeID?
        public var reason: String?
    }

    /// Creates a node in an empty (or new) directory.
    public static func create(directory: String, ledger: String, label: String, node: NodeID) throws(StoreError) {
        for text in [ledger, label] where text.contains("\n") || text.contains("\r") {
            throw .badIdentity(path: directory, reason: "names cannot contain line breaks")
        }
        do {
            try Directory.create(directory)
        } catch {
            throw .system(error)
        }
        guard !Directory.exists(directory + "/" + NodeIdentity.fileName) else { throw .alreadyANode(directory: directory) }
        let identity = NodeIdentity(node: node, ledger: ledger, label: label, home: try NodeIdentity.currentHome(of: directory))
        _ = try EventLog(directory: directory)
        try identity.save(directory: directory)
    }

    /// Opens the node in `directory`. `wallMillis` and `freshNodeID` are inputs so that a
    /// relocation or fork can be handled deterministically in tests.
    public init(directory: String, wallMillis: UInt64, freshNodeID: @escaping () -> NodeID) throws(StoreError) {
        var identity = try NodeIdentity.load(directory: directory)
        var log = try EventLog(directory: directory)
        var replica = Replica(node: identity.node)
        replica.receive(contentsOf: log.takeRecovered())
        var continuedFrom: NodeID?
        var reason: String?
        let home = try NodeIdentity.currentHome(of: directory)
        if home != identity.home {
            reason = "the directory was copied or restored (it is not where this node was created)"
        } else if replica.hasForkedItself {
            reason = "this node's own history has forked (restored from a backup?)"
        }
        if reason != nil {
            continuedFrom = identity.node
            try Self.continueUnderNewID(&replica, &identity, &log, home: home, directory: directory,
                                        node: freshNodeID(), wallMillis: wallMillis)
        }
        self.freshNodeID = freshNodeID
        self.directory = directory
        self.identity = identity
        self.replica = replica
        self.opening = OpeningReport(recovery: log.report, continuedFrom: continuedFrom, reason: reason)
        self.log = log
    }

    /// Writes the link event of a new incarnation, then the identity that names it. A crash
    /// between the two leaves the old identity: the next open continues again, harmlessly.
    private static func continueUnderNewID(_ replica: inout Replica, _ identity: inout NodeIdentity, _ log: inout EventLog,
                                           home: NodeIdentity.Home, directory: String, node: NodeID,
                                           wallMillis: UInt64) throws(StoreError) {
        let next = replica.continuing(as: node, wallMillis: wallMillis)
        try log.append(next.history.events(of: node))
        replica = next
        identity.node = node
        identity.home = home
        try identity.save(directory: directory)
    }

    /// Records a local operation: durable when this returns. After a failure the store
    /// must be reopened (its log refuses further appends, and the in-memory replica may
    /// hold the event that did not reach the disk).
    @discardableResult
    public mutating func write(_ operation: Operation, wallMillis: UInt64) throws(StoreError) -> Event {
        // Written in place: a copy of the replica would copy this node's whole chain.
        let event = replica.write(operation, wallMillis: wallMillis)
        let others = try log.append([event])
        replica.receive(contentsOf: others)
        return event
    }

    /// Takes events from a peer or a bundle: the new ones are persisted as one record, then
    /// applied. Returns what they did.
    @discardableResult
    public mutating func receive(_ events: [Event]) throws(StoreError) -> ReceiveSummary {
        var seen = Set<EventID>()
        let new = events.filter { !replica.history.contains($0.id) && seen.insert($0.id).inserted }
        let others = try log.append(new)
        replica.receive(contentsOf: others)
        var summary = replica.receive(contentsOf: new)
        summary.duplicates += events.count - new.count
        if replica.hasForkedItself {
            // A peer holds a history of this node that this store lost: stop using the id.
            let previous = identity.node
            try Self.continueUnderNewID(&replica, &identity, &log, home: identity.home, directory: directory,
                                        node: freshNodeID(), wallMillis: replica.clock.last.physical)
            continuedAfterSync = previous
        }
        return summary
    }

    /// Picks up events another process (the CLI, a server) appended to this node's log.
    @discardableResult
    public mutating func refresh() throws(StoreError) -> ReceiveSummary {
        replica.receive(contentsOf: try log.refresh())
    }
}
