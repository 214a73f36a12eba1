import CarnetCore
import CarnetLedger
import CarnetStore
import CarnetSystem

/// The views file as a writer read it, with what the writer wrote or took in since added
/// (`LedgerViews.appending`): what `record`, `merge` and `bundle apply` leave in the views
/// file instead of folding every event again.
///
/// Exact only while nothing else was appended: each addition checks that its record begins
/// where the state so far ends, so another process's record in between (which the store
/// took in under its lock) gives nil, and the writer folds.
struct ViewsFileWithWrites {
    /// The log state `views` describe.
    private(set) var stamp: LogStamp
    private(set) var views: LedgerViews
    /// The entry index as read (it describes the state the views file did), and the ids
    /// added since: whether a new entry's id is held already.
    let index: EntryIndex
    private(set) var addedIDs: Set<ExactString>
    /// The conflicts section as read, with its count, when `views.conflicts` was left empty
    /// (`init(directory:stamp:storage:keepingConflicts:)`): no write added here changes a
    /// conflict, so it is written back as it was.
    private(set) var conflictsAsRead: (bytes: [UInt8], count: Int)?
    /// Where the older of the two files was stamped (a log size), and how many events the
    /// log holds past it, as read: what the tail a reader adds (`DerivedTail`) begins at,
    /// and how long it is, if the files are not written again.
    private(set) var tailFrom: Int
    private(set) var tailEvents = 0
    /// The member records taken by `takeEnrolments`, which `add` then passes over.
    private var enrolmentsTaken: Set<EventID> = []
    /// The views file's own stamp, as read: what a rewrite patches from
    /// (`LedgerViewsFile.patchedSections`).
    private(set) var viewsFileStamp: LogStamp

    /// The open conflicts' count when neither they nor their bytes were read (`init(...
    /// part:conflictCount:)`): the views are then a part, never written.
    private var partialConflictCount: Int?
    /// The products whose stock lines a partial read holds: an entry of another is refused.
    private var productsRead: Set<ExactString> = []
    /// The sales whose payments a partial read holds: a payment towards another is refused.
    private var salesRead: Set<ExactString> = []

    /// Whether only a part of the views was read (`LedgerViewsFile.currentForOneWriter`):
    /// enough to add entries, not to write the file.
    var isPartial: Bool { partialConflictCount != nil }
    /// Whether a part was read from a file with the block tables, which a rewrite patches
    /// from (`LedgerViewsFile.patchedSections`); a file of an earlier build has none.
    private(set) var patchable = false

    /// The views' open conflicts, counted however they were read.
    var conflictCount: Int { partialConflictCount ?? conflictsAsRead?.count ?? views.conflicts.count }

    /// The views file's sections for these views (`LedgerViewsFile.sections`).
    var sections: [(id: UInt8, bytes: [UInt8])] {
        precondition(!isPartial, "a part of the views is never written")
        return LedgerViewsFile.sections(views, conflicts: conflictsAsRead?.bytes)
    }

    /// Both files of `directory` when both describe the log at `stamp` (the store's state),
    /// each exactly or with the tail a reader may add (`DerivedTail`); nil otherwise
    /// (missing, stale, damaged, another version).
    init?(directory: String, stamp: LogStamp, storage: any Storage) {
        guard let views = LedgerViewsFile.currentWithStamp(directory: directory, storage: storage), views.stamp == stamp,
              let index = EntryIndex.current(directory: directory, storage: storage), index.stamp == stamp else { return nil }
        self.init(stamp: stamp, views: views.views, index: index, addedIDs: [])
    }

    /// The same with the conflicts kept as their bytes (`LedgerViewsFile.currentKeepingConflicts`),
    /// for a writer that adds entries and never remakes the registers (`EntryAppender`).
    init?(directory: String, stamp: LogStamp, storage: any Storage, keepingConflicts: Void) {
        guard let read = LedgerViewsFile.currentKeepingConflicts(directory: directory, storage: storage), read.stamp == stamp,
              let index = EntryIndex.current(directory: directory, storage: storage), index.stamp == stamp else { return nil }
        self.init(stamp: stamp, views: read.views, index: index, addedIDs: [])
        conflictsAsRead = (read.conflicts, read.conflictCount)
        tailFrom = min(read.fileStamp.size, index.fileStamp.size)
        tailEvents = max(read.tailEvents, index.tail.count)
        viewsFileStamp = read.fileStamp
    }

    /// The part of the views a writer of entries of `products` by `producers` checks
    /// (`LedgerViewsFile.currentForOneWriter`), for a writer that leaves the files to
    /// readers (`EntryAppender`); `conflictCount` as the status file counts them (entries
    /// added here change none).
    ///
    /// `status`: both files read against that status file (`StoreStatus.prefix`), whose stamp
    /// `stamp` then is: a server adds what its sessions appended since (`ServedFilesSave`).
    init?(directory: String, stamp: LogStamp, storage: any Storage, part: ViewsPart, conflictCount: Int,
          status: StoreStatus? = nil) {
        guard let read = LedgerViewsFile.currentForOneWriter(directory: directory, part: part, storage: storage, status: status),
              read.stamp == stamp,
              let index = EntryIndex.current(directory: directory, storage: storage, status: status), index.stamp == stamp
        else { return nil }
        self.init(stamp: stamp, views: read.views, index: index, addedIDs: [])
        partialConflictCount = conflictCount
        productsRead = Set(part.products.map(ExactString.init))
        salesRead = Set(part.sales.map(ExactString.init))
        tailFrom = min(read.fileStamp.size, index.fileStamp.size)
        tailEvents = max(read.tailEvents, index.tail.count)
        viewsFileStamp = read.fileStamp
        patchable = read.blocked
    }

    private init(stamp: LogStamp, views: LedgerViews, index: EntryIndex, addedIDs: Set<ExactString>) {
        self.stamp = stamp
        self.views = views
        self.index = index
        self.addedIDs = addedIDs
        tailFrom = stamp.size
        viewsFileStamp = stamp
    }

    /// What the entries carrying `sale` are worth: the sum of the amounts of those no
    /// reversal voids (`DomainConflictReports.payment`'s `due`); nil when none is held.
    static func worth(of sale: String, in index: EntryIndex) throws(EntryIndex.Damage) -> Int64? {
        let found = try index.lookUp(sale)
        guard !found.records.isEmpty else { return nil }
        return found.records.filter { record in !found.reversals.contains { $0.entry.cancels(record) } }
            .reduce(Int64(0)) { $0 &+ ($1.entry.amount ?? 0) }
    }

    /// Stamps these views with the log's state once the record they were added for is
    /// written (`EntryAppender` adds them, the check that they can follow, before it
    /// writes); false when `now` does not put that record where the check assumed it.
    mutating func restamp(_ now: LogStamp) -> Bool {
        guard now.lastRecordOffset == stamp.lastRecordOffset else { return false }
        stamp = now
        return true
    }

    /// These views with `events` added, when they are the entries of the one record that
    /// follows the state so far (`loggedUpTo`: the store's stamp after it), each counted
    /// (accepted, on its node's only branch: the caller checks) and each one the views can
    /// take; nil otherwise.
    /// A write to a product, a party or a node's label is taken too: the catalog, the labels
    /// and the field conflicts are then made again from `replica`'s registers.
    func adding(_ events: [Event], loggedUpTo now: LogStamp, replica: Replica) -> ViewsFileWithWrites? {
        var next = self
        return next.add(events, loggedUpTo: now, replica: replica) ? next : nil
    }

    /// Takes the member records among `events` before the events are added, each an
    /// enrolment of a node not held (`MembersView.takeEnrolment`); false when another
    /// member record is among them (then these views are no longer exact: drop them).
    /// First, whatever the events' order: an enrolment has no cut, so the set of events,
    /// not their order, decides that the node's events count, and a session may bring a new
    /// farm's events before the hub's enrolment of it.
    /// `isNewNode`: whether a node had no event held before these (the caller's replica
    /// says; never this node's own, whose roles the views keep apart).
    mutating func takeEnrolments(_ events: [Event], isNewNode: (NodeID) -> Bool) -> Bool {
        guard views.members.enforced else { return true }
        for event in events {
            guard case let .append(core) = event.operation, core.kind == Replica.memberEntryKind,
                  !enrolmentsTaken.contains(event.id) else { continue }
            guard let record = try? MemberRecord(core),
                  views.members.takeEnrolment(record, writtenAt: event.dot, deviceIsNew: isNewNode(record.device)) else { return false }
            enrolmentsTaken.insert(event.id)
        }
        return true
    }

    /// Whether a node of `replica`, which holds `events` now, had no event held before them:
    /// `takeEnrolments`' `isNewNode` for a writer that has just accepted `events`.
    static func newNodes(in replica: Replica, before events: [Event]) -> (NodeID) -> Bool {
        let arriving = Set(events.lazy.filter { $0.dot.seq == 1 }.map(\.dot.node))
        return { node in
            node != replica.node && (!replica.history.holds(node: node) || arriving.contains(node))
        }
    }

    /// `adding` in place, for a writer holding the only copy (at ten million entries a copy
    /// of the views is a gigabyte): true when every event is added; false otherwise, and
    /// then these views are no longer exact and must be dropped.
    mutating func add(_ events: [Event], loggedUpTo now: LogStamp, replica: Replica) -> Bool {
        add(events, loggedUpTo: now, ownNode: replica.node, label: { replica.label(of: $0) },
            registers: { $0.withRegisters(of: replica) })
    }

    /// The same for a writer without a replica (`EntryAppender`): each writer's label from
    /// the views, and of the writes to registers only nodes' first labels of their own
    /// (`LedgerViews.takeLabels`: a new farm's first merge). `ownNode`: this node, when
    /// `events` may be its own writes (in a ledger with members, the only entries whose
    /// standing the views know); nil for events taken in from elsewhere.
    mutating func add(_ events: [Event], loggedUpTo now: LogStamp, ownNode: NodeID? = nil) -> Bool {
        add(events, loggedUpTo: now, ownNode: ownNode, label: nil, registers: nil)
    }

    /// `label`: each writer's label after the write; nil, the views' own (with the labels
    /// taken here).
    private mutating func add(_ events: [Event], loggedUpTo now: LogStamp, ownNode: NodeID?, label: ((NodeID) -> String?)?,
                              registers remake: ((LedgerViews) -> LedgerViews?)?) -> Bool {
        guard !events.isEmpty, now.lastRecordOffset == stamp.size else { return false }
        // Nodes' own labels from the views alone: for a writer without the registers, and
        // among members, whose catalog the registers alone do not make (a new farm's first
        // merge into the hub carries its label).
        let labelsFromTheViews = remake == nil || views.members.enforced
        if labelsFromTheViews, !views.takeLabels(events.compactMap(OwnLabelWrite.init), knownEmpty: true) { return false }
        var registers = false
        for event in events {
            if labelsFromTheViews, OwnLabelWrite(event) != nil { continue }
            if enrolmentsTaken.contains(event.id) { continue }
            // A new node's key, in a ledger with members: its chain end from the views'.
            if views.members.enforced, let key = NodeKey.declared(by: event) {
                guard views.members.takeNewNode(event.dot.node, key: key.publicKey.bytes) else { return false }
                continue
            }
            if case let .assign(assignment) = event.operation {
                guard remake != nil, LedgerViews.registersAlone(assignment.key) else { return false }
                registers = true
                continue
            }
            guard let record = LedgerRecord(reading: event) else { return false }
            // A part of the stock holds the lines of the products named, and of no other.
            if isPartial, record.entry.kind.movesStock, !productsRead.contains(ExactString(record.entry.product ?? "")) {
                return false
            }
            // Nor does it know what was paid towards a sale it did not name.
            if isPartial, let sale = record.entry.ref, !salesRead.contains(ExactString(sale)) { return false }
            let id = ExactString(record.entry.id)
            let named: Bool
            do {
                let found = try index.lookUp(record.entry.id)
                named = addedIDs.contains(id) || !found.records.isEmpty || !found.reversals.isEmpty
            } catch {
                return false
            }
            var saleWorth: Int64?
            if let sale = record.entry.ref {
                // A sale added here is not in the index: its worth is not known.
                guard !addedIDs.contains(ExactString(sale)), let worth = try? Self.worth(of: sale, in: index) else { return false }
                saleWorth = worth
            }
            guard views.append(record, writerLabel: label.map { $0(record.writer) } ?? views.labels[record.writer],
                               idIsNamed: named, saleWorth: saleWorth, writtenHere: record.writer == ownNode) else {
                return false
            }
            addedIDs.insert(id)
        }
        tailEvents += events.count
        if registers, let remake {
            // Remaking the registers remakes the field conflicts: not from conflicts left unread.
            guard conflictsAsRead == nil, !isPartial, let next = remake(views) else { return false }
            views = next
        }
        stamp = now
        return true
    }
}
