import CarnetCore
import CarnetWire

/// A session under a byte budget (protocol/SPEC.md 8.3.9): a metered link's `carnet sync
/// --budget`. The dialer states it in message 1; its own events go first (they exist
/// nowhere else), the listener's wait for the dialer's DONE, and each side stops at the
/// batch that would cross it (`Transfer.pump`). The dialer also refuses to read past it.
extension Session {
    /// The budget in force for this side, 0 for none: the dialer's own, or the one the
    /// dialer stated to this listener.
    var budgetBytes: Int { statistics.budgetBytes }

    /// Puts the transfer under the budget once the channel exists.
    mutating func applyBudget(_ bytes: UInt32, to transfer: inout Transfer) {
        guard bytes > 0 else { return }
        statistics.budgetBytes = Int(bytes)
        transfer.setBudget(bytes, waitForPeerDone: role == .listener)
    }

    /// A dialer that read past its own budget stops: an honest listener stays within it,
    /// and the handshake alone may not fit a budget set too small. Nil while within it.
    func budgetOverrun() -> SessionFailure? {
        let budget = role == .dialer ? Int(settings.budgetBytes) : 0
        let used = statistics.bytesSent + statistics.bytesReceived
        guard budget > 0, used > budget else { return nil }
        if case .established = state {
            return SessionFailure(.unexpectedMessage, "the peer sent past this session's budget of \(budget) bytes (\(used) so far); "
                                      + "what was acknowledged is stored")
        }
        return SessionFailure(.unexpectedMessage, "the handshake alone took \(used) bytes, more than the budget of \(budget): "
                                  + "give a larger --budget")
    }

    /// A dialer under a budget sends its own events first: what the peer lacks of them
    /// exists nowhere else, what it lacks of other nodes' can come from any peer.
    func ownFirst(_ plan: MissingPlan) -> MissingPlan {
        guard role == .dialer, settings.budgetBytes > 0 else { return plan }
        let own = summaries.local.node
        var ordered = plan
        ordered.ranges = plan.ranges.filter { $0.node == own } + plan.ranges.filter { $0.node != own }
        ordered.branchEvents = plan.branchEvents.filter { $0.dot.node == own } + plan.branchEvents.filter { $0.dot.node != own }
        return ordered
    }

    /// What the peer holds as the session knows it now: its latest SUMMARY brought forward
    /// with every event it acknowledged or sent. After a budgeted session, what is left
    /// either way is measured against it.
    public var peerHoldingsNow: CompactSummary? { summaries.peerHoldings }
}
