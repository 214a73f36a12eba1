import CarnetCore
import CarnetLedger
import CarnetStore

/// The node in a directory as one command uses it: open, read, write, take events in,
/// and leave the derived files (checkpoint, status) current. The command line stands on
/// this type and never on the store beneath it, so that how a write is made safe against
/// other processes (ids made under the store's lock, the after-write housekeeping) is
/// written once, here, and not once per command.
///
/// Not shared between threads: `carnet serve` and `carnet sync` use `SharedStore`.
public struct LocalNode: ~Copyable {
    private var store: NodeStore
    /// The ledger's views, kept as this node's replica grows (built on first use).
    private var fold = LedgerFold()
    /// What opening had to do, one sentence each (a torn tail cut, a new node id): the
    /// caller shows them, since they explain why the node looks as it does.
    public let openingNotices: [String]
    /// The views file with this node's writes since `addWritesToViewsFile()` added, while
    /// the views can take them; nil otherwise (then `saveDerivedState` folds).
    private var viewsFile: ViewsFileWithWrites?
    /// The events added to `viewsFile` since it was read: what the entry index is merged with.
    private var addedToViews: [Event] = []

    /// Opens the node in `directory`. `wallMillis` resumes its clock; `freshNodeID` names
    /// the node if the directory turns out to be a copy (it then continues under it).
    /// `keepingChainsCold`: the events the checkpoint holds leave memory as it is read
    /// (`NodeStore`), for a command that reads few of them (`record`: at a million
    /// entries, 700 MB of events it never looks at).
    public init(directory: String, wallMillis: UInt64, keepingChainsCold: Bool = false,
                freshNodeID: @escaping () -> NodeID = LocalNode.randomNodeID) throws(NodeError) {
        do {
            store = try NodeStore(directory: directory, wallMillis: wallMillis, keepingChainsCold: keepingChainsCold,
                                  freshNodeID: freshNodeID)
        } catch {
            throw .store(error)
        }
        var notices: [String] = []
        let opening = store.opening
        if opening.recovery.cutBytes > 0 {
            notices.append("cut \(opening.recovery.cutBytes) bytes of an unfinished write at the end of the log (a crash during a write that was never acknowledged)")
        }
        if let previous = opening.continuedFrom {
            notices.append("\(opening.reason ?? "this node must not write under its old id"); it continues as node \(store.identity.node.short), linked to \(previous.short)")
        }
        openingNotices = notices
    }

    /// Creates a node in an empty (or new) directory.
    public static func create(directory: String, ledger: String, label: String, node: NodeID) throws(NodeError) {
        do {
            try NodeStore.create(directory: directory, ledger: ledger, label: label, node: node)
        } catch {
            throw .store(error)
        }
    }

    /// Creates a node of a signed ledger: a fresh device key (made here, never leaving the
    /// directory) whose public half derives the node id, declared in the node's first,
    /// signed, event. Returns the device's signer (its public key and node id).
    @discardableResult
    public static func createSigned(directory: String, ledger: String, ledgerID: LedgerID, label: String,
                                    wallMillis: UInt64, device: DeviceSigner? = nil,
                                    creator: LedgerCreator? = nil) throws(NodeError) -> DeviceSigner {
        var generator = SystemRandomNumberGenerator()
        let device = device ?? DeviceSigner.generate(using: &generator)
        do {
            try NodeStore.create(directory: directory, ledger: ledger, label: label, node: device.node,
                                 signed: (ledgerID, device), creator: creator, wallMillis: wallMillis)
        } catch {
            throw .store(error)
        }
        return device
    }

    /// A node id from the system's random source.
    public static func randomNodeID() -> NodeID {
        var generator = SystemRandomNumberGenerator()
        return NodeID(using: &generator)
    }

    public var directory: String { store.directory }
    public var node: NodeID { store.identity.node }
    public var ledger: String { store.identity.ledger }
    public var label: String { store.identity.label }
    /// The ledger's id in a signed ledger, nil in a format-1 ledger (bundles seal under it).
    public var ledgerID: LedgerID? { store.identity.ledgerID }
    /// A signature over the held chain ending at `id` (`NodeStore.signedHead(at:)`): where a
    /// bundle of a signed ledger may cut.
    public func signedHead(at id: EventID) -> SignedHead? { store.signedHead(at: id) }
    /// Everything the node holds, as of opening and its own writes since.
    public var replica: Replica { store.replica }
    /// Events held that the newest checkpoint does not: what the next open reads from the log.
    public var eventsSinceCheckpoint: Int { store.eventsSinceCheckpoint }

    /// Records operations as one durable record (one fsync).
    @discardableResult
    public mutating func write(_ operations: [Operation], wallMillis: UInt64) throws(NodeError) -> [Event] {
        try write(wallMillis: wallMillis) { _, _ in operations }
    }

    /// Records operations that name the event carrying them (an entry id is the node and
    /// the sequence number): `make` runs under the store's lock with the dot the first
    /// event gets, so two processes writing at once never hand out one id twice.
    @discardableResult
    public mutating func write(wallMillis: UInt64, _ make: (_ first: Dot, _ current: Replica) -> [Operation]) throws(NodeError) -> [Event] {
        let written: [Event]
        do {
            written = try store.writeBatch(wallMillis: wallMillis, make)
        } catch {
            viewsFile = nil
            throw .store(error)
        }
        addToViewsFile(written)
        return written
    }

    /// Takes in events from elsewhere (a bundle, another node's directory): the new ones
    /// are persisted as one record, then applied.
    public mutating func persist(_ events: [Event]) throws(NodeError) -> AdmissionCounts {
        try persist(SignedEvents(events: events))
    }

    /// Takes in events with the heads that vouch for them: a signed ledger refuses what no
    /// signature covers, and stores nothing then.
    public mutating func persist(_ signed: SignedEvents) throws(NodeError) -> AdmissionCounts {
        if let refusal = DeviceBound.refusal(of: signed.events, into: store.replica) { throw .refused(refusal) }
        // What the record will hold, as `NodeStore.persist` picks it: each new event once.
        var seen = Set<EventID>()
        let new = viewsFile == nil || store.replica.history.pendingCount > 0 ? []
            : signed.events.filter { !store.replica.history.contains($0.id) && seen.insert($0.id).inserted }
        let counts: AdmissionCounts
        do {
            counts = try store.persist(signed)
        } catch {
            viewsFile = nil
            throw .store(error)
        }
        guard !new.isEmpty else { return counts }
        // Added only if every new event counts on its node's only branch, and nothing else
        // did (no wait released, no fork, no continuation under a new id).
        let branched = store.replica.history.branchedNodes
        if counts.accepted == new.count, counts.pending == 0, store.continuedAfterSync == nil,
           !new.contains(where: { branched.contains($0.dot.node) }) {
            addToViewsFile(new)
        } else {
            viewsFile = nil
        }
        return counts
    }

    /// Reads the views file and the entry index, so that what this node writes or takes in
    /// next is added to those views (`LedgerViews.appending`) instead of every event being
    /// folded again by `saveDerivedState()`: at a million entries, most of what a `record`
    /// or a farm's `merge` cost. False when either file is not current. Not worth it for a
    /// command whose writes the views cannot take (a catalog change, a void).
    @discardableResult
    public mutating func addWritesToViewsFile() -> Bool {
        viewsFile = ViewsFileWithWrites(directory: directory, stamp: store.stamp, storage: store.fileStorage)
        addedToViews = []
        return viewsFile != nil
    }

    /// Whether the writes so far are added to the views file (`saveDerivedState` will not fold).
    public var addsWritesToViewsFile: Bool { viewsFile != nil }

    /// The products made into each lot as the views file holds them with the writes since
    /// (`LedgerViews.lotProducts`), while they are added to it: a writer's lot check.
    public var lotProductsOfViewsFile: [LotProducts]? { viewsFile?.views.lotProducts }

    private mutating func addToViewsFile(_ events: [Event]) {
        // Taken out, so that the views are added to in place (the only copy).
        guard !events.isEmpty, var current = viewsFile.take() else { return }
        if current.takeEnrolments(events, isNewNode: ViewsFileWithWrites.newNodes(in: store.replica, before: events)),
           current.add(events, loggedUpTo: store.stamp, replica: store.replica) {
            viewsFile = current
            addedToViews += events
        }
    }

    /// After writes: a checkpoint when due and the status file, so that the next opening
    /// and `status` are fast. Returns warnings, never throws: the events are already
    /// durable in the log, and a failed command would suggest otherwise. The views are the
    /// views file's with the writes added when they were (`addWritesToViewsFile`), else
    /// folded.
    public mutating func saveDerivedState() -> [String] {
        // Only for the state the store holds: another process's record taken in on the way
        // (with nothing of this node's own after it) moved the stamp past the views.
        if let file = viewsFile, file.stamp == store.stamp {
            viewsFile = nil
            return store.saveDerivedState(views: file.views, added: addedToViews)
        }
        viewsFile = nil
        return store.saveDerivedState(fold: &fold)
    }

    /// The ledger's views for the state this node holds, with the status and views files
    /// rewritten to match, so that the next reading command answers without the log.
    /// Failures to write are the warnings.
    public mutating func views() -> (views: LedgerViews, warnings: [String]) {
        store.saveStatusAndViews(fold: &fold)
    }

    /// The figures `status` shows, for the state this node holds, and the status and views
    /// files rewritten to match (their failure is the second value, a warning).
    public mutating func status() -> (status: NodeStatus, warning: String?) {
        let (views, warnings) = views()
        let summary = store.statusSummary(derived: [NodeStatus.conflictsKey: views.conflicts.count])
        return (NodeStatus(identity: store.identity, summary: summary, fromStatusFile: false,
                           eventsSinceCheckpoint: store.eventsSinceCheckpoint),
                warnings.isEmpty ? nil : warnings.joined(separator: "; "))
    }
}
