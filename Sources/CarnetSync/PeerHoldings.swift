import CarnetCore
import CarnetWire

/// What a session knows the peer holds: its latest SUMMARY, brought forward with every
/// event the peer proved it holds since (it acknowledged it, or sent it). A live session
/// runs for weeks on one summary; without this, a plan made after a fork, or a check of
/// news, would take the peer for what it was when the session began and send again
/// everything it got since.
extension CompactSummary {
    /// This summary with `events` held too, in the order given (causal order within a
    /// batch), as far as they are provably part of the peer's history: an event whose
    /// predecessor is one of the peer's heads replaces it, the first event of a node the
    /// peer had nothing of starts a head. Any other is left out (an event behind a head
    /// adds nothing; listed as a head of its own it would hide that single head from the
    /// news check, as the simulation's seed 107603 showed): a peer acknowledges (and pushes as news) events it
    /// holds aside, waiting for a predecessor, and a head the peer does not have in its
    /// history would make this side prime a batch with a context the peer lacks, which
    /// the peer refuses, stopping that node for the rest of the session. (Found by the
    /// simulation, seed 885: a continuing node's link event was lost to a cut, its next
    /// events waited on the farm, the hub took them for held and primed against them.)
    func holding(_ events: [Event]) -> CompactSummary {
        guard !events.isEmpty else { return self }
        // Only the batch's nodes are looked at and changed: a peer may hold 60,000.
        var byNode: [UInt64: Entry] = [:]
        for event in events {
            let node = event.dot.node.high, seq = event.dot.seq
            let head = Head(seq: seq, hash: event.hash.w0)
            var entry = byNode[node] ?? self[node] ?? Entry(node: node, seq: 0, heads: [])
            if entry.heads.contains(head) { continue }
            let predecessor = Head(seq: seq - 1, hash: event.previous.w0)
            if let index = entry.heads.firstIndex(of: predecessor) {
                entry.heads.remove(at: index)
            } else if !(seq == 1 && event.previous == .zero && entry.heads.isEmpty) {
                continue
            }
            entry.heads.append(head)
            entry.heads.sort()
            entry.seq = max(entry.seq, seq)
            byNode[node] = entry
        }
        return replacing(byNode)
    }
}

extension Session {
    /// True when the peer's holdings show it holds `event`: the event is
    /// one of its heads, or the peer has a single head for the node, after the event, and
    /// the event is on this side's first branch, which reaches that head or stops short of
    /// it. In the second case the peer is ahead on that node: its chain passes through the
    /// event unless the node forked, and then the peer's own plan sends its branch here,
    /// which reveals the fork and makes this side re-offer (`Session.persisted`). Anything
    /// less certain (several heads, a head this side's chain contradicts) counts as not
    /// held: sending an event twice costs bytes, never correctness.
    static func peer(_ summary: CompactSummary, holds event: Event, context: ContextProvider) -> Bool {
        peer(summary, holds: event, context: context, pastThisSidesBranch: true)
    }

    /// The certain part of `peer(_:holds:context:)`: the event is one of the peer's heads,
    /// or this side's first branch runs through the event to the peer's single head (same
    /// hash, so the same chain). It never counts an event held because the peer is ahead
    /// of this side's branch: once this side knows of a fork, the events it queued of the
    /// other branch are exactly those, and the peer lacks them. Checked on queued events
    /// just before they are sent (`SendQueue.nextBatch`).
    static func peer(_ summary: CompactSummary, surelyHolds event: Event, context: ContextProvider) -> Bool {
        peer(summary, holds: event, context: context, pastThisSidesBranch: false)
    }

    private static func peer(_ summary: CompactSummary, holds event: Event, context: ContextProvider,
                             pastThisSidesBranch: Bool) -> Bool {
        guard let entry = summary[event.dot.node.high] else { return false }
        if entry.heads.contains(Head(seq: event.dot.seq, hash: event.hash.w0)) { return true }
        guard entry.heads.count == 1, let head = entry.heads.first, head.seq > event.dot.seq,
              context(event.dot.node, event.dot.seq, 1)?.first?.id == event.id else { return false }
        guard let ours = context(event.dot.node, head.seq, 1)?.first else { return pastThisSidesBranch }
        return ours.hash.w0 == head.hash
    }

    private typealias Head = CompactSummary.Head
}
