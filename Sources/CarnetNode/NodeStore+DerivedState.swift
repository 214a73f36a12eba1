import CarnetLedger
import CarnetStore

extension NodeStore {
    /// After events were appended (by a command, a session or a bundle): a checkpoint when
    /// due, and the status file with the derived counts, so that the next `status`
    /// answers without reading the log. Written once for the command line and `serve`.
    /// Returns warnings: every event is already durable, so nothing here fails a command.
    mutating func saveDerivedState(ledger: LedgerState? = nil) -> [String] {
        var warnings: [String] = []
        do {
            try saveCheckpointIfDue()
        } catch {
            warnings.append("\(error)")
        }
        do {
            let conflicts = Conflicts.all(replica: replica, ledger: ledger).count
            try saveStatus(derived: [NodeStatus.conflictsKey: conflicts])
        } catch {
            warnings.append("could not update the status file (\(error)); `carnet status` will read the log next time")
        }
        return warnings
    }
}
