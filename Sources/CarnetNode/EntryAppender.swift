import CarnetCore
import CarnetLedger
import CarnetStore
import CarnetSystem
import CarnetWire

/// Writes this node's new entries from the files beside the log alone: the status file
/// (the chain head and clocks, `StoreAppender`), the views file (the catalog, the labels,
/// the lots a check reads) and the entry index, each then written again with the entries
/// added. The replica is never loaded: at a million entries, opening it was half of what
/// a `carnet record` cost.
///
/// Only for what the views can take (`LedgerViews.appending`: a new entry that names no
/// other; in a ledger with members, one within this node's roles) and where the status
/// file says all opening
/// would (`StoreAppender.open`); otherwise `open` or `write` gives nil, nothing is written,
/// and the caller opens the node (`LocalNode`), which folds when it must.
public struct EntryAppender: ~Copyable {
    private var store: StoreAppender
    /// The views with what was written added; nil once a write was refused (the views may
    /// then be half added to: no further write, and the caller opens the node).
    private var file: ViewsFileWithWrites?
    private var appended: [Event] = []
    /// How the entry index was last written: merged with the entries appended, or built by
    /// opening the node (what a test holds the merge to).
    private(set) var indexThroughTheNode = false
    /// How many events past the older of the views file and the index the log may hold
    /// before `saveDerivedState` writes them again (a test sets it low or to -1).
    var rewriteFilesAbove = DerivedTail.writersRewriteAbove
    /// Whether a partial read's rewrite patches the file (`LedgerViewsFile.patchedSections`)
    /// rather than reading it whole (a test compares the two).
    var patchesViews = true
    /// Whether the last rewrite of the views file was a patch (what a test holds it to).
    private(set) var viewsPatched = false

    /// The appender of `directory`, or nil when the node must be opened: the status file,
    /// the views file or the entry index is not current, or `StoreAppender.open` declines.
    ///
    /// `part`: a writer that knows what it will write (`record`, `merge`) names its
    /// products, lots and sales, and only the part of the views it checks is read
    /// (`LedgerViewsFile.currentForOneWriter`). Its `views` then hold those alone, and it
    /// refuses an entry of another product or paying another sale; nil, every part.
    public static func open(directory: String, wallMillis: UInt64, part: ViewsPart? = nil) -> EntryAppender? {
        guard let store = StoreAppender.open(directory: directory, wallMillis: wallMillis) else { return nil }
        let file: ViewsFileWithWrites?
        if let part {
            file = store.status.derived[NodeStatus.conflictsKey].flatMap { conflicts in
                ViewsFileWithWrites(directory: directory, stamp: store.stamp, storage: store.fileStorage, part: part,
                                    conflictCount: conflicts)
            }
        } else {
            file = ViewsFileWithWrites(directory: directory, stamp: store.stamp, storage: store.fileStorage, keepingConflicts: ())
        }
        guard var file else { return nil }
        if file.views.members.enforced, file.isPartial, !file.patchable {
            // With members a write that leaves no tail (SPEC §6.8) writes the views file
            // again, patched from the file and the log past it (`saveDerivedState`), or
            // from the whole views where it cannot be patched.
            guard let whole = ViewsFileWithWrites(directory: directory, stamp: store.stamp, storage: store.fileStorage,
                                                  keepingConflicts: ()) else { return nil }
            file = whole
        }
        return EntryAppender(store: store, file: file)
    }

    private init(store: consuming StoreAppender, file: ViewsFileWithWrites) {
        self.store = store
        self.file = file
    }

    public var node: NodeID { store.node }
    public var ledger: String { store.identity.ledger }
    /// The ledger's id in a signed ledger, nil in format 1 (whose events alone are taken in here).
    public var ledgerID: LedgerID? { store.identity.ledgerID }
    public var directory: String { store.directory }
    /// The views as the files say, with what this appender wrote added: the catalog, the
    /// labels and the lots the checks of a new entry read. Nil after a refused write. Its
    /// conflicts are left unread (entries added here change none).
    public var views: LedgerViews? { file?.views }
    /// The entries carrying `id` as the entry index says (with the log past it): what a
    /// payment's check reads of the sale it settles. Nil when the index does not check.
    public func records(withID id: String) -> [LedgerRecord]? {
        guard let file else { return nil }
        return try? file.index.lookUp(id).records
    }

    /// What opening had to do (a torn tail cut), as `LocalNode.openingNotices`.
    public var openingNotices: [String] {
        store.cutBytes > 0
            ? ["cut \(store.cutBytes) bytes of an unfinished write at the end of the log (a crash during a write that was never acknowledged)"]
            : []
    }

    /// Records the operations `make` returns as one durable record (one fsync), when the
    /// views can take them; nil, with nothing written, otherwise (then open the node).
    /// `make` gets the dot of the first event, under the log's lock, as `LocalNode.write`.
    public mutating func write(wallMillis: UInt64, _ make: (_ first: Dot) -> [Operation]) throws(NodeError) -> [Event]? {
        try appendAddingToViews(ownNode: store.node) { store, accept throws(StoreError) in
            try store.append(wallMillis: wallMillis, make, accept: accept)
        }
    }

    /// Appends through the store what `append` writes, the views taking every event before
    /// it is written (`accept`); nil, with nothing written, when they cannot or the store
    /// declines. The views are taken out and added to in place (at ten million entries a
    /// copy is a gigabyte), and put back only when the write is whole.
    /// `ownNode`: this node when the events are its own writes (`ViewsFileWithWrites.add`).
    private mutating func appendAddingToViews(
        ownNode: NodeID?, _ append: (inout StoreAppender, _ accept: ([Event]) -> Bool) throws(StoreError) -> [Event]?
    ) throws(NodeError) -> [Event]? {
        guard var working = file.take() else { return nil }
        // Checked before the record is written, where it will lie: the end of the log.
        let before = store.stamp
        let at = LogStamp(size: before.size, lastRecordOffset: before.size, lastRecordCRC: 0)
        var added = false
        let written: [Event]?
        do {
            written = try append(&store) { events in
                added = working.add(events, loggedUpTo: at, ownNode: ownNode)
                return added
            }
        } catch {
            throw .store(error)
        }
        guard let written, added, working.restamp(store.stamp) else { return nil }
        file = working
        appended += written
        return written
    }

    /// Takes in events from elsewhere (a farm's directory, a bundle) as one durable record,
    /// as `LocalNode.persist` does, when the files can tell what they do; nil, with nothing
    /// written, otherwise (then open the node).
    ///
    /// They can tell in a format-1 ledger when, node by node, the events form one chain
    /// that either starts right after the node's one head here (naming its hash), or
    /// passes through that head (the same event at its seq: by its hash, every event below
    /// it is one held here too, and is a duplicate); when none extends this node's own
    /// chain; and when the views can take every new one (`LedgerViews.append`: entries
    /// naming no other, no catalog or label write). A farm's own entries since its last
    /// merge are such; a chain that ends below what is held here cannot be told from a
    /// fork without the events, and is left to the node.
    public mutating func take(_ incoming: [Event]) throws(NodeError) -> AdmissionCounts? {
        // A signed ledger's events are verified by the node (`StoreAppender.append(takenIn:)`
        // declines them): so is every ledger with members.
        guard let views = file?.views, !views.members.enforced,
              let new = Self.extensions(of: incoming, over: store.status.history, own: store.node) else {
            return nil
        }
        let counts = AdmissionCounts(accepted: new.count, duplicates: incoming.count - new.count, pending: 0, rejected: 0)
        guard !new.isEmpty else { return counts }
        let written = try appendAddingToViews(ownNode: nil) { store, accept throws(StoreError) in
            try store.append(takenIn: new, accept: accept) ? new : nil
        }
        return written == nil ? nil : counts
    }

    /// The events of `incoming` not held here, node by node in id order and each node's in
    /// seq order, when every node's events are one chain the summary's heads settle (see
    /// `take`); nil otherwise.
    static func extensions(of incoming: [Event], over summary: HistorySummary, own: NodeID) -> [Event]? {
        var byNode: [NodeID: [Event]] = [:]
        for event in incoming { byNode[event.dot.node, default: []].append(event) }
        var new: [Event] = []
        for (node, events) in byNode.sorted(by: { $0.key < $1.key }) {
            var chain: [Event] = []
            for event in events.sorted(by: { $0.dot.seq < $1.dot.seq }) {
                if let last = chain.last, last.dot.seq == event.dot.seq {
                    guard last.id == event.id else { return nil }  // two events at one seq: a fork
                    continue
                }
                guard chain.last.map(event.follows) ?? true else { return nil }  // a gap, or another branch
                chain.append(event)
            }
            guard let first = chain.first, let last = chain.last else { continue }
            let heads = summary.heads[node] ?? []
            let held = summary.versionVector[node]
            guard heads.count <= 1, heads.first?.dot.seq ?? 0 == held else { return nil }
            if first.dot.seq <= held {
                // Through the head: the same event at its seq, or nothing can be told.
                guard last.dot.seq >= held, chain[Int(held - first.dot.seq)].id == heads.first else { return nil }
            } else {
                guard first.dot.seq == held + 1, first.previous == (heads.first?.hash ?? .zero) else { return nil }
            }
            let above = chain.filter { $0.dot.seq > held }
            guard node != own || above.isEmpty else { return nil }
            new += above
        }
        return new
    }

    /// The views file, the entry index and the status file for the state written, as
    /// `LocalNode.saveDerivedState` leaves them. Warnings, never a failure: the entries
    /// are durable in the log. The last call: the views are written and let go first, so
    /// that they and the entry index's bodies are never in memory together (each file is
    /// stamped and believed on its own, so the order is free).
    ///
    /// While the log holds at most `DerivedTail.writersRewriteAbove` events past the older
    /// of the views file and the index, only the status file is written, naming where
    /// that tail begins: readers add it (SPEC §6.8). Then the files are written again.
    ///
    /// In a ledger with members readers add a tail only of entries whose writers' chain ends
    /// the views keep (SPEC §6.8: they give the index's readers their standing); a write of
    /// another (this node's first entries, in views that keep no chain end for it) names
    /// none, and the views file and the index are written again.
    public mutating func saveDerivedState() -> [String] {
        guard !appended.isEmpty, var file = file.take() else { return [] }
        let members = file.views.members
        let leavesTail = !members.enforced || Self.readersJudge(appended, members: members)
        // First the status file naming the tail: what was appended is then one readers add.
        var figures = [NodeStatus.conflictsKey: file.conflictCount]
        if leavesTail { figures[DerivedTail.statusFigure] = file.tailFrom }
        do {
            guard try store.saveStatus(derived: figures) else { return [] }
        } catch {
            return ["could not update the status file (\(error)); reading commands will read the log next time"]
        }
        guard !leavesTail || file.tailEvents > rewriteFilesAbove else { return [] }
        // The standing of every entry past the index, among the members: it counts, under its
        // writer's roles (what `LedgerViews.countsAmongMembers` checked, here or by the
        // writer of the tail, whose writers the chain ends all list).
        let standings = EntryIndexStanding.counting(writers: appended.map(\.dot.node), andTailOf: members, ownNode: store.node)
        var warnings: [String] = []
        let conflicts: Int, names: EntryIndexNames, warning: String?
        if file.isPartial, patchesViews, let sections = patchedSections(of: file, leftTail: leavesTail) {
            // Only a part was read: the file made again from itself and the log past it.
            viewsPatched = true
            (conflicts, names, warning) = Self.saveViews(sections, of: file, into: &store)
        } else {
            if file.isPartial {
                // The whole views now, from the file and the tail.
                guard let whole = ViewsFileWithWrites(directory: store.directory, stamp: store.stamp, storage: store.fileStorage,
                                                      keepingConflicts: ()) else {
                    return ["could not read the views file again to write it; reading commands add the log past it"]
                }
                file = whole
            }
            (conflicts, names, warning) = Self.saveViews(file.sections, of: file, into: &store)
        }
        if let warning { warnings.append(warning) }
        // The views' pages go back before the index's bodies are taken (else the allocator
        // keeps them, and resident memory is the sum again).
        FreedMemory.giveBack()
        if let warning = saveEntryIndex(names: names, standings: standings) { warnings.append(warning) }
        // A file left behind keeps its tail, and the status file the figure readers add it by.
        guard warnings.isEmpty else { return warnings }
        do {
            try store.saveStatus(derived: [NodeStatus.conflictsKey: conflicts])
        } catch {
            warnings.append("could not update the status file (\(error)); `carnet status` will read the log next time")
        }
        return warnings
    }

    /// Whether readers may add `events` as a tail in a ledger with `members` (SPEC §6.8):
    /// entries, each by a writer whose chain end the views keep (what a reader of the index
    /// judges its standing by; `countsAmongMembers` took them by it). Not this node's first
    /// entries in views that keep no chain end for it, nor a new node's key.
    static func readersJudge(_ events: [Event], members: MembersView) -> Bool {
        guard let ends = members.chainEnds else { return false }
        return events.allSatisfy { ends[$0.dot.node] != nil && LedgerRecord(reading: $0) != nil }
    }

    /// The views file's sections for `file`'s views, patched from the file and the log past
    /// it (`LedgerViewsFile.patchedSections`); nil when it cannot be patched. `leftTail`:
    /// the status file now names that log as a tail; otherwise (a ledger with members, an
    /// entry its readers could not judge) this writer knows what the log past the file
    /// holds: the tail it read and what it appended, each added to its views.
    private func patchedSections(of file: borrowing ViewsFileWithWrites, leftTail: Bool) -> [(id: UInt8, bytes: [UInt8])]? {
        guard leftTail else {
            guard let past = DerivedTail.written(after: file.viewsFileStamp, upTo: store.stamp, directory: store.directory,
                                                 storage: store.fileStorage),
                  let entries = past.entries() else { return nil }
            return LedgerViewsFile.patchedSections(directory: store.directory, storage: store.fileStorage, views: file.views,
                                                   fileStamp: file.viewsFileStamp, entries: entries)
        }
        return LedgerViewsFile.patchedSections(directory: store.directory, storage: store.fileStorage, views: file.views,
                                               fileStamp: file.viewsFileStamp, end: store.stamp)
    }

    /// Writes `sections` as the views file; returns what the other files need of the views
    /// (the conflicts' count, the index's names) and the warning when it could not. The views
    /// and their bytes go when this returns.
    private static func saveViews(_ sections: [(id: UInt8, bytes: [UInt8])], of file: consuming ViewsFileWithWrites,
                                  into store: inout StoreAppender) -> (conflicts: Int, names: EntryIndexNames, warning: String?) {
        let names = EntryIndexNames(catalog: file.views.catalog, labels: file.views.labels)
        do {
            try store.saveStampedSections(LedgerViewsFile.fileName, as: .views, sections: sections)
            return (file.conflictCount, names, nil)
        } catch {
            return (file.conflictCount, names,
                    "could not update the views file (\(error)); reading commands will read the log next time")
        }
    }

    /// The entry index merged with the entries appended (`EntryIndexMerge`, which reads
    /// only their record). An entry that is not the newest (another node's clock ahead)
    /// needs every entry to find its place: then the node is opened and builds it, as a
    /// write through it does.
    /// `standings`: in a ledger with members, those of the entries appended, by writer.
    private mutating func saveEntryIndex(names: EntryIndexNames, standings: [NodeID: EntryIndexStanding]?) -> String? {
        let stamp = store.stamp, directory = store.directory, storage = store.fileStorage
        var body: [UInt8]?
        if let previous = EntryIndexBuilder.previousFile(upTo: stamp, directory: directory, storage: storage),
           let tables = EntryIndexTables(body: previous.body, stamp: previous.stamp) {
            body = try? EntryIndexMerge.body(previous: tables, previousStamp: previous.stamp,
                                             replica: AppendedToAcceptedLog(appended), names: names, stamp: stamp,
                                             directory: directory, storage: storage, newStandings: standings)
        }
        indexThroughTheNode = body == nil
        guard let body else { return Self.saveEntryIndexThroughTheNode(directory: directory, storage: storage) }
        do {
            try store.saveStampedFile(EntryIndexFile.fileName, as: .entries, body: body, stamp: stamp)
            return nil
        } catch {
            return "could not update the entry index (\(error)); `show` and `log` will open the store next time"
        }
    }

    private static func saveEntryIndexThroughTheNode(directory: String, storage: any Storage) -> String? {
        do {
            var store = try NodeStore(directory: directory, wallMillis: 0, storage: storage, keepingChainsCold: true,
                                      freshNodeID: LocalNode.randomNodeID)
            return store.saveEntryIndex(names: EntryIndexNames(replica: store.replica), appended: [:])
        } catch {
            return "could not update the entry index (\(error)); `show` and `log` will open the store next time"
        }
    }
}
