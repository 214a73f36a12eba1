import CarnetCore
import CarnetLedger
import CarnetStore
import CarnetSystem
import CarnetWire

/// `serve`'s save made from the files beside the log, as `record` and `merge` leave them
/// (SPEC §6.8), instead of from a fold of the whole ledger.
///
/// Why: a fold kept warm for the saves held some 200 MB at a million entries, resident for
/// as long as the server ran, and every save re-encoded the whole views file. What a
/// session persists is most often a farm's day of entries, which the views take as they
/// are (`LedgerViews.append`): so the save reads the part of the views those entries touch,
/// adds each record the log gained since the status file, in log order, exactly as a
/// writer that appended them would have, and then names the tail in the status file (or,
/// past `DerivedTail.writersRewriteAbove` events, patches the views file and merges the
/// entry index). In a ledger with members, each entry must count under its node's chain
/// end (`MembersView.chainEnds`); an enrolment of a node not held is taken too
/// (`MembersView.takeEnrolment`), and a save that takes a new node or a member record
/// writes both files.
/// Anything else
/// (a register written by another node, a void, a fork, an event waiting for its
/// predecessor, another member record, a new node the views cannot judge, files not
/// current) gives nil, and the caller
/// folds.
///
/// Made outside the store's lock from a copy of the replica at `end`; written under it only
/// while the log is still at `end` (`write(into:)`).
struct ServedFilesSave {
    /// What is written, in order.
    enum Writes {
        /// The status file already describes the log at `end`: a writer (the CLI) saved it.
        case nothing
        /// The status file alone, naming where the tail readers add begins.
        case status(derived: [String: Int])
        /// The views file and the entry index at `end`, then the status file.
        case files(views: [(id: UInt8, bytes: [UInt8])], entries: [UInt8], derived: [String: Int])
    }

    /// The log state the writes describe.
    let end: LogStamp
    let writes: Writes
    /// Whether the entry index written was merged with what the log gained, rather than
    /// built from every entry (what a test holds the merge to).
    private(set) var indexMerged = false

    /// At most this many events added by one save; a larger gain (a first sync's) is folded.
    static let mostEventsAdded = 65_536

    /// Why the files could not tell (what tests and measurements look at).
    struct Declined: Error, CustomStringConvertible {
        let description: String
        /// Another writer (the CLI) was writing the files: the status file was replaced while
        /// they were read, or one of them is newer than it (a writer that folds writes the
        /// entry index, folds for seconds, then the views and the status file). Reading
        /// again, or later, settles it.
        var raced = false
        init(_ description: String) { self.description = description }
    }

    /// The save for the log at `end`, whose state `replica` is; `Declined` when the files
    /// cannot tell (see the type). `rewriteAbove`: as `EntryAppender.rewriteFilesAbove`.
    /// Read again (three times at most) while another writer replaces the files under it:
    /// each such decline would cost a fold of every event.
    static func make(directory: String, storage: any Storage, replica: Replica, end: LogStamp,
                     rewriteAbove: Int = DerivedTail.writersRewriteAbove) throws(Declined) -> ServedFilesSave {
        var attempt = 1
        while true {
            do throws(Declined) {
                return try makeOnce(directory: directory, storage: storage, replica: replica, end: end, rewriteAbove: rewriteAbove)
            } catch where error.raced && attempt < 3 {
                attempt += 1
            }
        }
    }

    private static func makeOnce(directory: String, storage: any Storage, replica: Replica, end: LogStamp,
                                 rewriteAbove: Int) throws(Declined) -> ServedFilesSave {
        guard replica.history.pendingCount == 0 else { throw Declined("events wait for their predecessors") }
        guard let status = StoreStatus.prefix(directory: directory, storage: storage),
              let conflicts = status.derived[NodeStatus.conflictsKey] else {
            throw Declined("no status file the log begins with, naming the conflicts")
        }
        // An event waiting at the status file's state is released by what came since, and
        // counts from then on: the views would miss it (a farm's log recovered from damage).
        guard status.pendingCount == 0 else { throw Declined("events waited at the status file's state") }
        // A status file at `end` or past it (a writer of the CLI saved since) describes what
        // the sessions appended: both are states of the one log.
        if status.stamp.size >= end.size { return ServedFilesSave(end: end, writes: .nothing) }
        guard let log = LogRecordReader(directory: directory, prefix: end, storage: storage),
              let gained = records(of: log, from: status.stamp.size) else {
            throw Declined("the log past the status file does not read, or holds over \(mostEventsAdded) events")
        }
        // Each event counted, on its node's only branch: what a writer that appended it saw.
        let branched = replica.history.branchedNodes
        var entries: [LedgerEntry] = []
        for (_, events) in gained {
            for event in events {
                guard replica.history.contains(event.id), !branched.contains(event.dot.node) else {
                    throw Declined("an event not counted on its node's only branch")
                }
                // A node's label, a new node's key (which the views judge with members), and
                // a member record (an enrolment they take, `takeEnrolments`).
                if OwnLabelWrite(event) != nil || NodeKey.declared(by: event) != nil || Self.isMemberRecord(event) { continue }
                guard let record = LedgerRecord(reading: event) else { throw Declined("an event that is not an entry") }
                entries.append(record.entry)
            }
        }
        guard var file = ViewsFileWithWrites(directory: directory, stamp: status.stamp, storage: storage,
                                             part: ViewsPart(entries: entries), conflictCount: conflicts, status: status)
        else {
            var declined = Declined(whyNotCurrent(directory: directory, storage: storage, status: status, part: ViewsPart(entries: entries)))
            declined.raced = StoreStatus.prefix(directory: directory, storage: storage)?.stamp != status.stamp
                || [LedgerViewsFile.fileName, EntryIndexFile.fileName].contains { name in
                    (stamp(of: name, directory: directory, storage: storage)?.size ?? 0) > status.stamp.size
                }
            throw declined
        }
        let gainedEvents = gained.flatMap(\.events)
        guard file.takeEnrolments(gainedEvents, isNewNode: ViewsFileWithWrites.newNodes(in: replica, before: gainedEvents)) else {
            throw Declined("a member record other than the enrolment of a node not held")
        }
        for (index, record) in gained.enumerated() {
            let last = index == gained.count - 1
            let after = last ? end : LogStamp(size: gained[index + 1].offset, lastRecordOffset: record.offset, lastRecordCRC: 0)
            guard file.add(record.events, loggedUpTo: after) else {
                throw Declined("the views cannot take the record at \(record.offset)")
            }
        }
        // With members readers add a tail only of entries by nodes whose chain ends the views
        // keep (SPEC §6.8): a new node's key, or its label, has the files written again.
        let members = file.views.members.enforced
        let leavesTail = !members || EntryAppender.readersJudge(gainedEvents, members: file.views.members)
        guard !leavesTail || file.tailEvents > rewriteAbove else {
            return ServedFilesSave(end: end, writes: .status(derived: [NodeStatus.conflictsKey: file.conflictCount,
                                                                       DerivedTail.statusFigure: file.tailFrom]))
        }
        // Past the bound: both files made again at `end`, from themselves and the log past them.
        guard let pastViews = records(of: log, from: file.viewsFileStamp.size)
                .flatMap({ DerivedTail(end: end, records: $0).entries(skippingKeys: members) }),
              let sections = LedgerViewsFile.patchedSections(directory: directory, storage: storage, views: file.views,
                                                             fileStamp: file.viewsFileStamp, entries: pastViews),
              let (index, merged) = entryIndex(names: EntryIndexNames(catalog: file.views.catalog, labels: file.views.labels),
                                     gained: gainedEvents, replica: replica, end: end,
                                     standings: EntryIndexStanding.counting(writers: pastViews.map(\.writer),
                                                                            andTailOf: file.views.members, ownNode: nil),
                                     directory: directory, storage: storage) else {
            throw Declined("the views file could not be patched, or the entry index made")
        }
        var save = ServedFilesSave(end: end, writes: .files(views: sections, entries: index,
                                                            derived: [NodeStatus.conflictsKey: file.conflictCount]))
        save.indexMerged = merged
        return save
    }

    static func isMemberRecord(_ event: Event) -> Bool {
        if case let .append(core) = event.operation { return core.kind == Replica.memberEntryKind }
        return false
    }

    /// Which of the two files does not describe the log up to `status`, and where each
    /// stands: what a decline says (read again only then).
    private static func whyNotCurrent(directory: String, storage: any Storage, status: StoreStatus, part: ViewsPart) -> String {
        let views = LedgerViewsFile.currentForOneWriter(directory: directory, part: part, storage: storage, status: status)
        let index = EntryIndex.current(directory: directory, storage: storage, status: status)
        let figure = status.derived[DerivedTail.statusFigure].map { "the log past \($0)" } ?? "no tail"
        func stands(_ name: String, _ stamp: LogStamp?, _ file: LogStamp?) -> String {
            guard let stamp, let file else { return "the \(name) does not read with its tail" }
            return stamp == status.stamp ? "the \(name) does" : "the \(name) (at \(file.size)) reads to \(stamp.size)"
        }
        return "the views file and the entry index do not describe the log up to the status file (at \(status.stamp.size), "
            + "naming \(figure)): \(stands("views file", views?.stamp, views?.fileStamp)), "
            + "\(stands("entry index", index?.stamp, index?.fileStamp))"
    }

    /// The stamp a derived file's head names, unchecked (whether a writer is still writing).
    private static func stamp(of name: String, directory: String, storage: any Storage) -> LogStamp? {
        let size = FileHeader.size + LogStamp.encodedSize
        guard let file = try? storage.openReadOnly(directory + "/" + name), let head = try? file.read(at: 0, count: size),
              head.count == size else { return nil }
        return LogStamp.read(head, at: FileHeader.size)
    }

    /// The log's records from `start` to its stamp, each at its offset; nil when one does not
    /// read or they hold more than `mostEventsAdded` events.
    private static func records(of log: LogRecordReader, from start: Int) -> [(offset: Int, events: [Event])]? {
        var records: [(offset: Int, events: [Event])] = []
        var count = 0
        let read = log.readRecords(from: start) { offset, events in
            count += events.count
            records.append((offset, events))
            return count <= mostEventsAdded
        }
        return read && count <= mostEventsAdded ? records : nil
    }

    /// The entry index at `end`: the previous file merged with what the log gained (as
    /// `EntryAppender` merges), else built from the replica (`EntryIndexBuilder`).
    /// `standings`: in a ledger with members, those of the entries gained, by writer.
    private static func entryIndex(names: EntryIndexNames, gained: [Event], replica: Replica, end: LogStamp,
                                   standings: [NodeID: EntryIndexStanding]?,
                                   directory: String, storage: any Storage) -> (body: [UInt8], merged: Bool)? {
        if let previous = EntryIndexBuilder.previousFile(upTo: end, directory: directory, storage: storage),
           let tables = EntryIndexTables(body: previous.body, stamp: previous.stamp),
           let body = try? EntryIndexMerge.body(previous: tables, previousStamp: previous.stamp,
                                                replica: AppendedToAcceptedLog(gained), names: names, stamp: end,
                                                directory: directory, storage: storage, newStandings: standings) {
            return (body, true)
        }
        return EntryIndexFile.body(replica: replica, names: names, stamp: end, directory: directory, storage: storage)
            .map { ($0, false) }
    }

    /// Writes what was made into `store`, whose log must be at `end` (the caller holds the
    /// lock that keeps it there); warnings, never a failure: every event is already durable.
    /// A file that could not be written leaves the status file as it was, so that no reader
    /// adds a tail to a file that lacks more than it says.
    func write(into store: inout NodeStore) -> [String] {
        switch writes {
        case .nothing:
            return []
        case let .status(derived):
            do {
                try store.saveStatus(derived: derived)
                return []
            } catch {
                return ["could not update the status file (\(error)); reading commands will read the log next time"]
            }
        case let .files(views, entries, derived):
            do {
                try store.saveStampedSections(LedgerViewsFile.fileName, as: .views, sections: views)
            } catch {
                return ["could not update the views file (\(error)); reading commands will read the log next time"]
            }
            do {
                try store.saveStampedFile(EntryIndexFile.fileName, as: .entries, body: entries, stamp: end)
            } catch {
                return ["could not update the entry index (\(error)); `show` and `log` will open the store next time"]
            }
            do {
                try store.saveStatus(derived: derived)
                return []
            } catch {
                return ["could not update the status file (\(error)); `carnet status` will read the log next time"]
            }
        }
    }
}
