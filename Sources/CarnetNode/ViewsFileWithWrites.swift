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
    let stamp: LogStamp
    let views: LedgerViews
    /// The entry index as read (it describes the state the views file did), and the ids
    /// added since: whether a new entry's id is held already.
    let index: EntryIndex
    let addedIDs: Set<ExactString>

    /// Both files of `directory` when both describe the log exactly at `stamp` (the store's
    /// state); nil otherwise (missing, stale, damaged, another version).
    init?(directory: String, stamp: LogStamp, storage: any Storage) {
        // The log only grows: a views file current now, and an index current after it at
        // `stamp`, both describe `stamp`.
        guard let views = LedgerViewsFile.current(directory: directory, storage: storage),
              let index = EntryIndex.current(directory: directory, storage: storage), index.stamp == stamp else { return nil }
        self.init(stamp: stamp, views: views, index: index, addedIDs: [])
    }

    private init(stamp: LogStamp, views: LedgerViews, index: EntryIndex, addedIDs: Set<ExactString>) {
        self.stamp = stamp
        self.views = views
        self.index = index
        self.addedIDs = addedIDs
    }

    /// The same views, stamped with the log's state once the record they were added for
    /// is written (`EntryAppender` adds them, the check that they can follow, before it
    /// writes: `now` must put that record where the check assumed it).
    func restamped(_ now: LogStamp) -> ViewsFileWithWrites? {
        guard now.lastRecordOffset == stamp.lastRecordOffset else { return nil }
        return ViewsFileWithWrites(stamp: now, views: views, index: index, addedIDs: addedIDs)
    }

    /// These views with `events` added, when they are the entries of the one record that
    /// follows the state so far (`loggedUpTo`: the store's stamp after it), each counted
    /// (accepted, on its node's only branch: the caller checks) and each one the views can
    /// take; nil otherwise.
    /// A write to a product, a party or a node's label is taken too: the catalog, the labels
    /// and the field conflicts are then made again from `replica`'s registers.
    func adding(_ events: [Event], loggedUpTo now: LogStamp, replica: Replica) -> ViewsFileWithWrites? {
        adding(events, loggedUpTo: now, label: { replica.label(of: $0) }, registers: { $0.withRegisters(of: replica) })
    }

    /// The same for a writer without a replica (`EntryAppender`): each writer's label from
    /// the views, and no write to a register taken.
    func adding(_ events: [Event], loggedUpTo now: LogStamp) -> ViewsFileWithWrites? {
        let labels = views.labels
        return adding(events, loggedUpTo: now, label: { labels[$0] }, registers: nil)
    }

    private func adding(_ events: [Event], loggedUpTo now: LogStamp, label: (NodeID) -> String?,
                        registers remake: ((LedgerViews) -> LedgerViews?)?) -> ViewsFileWithWrites? {
        guard !events.isEmpty, now.lastRecordOffset == stamp.size else { return nil }
        var views = views, added = addedIDs, registers = false
        for event in events {
            if case let .assign(assignment) = event.operation {
                guard remake != nil, LedgerViews.registersAlone(assignment.key) else { return nil }
                registers = true
                continue
            }
            guard let record = LedgerRecord(reading: event) else { return nil }
            let id = ExactString(record.entry.id)
            let named: Bool
            do {
                let found = try index.lookUp(record.entry.id)
                named = added.contains(id) || !found.records.isEmpty || !found.reversals.isEmpty
            } catch {
                return nil
            }
            guard let next = views.appending(record, writerLabel: label(record.writer), idIsNamed: named) else {
                return nil
            }
            views = next
            added.insert(id)
        }
        if registers, let remake {
            guard let next = remake(views) else { return nil }
            views = next
        }
        return ViewsFileWithWrites(stamp: now, views: views, index: index, addedIDs: added)
    }
}
