import CarnetCore
import CarnetLedger
import CarnetStore

/// Opening the node's store the same way for every command, and the housekeeping after
/// a command appended events.
enum StoreAccess {
    /// Opens the store of the context's directory, telling the person (on stderr) about
    /// what opening had to do: cut a torn tail, ignore a stale checkpoint, continue under
    /// a new node id.
    static func open(_ context: Context) throws -> NodeStore {
        let store = try NodeStore(directory: context.directory, wallMillis: context.wallMillis(),
                                  freshNodeID: Context.randomNodeID)
        let opening = store.opening
        if opening.recovery.cutBytes > 0 {
            context.output.warn("cut \(opening.recovery.cutBytes) bytes of an unfinished write at the end of the log (a crash during a write that was never acknowledged)")
        }
        if let previous = opening.continuedFrom {
            context.output.warn("\(opening.reason ?? "this node must not write under its old id"); it continues as node \(store.identity.node.short), linked to \(previous.short)")
        }
        return store
    }

    /// After appending: a checkpoint when due, and the status file, so that the next
    /// `status` answers without reading the log. Failures are warnings, never a failed
    /// command: the events are already durable in the log.
    static func afterAppend(_ store: inout NodeStore, context: Context, ledger: LedgerState? = nil) {
        do {
            try store.saveCheckpointIfDue()
        } catch {
            context.output.warn("\(error)")
        }
        do {
            let conflicts = Conflicts.all(replica: store.replica, ledger: ledger).count
            try store.saveStatus(derived: ["conflicts": conflicts])
        } catch {
            context.output.warn("could not update the status file (\(error)); `carnet status` will read the log next time")
        }
    }
}
