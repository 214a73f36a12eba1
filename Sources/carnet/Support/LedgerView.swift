import CarnetCore
import CarnetLedger

/// The ledger as a command reads it: the replica, the merged ledger state and the
/// catalog, each computed once.
struct LedgerView {
    let replica: Replica
    let state: LedgerState
    let catalog: Catalog

    init(_ replica: Replica) {
        self.replica = replica
        state = LedgerState(replica: replica)
        catalog = Catalog(replica: replica)
    }

    /// Opens the store and reads it (for commands that write nothing). With
    /// `refreshingIndex`, for a command that would have answered from the entry index had
    /// it been current: the status, views and index files are written again from what was
    /// read, so that the next such command answers without the store.
    static func read(_ context: Context, refreshingIndex: Bool = false) throws -> LedgerView {
        var store = try StoreAccess.open(context)
        let view = LedgerView(store.replica)
        if refreshingIndex {
            for warning in store.views(ledger: view.state).warnings { context.output.warn(warning) }
        }
        return view
    }

}

/// Writing a catalog field: an assignment that supersedes every value the node sees, so
/// an edit never leaves the old value standing beside the new one.
enum CatalogWrites {
    static func assignment(_ key: FieldKey, _ value: Value, replica: Replica) -> Operation {
        .assign(Assignment(key: key, value: value, supersedes: replica.registers[key]?.liveIDs ?? []))
    }
}
