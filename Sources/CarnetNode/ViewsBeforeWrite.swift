import CarnetCore
import CarnetLedger
import CarnetStore
import CarnetSystem

/// The views file and the entry index as they were before a write, both describing the
/// log as the writing store held it: what a writer adds its own new entry to instead of
/// folding every event again (`LedgerViews.appending`).
///
/// Exact only if nothing else was appended between the read and the write: `adding`
/// checks that the written record begins where the state read ends, so another process's
/// record in between (which the store took in under its lock) makes it give nil, and the
/// writer folds.
public struct ViewsBeforeWrite {
    /// The log state both files describe.
    let stamp: LogStamp
    /// The views as the file holds them: a writer's checks read them too (the lots).
    public let views: LedgerViews
    let index: EntryIndex

    /// Both files of `directory` when both describe the log exactly at `stamp` (the store's
    /// state); nil otherwise (missing, stale, damaged, another version).
    init?(directory: String, stamp: LogStamp, storage: any Storage = PosixStorage()) {
        // The log only grows: a views file current now, and an index current after it at
        // `stamp`, both describe `stamp`.
        guard let views = LedgerViewsFile.current(directory: directory, storage: storage),
              let index = EntryIndex.current(directory: directory, storage: storage), index.stamp == stamp else { return nil }
        self.stamp = stamp
        self.views = views
        self.index = index
    }

    /// The views with `written` added, when `written` is one entry in the one record that
    /// follows the state read (`loggedUpTo`: the store's stamp after the write) and the
    /// views can take it; nil otherwise.
    func adding(_ written: [Event], loggedUpTo now: LogStamp, writerLabel: (NodeID) -> String?) -> LedgerViews? {
        guard written.count == 1, now.lastRecordOffset == stamp.size,
              let record = LedgerRecord(reading: written[0]) else { return nil }
        let named: Bool
        do {
            let found = try index.lookUp(record.entry.id)
            named = !found.records.isEmpty || !found.reversals.isEmpty
        } catch {
            return nil
        }
        return views.appending(record, writerLabel: writerLabel(record.writer), idIsNamed: named)
    }
}
