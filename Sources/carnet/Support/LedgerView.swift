import CarnetCore
import CarnetLedger

/// The ledger as a command reads it: the replica, the merged ledger state and the
/// catalog, each computed once, the state only when asked for: it parses every entry
/// (seconds at a million), and a harvest, a catalog check or an export of the catalog
/// never needs it.
struct LedgerView {
    let replica: Replica
    let membership: Membership
    let catalog: Catalog
    private let memo: StateMemo

    init(_ replica: Replica) {
        self.replica = replica
        membership = Membership(replica: replica)
        catalog = Catalog(replica: replica, membership: membership)
        memo = StateMemo()
    }

    /// Every entry as the merged events say, built on first use.
    var state: LedgerState { memo.state(of: replica, membership: membership) }

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

/// Where a `LedgerView` keeps its state once built. A class so that a view passed by value
/// builds it at most once; used by one command on one thread, never shared between tasks.
private final class StateMemo {
    private var built: LedgerState?

    func state(of replica: Replica, membership: Membership) -> LedgerState {
        if let built { return built }
        let state = LedgerState(replica: replica, membership: membership)
        built = state
        return state
    }
}
