import CarnetCore

/// Where a sender finds the signatures its batches must carry in a signed ledger: a batch
/// may only end a run of a node's events where a head of that node vouches for it.
///
/// Two questions, because one is cheap and one is not: the node's own events can be signed
/// at any point (it holds the key), so a sender cuts them anywhere and signs only where it
/// did cut; other nodes' events can only be cut where a head was kept.
public struct HeadSource: Sendable {
    /// The node whose events this side signs itself (it changes when the node continues
    /// under a new id).
    public var own: @Sendable () -> NodeID
    /// A signature over the held chain ending at this event: kept, or made now for an own
    /// event; nil when there is none.
    public var head: @Sendable (EventID) -> SignedHead?
    /// The events after this one on its chain up to the lowest head kept above it, and that
    /// head; nil when there is none.
    public var extend: @Sendable (EventID) -> (events: [Event], head: SignedHead)?

    public init(own: @escaping @Sendable () -> NodeID, head: @escaping @Sendable (EventID) -> SignedHead?,
                extend: @escaping @Sendable (EventID) -> (events: [Event], head: SignedHead)? = { _ in nil }) {
        self.own = own
        self.head = head
        self.extend = extend
    }

    /// Whether a batch may cut a run right after `id`: an own event, a kept head, or an
    /// event whose successor the peer holds or gets first (`peerContinues`: it was left
    /// out of the batch for that reason). In that last case the peer vouches for the run
    /// with a head it kept itself: it stores nothing without one above.
    func mayCut(after id: EventID, peerContinues: Set<EventID> = []) -> Bool {
        id.dot.node == own() || peerContinues.contains(id) || head(id) != nil
    }

    /// The longest prefix of `events` (in batch order) whose every run ends where a head
    /// vouches for it, and those heads. A run is a stretch of one node's consecutive,
    /// chained events, as the batch encoder forms them.
    func signedPrefix(of events: [Event], peerContinues: Set<EventID> = []) -> (count: Int, heads: [SignedHead]) {
        var good = 0
        var index = 0
        while index < events.count {
            let event = events[index]
            let endsRun = index + 1 == events.count || !events[index + 1].follows(event)
            if mayCut(after: event.id, peerContinues: peerContinues) {
                good = index + 1
            } else if endsRun {
                break
            }
            index += 1
        }
        var heads: [SignedHead] = []
        for (position, event) in events.prefix(good).enumerated() {
            let endsRun = position + 1 == good || !events[position + 1].follows(event)
            if endsRun, let head = head(event.id) { heads.append(head) }
        }
        return (good, heads)
    }

    /// The shortest prefix a batch may be cut to: through the first point of its first run
    /// where a head vouches for it; nil when there is none.
    func firstCut(in events: [Event], peerContinues: Set<EventID> = []) -> Int? {
        for (index, event) in events.enumerated() {
            if mayCut(after: event.id, peerContinues: peerContinues) { return index + 1 }
            if index + 1 < events.count, !events[index + 1].follows(event) { return nil }
        }
        return nil
    }
}
