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
        catalog = Catalog(replica: replica, membership: state.membership)
    }

    /// Opens the store and reads it (for commands that write nothing). `show` and `log`
    /// come here when the entry index could not answer, and leave it as it is: writing it
    /// again (with the views it needs) would cost a reader at a million entries three times
    /// its answer; the next write does it.
    static func read(_ context: Context) throws -> LedgerView {
        let store = try StoreAccess.open(context)
        return LedgerView(store.replica)
    }

}

/// Writing a catalog field: an assignment that supersedes every value the node sees, so
/// an edit never leaves the old value standing beside the new one.
enum CatalogWrites {
    static func assignment(_ key: FieldKey, _ value: Value, replica: Replica) -> Operation {
        .assign(Assignment(key: key, value: value, supersedes: replica.registers[key]?.liveIDs ?? []))
    }
}
