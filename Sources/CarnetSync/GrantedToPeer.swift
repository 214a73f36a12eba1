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

    /// Why a batch is not acceptable under the grants, or nil: it carries an event this
    /// side did not grant. In a signed ledger too (SPEC 8.3 rule 8): a signed sender ends
    /// each granted part where it can cut, and never extends it to a head with events no
    /// grant named, which another session of this node may be bringing.
    func refusal(of batch: SignedEvents) -> String? {
        for event in batch.events where !covers(event) {
            return "the peer sent \(event.dot), which this side did not grant it"
        }
        return nil
    }
}
