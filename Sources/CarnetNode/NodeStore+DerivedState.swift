import CarnetLedger
import CarnetStore
import CarnetWire

extension NodeStore {
    /// After events were appended (by a command, a session or a bundle): a checkpoint when
    /// due, the status file with the derived counts, and the views file, so that the next
    /// `status`, `stock` or `conflicts` answers without reading the log. Written once for
    /// the command line and `serve`. Returns warnings: every event is already durable, so
    /// nothing here fails a command.
    ///
    /// `fold` follows this store's replica: caught up here, it makes the views from what
    /// changed since it last did (for `serve`, a few events; for a command, everything).
    mutating func saveDerivedState(fold: inout LedgerFold) -> [String] {
        var warnings: [String] = []
        do {
            try saveCheckpointIfDue()
        } catch {
            warnings.append("\(error)")
        }
        return warnings + saveStatusAndViews(fold: &fold).warnings
    }

    /// The views of the state held (from `fold`, caught up), with the status and views
    /// files rewritten to match; failures to write are the warnings.
    mutating func saveStatusAndViews(fold: inout LedgerFold) -> (views: LedgerViews, warnings: [String]) {
        let views = LedgerViews(replica: replica, fold: &fold)
        var warnings: [String] = []
        do {
            try saveStatus(derived: [NodeStatus.conflictsKey: views.conflicts.count])
        } catch {
            warnings.append("could not update the status file (\(error)); `carnet status` will read the log next time")
        }
        if let warning = saveViews(views) { warnings.append(warning) }
        return (views, warnings)
    }

    /// Writes the views file; a warning when it could not (reading commands then open the
    /// store, slower but as exact).
    mutating func saveViews(_ views: LedgerViews) -> String? {
        do {
            try saveStampedFile(LedgerViewsFile.fileName, as: .views, body: LedgerViewsFile.encode(views))
            return nil
        } catch {
            return "could not update the views file (\(error)); reading commands will read the log next time"
        }
    }
}
