import CarnetLedger
import CarnetNode

/// How the reading commands (`stock`, `balances`, `availability`, `conflicts`, the
/// catalog lists) get the ledger's views: from the views file while it describes the log
/// as it is, in milliseconds at any size; otherwise from the store opened and every event
/// folded, which leaves the file current for the next command.
enum ViewsAccess {
    /// `parts`: the sections the command shows (the others may be left empty).
    static func read(_ context: Context, parts: Set<LedgerViewsFile.Part>) throws -> LedgerViews {
        if let views = LedgerViewsFile.current(directory: context.directory, parts: parts) { return views }
        var node = try StoreAccess.open(context)
        let (views, warnings) = node.views()
        for warning in warnings { context.output.warn(warning) }
        return views
    }
}
