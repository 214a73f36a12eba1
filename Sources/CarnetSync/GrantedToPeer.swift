import CarnetCore
import CarnetWire

/// The receiver's side of grants in one session (SPEC 8.3 rule 8): what this side granted
/// its peer, so that EVENTS carrying anything else are refused (`malformed`): a sender
/// that ignored its grants would bring events another session is bringing, and the bound
/// of one copy per event would hold only by courtesy. Every field states its invariant.
struct GrantedToPeer: Sendable {
    /// Per node prefix, the seqs granted in this session (on any branch).
    private var granted: [UInt64: [ClosedRange<UInt64>]] = [:]
    /// The peer's OFFER went to the driver and its GRANT has not been sent: a second OFFER
    /// before it is out of order.
    var deciding = false

    mutating func add(_ ranges: [GrantRange]) {
        for range in ranges { granted[range.node, default: []].append(range.first...range.last) }
    }

    func covers(_ event: Event) -> Bool {
        granted[event.dot.node.high]?.contains { $0.contains(event.dot.seq) } ?? false
    }

    /// Why a batch is not acceptable under the grants, or nil. In a signed ledger a batch
    /// may end a node's run with events up to the signed head that vouches for them (SPEC
    /// 9.4: a sender that cannot cut a run where it ends extends it to its head), which no
    /// grant names: ungranted events are taken there, as the end of their node's run.
    func refusal(of batch: SignedEvents) -> String? {
        var ungrantedSeen = Set<NodeID>()
        for event in batch.events {
            if covers(event) {
                if ungrantedSeen.contains(event.dot.node) {
                    return "the peer sent \(event.dot) after an event of its node it was not granted"
                }
                continue
            }
            if batch.heads.isEmpty { return "the peer sent \(event.dot), which this side did not grant it" }
            ungrantedSeen.insert(event.dot.node)
        }
        return nil
    }
}
