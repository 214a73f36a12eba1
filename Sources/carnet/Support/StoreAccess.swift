import CarnetCore
import CarnetLedger
import CarnetNode

/// Opening the node the same way for every command, and the housekeeping after a
/// command appended events.
enum StoreAccess {
    /// Opens the node of the context's directory, telling the person (on stderr) what
    /// opening had to do: cut a torn tail, continue under a new node id.
    static func open(_ context: Context, keepingChainsCold: Bool = false) throws -> LocalNode {
        let node = try LocalNode(directory: context.directory, wallMillis: context.wallMillis(),
                                 keepingChainsCold: keepingChainsCold, freshNodeID: Context.randomNodeID)
        for notice in node.openingNotices { context.output.warn(notice) }
        return node
    }

    /// Opens the node for a command whose writes the views file can usually take (a new
    /// entry, a catalog change, a farm's entries taken in): cold, since the views file and
    /// the entry index say what the command needs, and with its writes added to the views
    /// file (`LocalNode.addWritesToViewsFile`) instead of every event folded again after.
    ///
    /// Warm, folding as before, when the views cannot take the writes (`foldIsCertain`: the
    /// caller knows, e.g. an entry naming another; or the views file is not current, or
    /// says the ledger has members and the command writes more than entries): a cold store
    /// folds every event at about a fifth more CPU than a warm one at a million entries
    /// (each checkpoint chunk decoded again for the walk and for the conflicts' entries),
    /// for half the memory.
    static func openAddingToViewsFile(_ context: Context, foldIsCertain: Bool = false) throws -> LocalNode {
        try openAddingToViewsFile(context, foldIsCertain: foldIsCertain, members: { !$0.enforced })
    }

    /// The same for a command that takes in other devices' entries (`merge`, `bundle
    /// apply`), which the views judge in a ledger with members when they keep the chain end
    /// of each node that wrote them (`MembersView.chainEnds`), or say how a node not held
    /// that member records name will be judged (`MemberNewNodes.named`: a farm enrolled
    /// before its first merge). `writers`: those nodes, nil when not known (then opened
    /// cold: a fold there costs more time, half the memory).
    static func openAddingToViewsFile(_ context: Context, takingEntriesOf writers: Set<NodeID>?) throws -> LocalNode {
        try openAddingToViewsFile(context, foldIsCertain: false) { members in
            guard members.enforced else { return true }
            guard let ends = members.chainEnds else { return false }
            let named = members.newNodes?.named ?? [:]
            return writers?.allSatisfy { ends[$0] != nil || named[$0] != nil } ?? true
        }
    }

    /// `members`: whether, with the members the views file says, the views can take the writes.
    private static func openAddingToViewsFile(_ context: Context, foldIsCertain: Bool,
                                              members viewsCanTake: (MembersView) -> Bool) throws -> LocalNode {
        guard !foldIsCertain,
              let members = LedgerViewsFile.members(directory: context.directory),
              viewsCanTake(members) else { return try open(context) }
        var node = try open(context, keepingChainsCold: true)
        node.addWritesToViewsFile()
        return node
    }

    /// After appending: a checkpoint when due, and the status file, so that the next
    /// `status` answers without reading the log. Failures are warnings, never a failed
    /// command: the events are already durable in the log.
    static func afterAppend(_ node: inout LocalNode, context: Context) {
        for warning in node.saveDerivedState() { context.output.warn(warning) }
    }
}
