import CarnetCore
import CarnetLedger
import CarnetStore
import CarnetSystem

/// The log records past the stamp of the views file or the entry index that the file lacks,
/// when a reader may add them itself (protocol/SPEC.md §6.8): then a writer that adds
/// entries (`EntryAppender`) appends to the log and writes the status file alone, and
/// rewrites the views file and the index only every `writersRewriteAbove` events. At a
/// million entries the two files are 60 MB, and rewriting them was most of a `record`.
///
/// A reader may add them when the status file is current and names, as its figure
/// `statusFigure`, a log size at or below the file's stamp from which every record was
/// appended by a writer that first added its entries to the views (`LedgerViews.append`:
/// entries that name no other, whose ids nothing holds or names, in a ledger without
/// members, with no stock line going below zero). A reader adds them with
/// `LedgerViews.addTaken`, and the index shows them beside its own. A writer that cannot
/// say that (the node, folding) writes a status file without the figure, and the files
/// it writes describe the log exactly.
struct DerivedTail {
    /// The status file's figure: the log size from which every record was added by a writer
    /// to the views it had.
    static let statusFigure = "views-tail-from"
    /// How many events a writer lets the tail hold before it rewrites the files.
    static let writersRewriteAbove = 256
    /// How many a reader adds at most: more, and it opens the store (a writer never leaves
    /// so many, so this only bounds what a damaged figure could cost).
    static let readersAddAtMost = 4_096

    /// The log state the tail ends at: the status file's stamp.
    let end: LogStamp
    /// The records after the file's stamp, each at its offset, in log order.
    let records: [(offset: Int, events: [Event])]

    var eventCount: Int { records.reduce(0) { $0 + $1.events.count } }

    /// The tail of `directory`'s log after `stamp` (a derived file's), read up to the status
    /// file's stamp; empty when that is `stamp`. Nil when a reader may not add it: the
    /// status file is not current or does not name the figure at or below `stamp`, `stamp`
    /// is not a state of this log, a record does not read, or it holds too many events.
    static func after(_ stamp: LogStamp, directory: String, storage: any Storage) -> DerivedTail? {
        guard let status = StoreStatus.current(directory: directory, storage: storage) else { return nil }
        return after(stamp, status: status, directory: directory, storage: storage)
    }

    /// The same against a status already read (and current when read).
    static func after(_ stamp: LogStamp, status: StoreStatus, directory: String, storage: any Storage) -> DerivedTail? {
        if stamp == status.stamp { return DerivedTail(end: stamp, records: []) }
        guard let from = status.derived[statusFigure], from >= 0, from <= stamp.size, stamp.size < status.stamp.size,
              stamp.isPrefix(directory: directory, storage: storage),
              let log = LogRecordReader(directory: directory, prefix: status.stamp, storage: storage) else { return nil }
        var records: [(offset: Int, events: [Event])] = []
        var count = 0
        let sound = log.readRecords(from: stamp.size) { offset, events in
            count += events.count
            guard count <= readersAddAtMost else { return false }
            records.append((offset, events))
            return true
        }
        guard sound, count <= readersAddAtMost else { return nil }
        return DerivedTail(end: status.stamp, records: records)
    }

    /// The records of `directory`'s log from `stamp` up to `end`, whatever the status file
    /// says: for a writer that knows what it added after `stamp` (`EntryAppender`, which
    /// read the files with their tail and appended since, under the log's lock), never for a
    /// reader. Nil when `stamp` is not a state of the log up to `end`, or a record does not
    /// read.
    static func written(after stamp: LogStamp, upTo end: LogStamp, directory: String, storage: any Storage) -> DerivedTail? {
        if stamp == end { return DerivedTail(end: end, records: []) }
        guard stamp.size < end.size, let log = LogRecordReader(directory: directory, prefix: end, storage: storage),
              stamp.isPrefix(directory: directory, storage: storage) else { return nil }
        var records: [(offset: Int, events: [Event])] = []
        let sound = log.readRecords(from: stamp.size) { offset, events in
            records.append((offset, events))
            return true
        }
        return sound ? DerivedTail(end: end, records: records) : nil
    }

    /// The tail's events as entries, in log order, its nodes' writes of their own labels
    /// aside (`ownLabelWrites`); nil when another is not a readable entry that the views
    /// could have taken (`LedgerViews.append`'s kinds): then the figure is wrong, and the
    /// reader opens the store. `skippingKeys`: new nodes' key declarations and member
    /// records set aside too (a writer in a ledger with members, whose views took them; no
    /// reader's tail holds one).
    func entries(skippingKeys: Bool = false) -> [LedgerRecord]? {
        var entries: [LedgerRecord] = []
        for (_, events) in records {
            for event in events where OwnLabelWrite(event) == nil
                && !(skippingKeys && (NodeKey.declared(by: event) != nil || ServedFilesSave.isMemberRecord(event))) {
                guard let record = LedgerRecord(reading: event), LedgerViews.addsToSums(record.entry) else { return nil }
                entries.append(record)
            }
        }
        return entries
    }

    /// The tail's writes of a node's own label, in log order (SPEC §6.8): a new farm's
    /// first merge carries one.
    func ownLabelWrites() -> [OwnLabelWrite] {
        records.flatMap { $0.events.compactMap(OwnLabelWrite.init) }
    }

    /// The products (as UTF-8 bytes, each once) that `entries` move stock of, after
    /// `besides`: whose stock lines a reader of a part of the views needs to add them.
    static func products(movedBy entries: [LedgerRecord], besides: [String] = []) -> [[UInt8]] {
        var products = besides.map { Array($0.utf8) }
        for record in entries where record.entry.kind.movesStock {
            if let product = record.entry.product, !products.contains(where: { $0.elementsEqual(product.utf8) }) {
                products.append(Array(product.utf8))
            }
        }
        return products
    }

    /// `views` with the tail's entries added (`LedgerViews.addTaken`); nil when an event is
    /// not such an entry, or the stock holds totals that cannot take one (`stockIsTotals`:
    /// then decode the lots).
    func adding(to views: consuming LedgerViews, stockIsTotals: Bool) -> LedgerViews? {
        guard let entries = entries() else { return nil }
        var views = views
        guard views.takeLabels(ownLabelWrites(), knownEmpty: false) else { return nil }
        return views.addTaken(entries, stockIsTotals: stockIsTotals) ? views : nil
    }
}
