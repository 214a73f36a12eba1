import CarnetStore
import CarnetSystem

/// What `show` and `log --limit` need, read without opening the store: the entries from
/// the entry index (§6.7) and the log records it points at, and the names of products,
/// parties and writers it keeps. The index must describe the log exactly as it is now, or
/// this is nil and the command opens the store.
public struct IndexedLedger {
    public let index: EntryIndex

    /// The names, as `Catalog(replica:)` and `Replica.label(of:)` give them.
    public var names: EntryIndexNames { index.names }

    public static func current(directory: String, storage: any Storage = PosixStorage()) -> IndexedLedger? {
        EntryIndex.current(directory: directory, storage: storage).map(IndexedLedger.init)
    }
}
