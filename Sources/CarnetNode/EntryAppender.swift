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
/// other, in a ledger without members) and where the status file says all opening
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

    /// The appender of `directory`, or nil when the node must be opened: the status file,
    /// the views file or the entry index is not current, the ledger has members, or
    /// `StoreAppender.open` declines.
    public static func open(directory: String, wallMillis: UInt64) -> EntryAppender? {
        guard let store = StoreAppender.open(directory: directory, wallMillis: wallMillis),
              let file = ViewsFileWithWrites(directory: directory, stamp: store.stamp, storage: store.fileStorage),
              !file.views.members.enforced else { return nil }
        return EntryAppender(store: store, file: file)
    }

    private init(store: consuming StoreAppender, file: ViewsFileWithWrites) {
        self.store = store
        self.file = file
    }

    public var node: NodeID { store.node }
    public var directory: String { store.directory }
    /// The views as the files say, with what this appender wrote added: the catalog, the
    /// labels and the lots the checks of a new entry read. Nil after a refused write.
    public var views: LedgerViews? { file?.views }
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
        // Checked before the record is written, where it will lie: the end of the log.
        // Taken out and added to in place: at ten million entries a copy of the views is a
        // gigabyte. Put back only when the write is whole.
        guard var working = file.take() else { return nil }
        let before = store.stamp
        let at = LogStamp(size: before.size, lastRecordOffset: before.size, lastRecordCRC: 0)
        var added = false
        let written: [Event]?
        do {
            written = try store.append(wallMillis: wallMillis, make) { events in
                added = working.add(events, loggedUpTo: at)
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

    /// The entry index, the status file and the views file for the state written, as
    /// `LocalNode.saveDerivedState` leaves them. Warnings, never a failure: the entries
    /// are durable in the log.
    public mutating func saveDerivedState() -> [String] {
        guard !appended.isEmpty, let file else { return [] }
        var warnings: [String] = []
        if let warning = saveEntryIndex(names: EntryIndexNames(catalog: file.views.catalog, labels: file.views.labels)) {
            warnings.append(warning)
        }
        do {
            try store.saveStatus(derived: [NodeStatus.conflictsKey: file.views.conflicts.count])
        } catch {
            warnings.append("could not update the status file (\(error)); `carnet status` will read the log next time")
        }
        do {
            try store.saveStampedFile(LedgerViewsFile.fileName, as: .views, body: LedgerViewsFile.encode(file.views))
        } catch {
            warnings.append("could not update the views file (\(error)); reading commands will read the log next time")
        }
        return warnings
    }

    /// The entry index merged with the entries appended (`EntryIndexMerge`, which reads
    /// only their record). An entry that is not the newest (another node's clock ahead)
    /// needs every entry to find its place: then the node is opened and builds it, as a
    /// write through it does.
    private mutating func saveEntryIndex(names: EntryIndexNames) -> String? {
        let stamp = store.stamp, directory = store.directory, storage = store.fileStorage
        var body: [UInt8]?
        if let previous = EntryIndexBuilder.previousFile(upTo: stamp, directory: directory, storage: storage),
           let tables = EntryIndexTables(body: previous.body, stamp: previous.stamp) {
            body = try? EntryIndexMerge.body(previous: tables, previousStamp: previous.stamp,
                                             replica: AppendedToAcceptedLog(appended), names: names, stamp: stamp,
                                             directory: directory, storage: storage)
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
