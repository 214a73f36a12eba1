import CarnetCore
import CarnetWire

/// What lets a signed sender end a granted part where it ends (SPEC 8.3 rule 8, 9.4),
/// handed to the send queue with the part: the kept heads captured when the part was
/// offered or granted, and the events after which the peer holds the next event (its
/// GRANT said so), where the peer vouches for the run with a head it kept.
struct SignedCuts: Sendable {
    var heads: [SignedHead] = []
    var continues: [EventID] = []

    var isEmpty: Bool { heads.isEmpty && continues.isEmpty }
}

/// The grant-aware cut of a signed ledger (SPEC 8.3 rule 8, "A signed sender's cut").
/// A sender in a signed ledger can end a run of another node's events only at a head it
/// kept, or right before an event the peer holds (9.4); without grants it extends a run
/// that ends elsewhere to the head above it. With grants those events were not granted:
/// another session of the peer may be bringing them, and the receiver refuses them. So a
/// signed sender offers ranges that end where it can cut, and sends of each granted part
/// only what ends at such a point; the rest waits (`parked`) for a later GRANT.
extension GrantGate {
    /// Where this side may end a run after an event.
    enum CutPoint {
        /// Nowhere: neither its own event, nor a kept head, nor before an event the peer holds.
        case nowhere
        /// Its own node's event: it signs a head wherever it cuts.
        case own
        /// A head it kept (captured now, should the store's head book drop it later).
        case head(SignedHead)
        /// The peer holds the next event (a GRANT's held part): the peer vouches.
        case peerContinues
    }

    mutating func cutPoint(after event: Event, heads: HeadSource, read: ChainReader?) -> CutPoint {
        if event.dot.node == heads.own() { return .own }
        if let head = cutHeads[event.id] { return .head(head) }
        if let head = heads.head(event.id) {
            cutHeads[event.id] = head
            return .head(head)
        }
        return peerHoldsSuccessor(of: event, read: read) ? .peerContinues : .nowhere
    }

    /// True when a GRANT's held part showed the peer holds the event after `event`: the
    /// lowest of the part (`continuesAfter`, any branch), or within a held tip on this
    /// side's first branch (`event` on that branch too).
    func peerHoldsSuccessor(of event: Event, read: ChainReader?) -> Bool {
        if continuesAfter.contains(event.id) { return true }
        guard let read else { return false }
        let node = event.dot.node
        let next = event.dot.seq + 1
        return (heldTips[node.high] ?? []).contains { tip in
            tip.first <= next && next <= tip.seq
                && read(node, tip.seq, 1)?.first?.hash.w0 == tip.hash
                && read(node, next, 1)?.first?.previous == event.hash
                && read(node, event.dot.seq, 1)?.first?.id == event.id
        }
    }

    /// A plan and events to offer, each range reaching a point where this side may cut: a
    /// first-branch range or a run of events that ends elsewhere takes the events up to the
    /// lowest head kept above it (`HeadSource.extend`), so that whatever the peer grants
    /// of it whole ends at a head. One with no head above stays as it is (a grant of its
    /// end then waits in `parked` until the peer holds what follows), and so does another
    /// branch offered again after a GRANT (`otherBranchEnds`): extended, it would reach
    /// the seqs the peer claims on its own branch again.
    mutating func reachingCuts(_ plan: MissingPlan, _ events: [Event], heads: HeadSource, read: ChainReader?)
        -> (MissingPlan, [Event]) {
        var plan = plan
        var events = events
        var known = Set((plan.branchEvents + events).map(\.id))
        let unextended = otherBranchEnds
        otherBranchEnds = []
        // What follows each parked part, up to the head above it: granted, it lets the part
        // end at that head; held (the peer has it, perhaps waiting for the part), it lets the
        // part end before it. Without it a peer that holds the next event waiting would never
        // say so, since no range of this side's offers reaches it (the signed simulation's
        // seed 100096, a farm restored from a backup).
        let parkedEnds = parked.plan.ranges.compactMap { read?($0.node, $0.through, 1)?.first }
            + BundlePlan.chains(parked.events).compactMap(\.last)
        for end in parkedEnds {
            guard let more = extensionToCut(after: end, heads: heads, read: read) else { continue }
            for event in more where known.insert(event.id).inserted { events.append(event) }
        }
        for index in plan.ranges.indices where plan.ranges[index].count > 0 {
            let range = plan.ranges[index]
            guard !unextended.contains(Dot(node: range.node, seq: range.through)),
                  let last = read?(range.node, range.through, 1)?.first,
                  case .nowhere = cutPoint(after: last, heads: heads, read: read),
                  let more = extensionToCut(after: last, heads: heads, read: read) else { continue }
            let count = more.count
            if let chained = read?(range.node, range.through + UInt64(count), count), chained.map(\.id) == more.map(\.id) {
                plan.ranges[index].through += UInt64(count)
            } else {
                for event in more where known.insert(event.id).inserted { events.append(event) }
            }
        }
        for run in BundlePlan.chains(plan.branchEvents + events) {
            guard let last = run.last, !unextended.contains(last.dot), case .nowhere = cutPoint(after: last, heads: heads, read: read),
                  let more = extensionToCut(after: last, heads: heads, read: read) else { continue }
            for event in more where known.insert(event.id).inserted { events.append(event) }
        }
        return (plan, events)
    }

    /// The events after `event` on its chain up to the first point where this side may
    /// cut: the lowest head kept above it (`HeadSource.extend`), or an event before it
    /// after which the peer holds the next. Stopping at the latter matters: events the
    /// peer holds, offered again, come back as held, and a part of another branch the
    /// peer claims on its own would be offered with them for ever (the signed
    /// simulation's seed 100133). Nil when no head lies above.
    mutating func extensionToCut(after event: Event, heads: HeadSource, read: ChainReader?) -> [Event]? {
        guard let more = heads.extend(event.id) else { return nil }
        for (index, next) in more.events.enumerated().dropLast() {
            if case .nowhere = cutPoint(after: next, heads: heads, read: read) { continue }
            return Array(more.events.prefix(index + 1))
        }
        cutHeads[more.head.eventID] = more.head
        return more.events
    }

    /// What of a granted plan and events, with what waited from earlier grants, may go
    /// now: each first-branch range and each run cut back to the last point where this
    /// side may end it. The rest waits in `parked`; the cuts say what ends each part.
    mutating func cutAtSignedPoints(_ plan: MissingPlan, _ events: [Event], heads: HeadSource, read: ChainReader?)
        -> (plan: MissingPlan, events: [Event], cuts: SignedCuts) {
        var cuts = SignedCuts()
        var go = MissingPlan()
        var goEvents: [Event] = []
        var waiting = (plan: MissingPlan(), events: [Event]())
        func record(_ point: CutPoint, _ event: Event) {
            switch point {
            case let .head(head): cuts.heads.append(head)
            case .peerContinues: cuts.continues.append(event.id)
            case .own, .nowhere: break
            }
        }
        // A parked part and a newly granted part that follows it end together.
        for range in Self.joined(parked.plan.ranges + plan.ranges) {
            var end = range.through
            var found = false
            while end > range.after, let event = read?(range.node, end, 1)?.first {
                let point = cutPoint(after: event, heads: heads, read: read)
                if case .nowhere = point {
                    end -= 1
                } else {
                    record(point, event)
                    found = true
                    break
                }
            }
            if !found { end = range.after }
            if end > range.after { go.ranges.append(ChainRange(node: range.node, after: range.after, through: end)) }
            if end < range.through { waiting.plan.ranges.append(ChainRange(node: range.node, after: end, through: range.through)) }
        }
        for run in BundlePlan.chains(parked.events + plan.branchEvents + events) {
            var end = run.count
            while end > 0 {
                let point = cutPoint(after: run[end - 1], heads: heads, read: read)
                if case .nowhere = point {
                    end -= 1
                } else {
                    record(point, run[end - 1])
                    break
                }
            }
            goEvents += run.prefix(end)
            waiting.events += run.suffix(from: end)
        }
        parked = waiting
        // Heads captured for this offer have gone to the queue with their parts; a parked
        // part looks for its cut again at the next GRANT.
        cutHeads = [:]
        return (go, goEvents, cuts)
    }

    /// The seqs a parked plan and events stand for, as ranges.
    static func cover(_ parked: (plan: MissingPlan, events: [Event])) -> [GrantRange] {
        parked.plan.ranges.filter { $0.count > 0 }.map { GrantRange(node: $0.node.high, first: $0.after + 1, last: $0.through) }
            + (parked.plan.branchEvents + parked.events).map { GrantRange(node: $0.dot.node.high, first: $0.dot.seq, last: $0.dot.seq) }
    }

    /// First-branch ranges sorted, those of one node that overlap or touch joined.
    static func joined(_ ranges: [ChainRange]) -> [ChainRange] {
        var result: [ChainRange] = []
        for range in ranges.filter({ $0.count > 0 }).sorted(by: { ($0.node, $0.after) < ($1.node, $1.after) }) {
            if let last = result.last, last.node == range.node, range.after <= last.through {
                result[result.count - 1].through = max(last.through, range.through)
            } else {
                result.append(range)
            }
        }
        return result
    }
}
