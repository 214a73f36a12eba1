import CarnetLedger
import CarnetStore
import CarnetSystem

/// What `show` and `log --limit` need, read without opening the store: the entries from
/// the entry index (§6.7) and the log records it points at, the names of products,
/// parties and writers from the views file (§6.5). Both must describe the log exactly as
/// it is now, the same state (one stamp), or this is nil and the command opens the store.
public struct IndexedLedger {
    public let index: EntryIndex
    /// The catalog (products and parties), as `Catalog(replica:)` gives it.
    public let catalog: Catalog
    /// The writers' labels, as `Replica.label(of:)` gives them.
    public let labels: any WriterLabels

    public static func current(directory: String, storage: any Storage = PosixStorage()) -> IndexedLedger? {
        guard let index = EntryIndex.current(directory: directory, storage: storage),
              let views = StampedFile.current(LedgerViewsFile.fileName, as: .views, directory: directory, storage: storage),
              views.stamp == index.stamp,
              let decoded = LedgerViewsFile.decode(views.body, parts: [.catalog, .labels]) else { return nil }
        return IndexedLedger(index: index, catalog: decoded.catalog, labels: decoded)
    }
}
