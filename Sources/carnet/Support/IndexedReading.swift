import CarnetLedger
import CarnetNode

/// The names `show` and `log` print beside entries: the catalog when the store was opened,
/// the entry index's copy of them otherwise.
protocol CatalogNames {
    func productName(_ sku: String) -> String?
    func partyName(_ id: String) -> String?
    func unit(of sku: String) -> QuantityUnit?
}

extension Catalog: CatalogNames {}
extension EntryIndexNames: CatalogNames {}

/// How `show` and `log` (but `--changes`) read without opening the store: from the entry index
/// (§6.7) while it describes the log as it is, in milliseconds at a
/// million entries, in a ledger with members too (the index keeps each entry's standing).
/// Otherwise the command opens the store (seconds and a gigabyte at a
/// million), as it did before the index; the next write leaves both files current again.
enum IndexedReading {
    /// The index of the context's directory, when it is current and the node's files
    /// belong together (a signed node's key derives its id, as opening the store checks).
    static func ledger(_ context: Context) -> IndexedLedger? {
        guard EntryIndex.nodeFilesAgree(directory: context.directory) else { return nil }
        return IndexedLedger.current(directory: context.directory)
    }

    /// What `read` gives, or nil when the index turned out damaged (a block or a record
    /// that does not check): then a warning says so, and the caller opens the store.
    static func answer<T>(_ context: Context, _ read: () throws(EntryIndex.Damage) -> T) -> T? {
        do {
            return try read()
        } catch {
            context.output.warn("the entry index does not check (\(error)); reading the store instead")
            return nil
        }
    }
}
