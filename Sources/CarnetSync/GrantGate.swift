import CarnetCore
import CarnetWire

/// The sender's side of grants (SPEC 8.3 rule 8): in a session with grants in force,
/// nothing reaches the send queue before the peer granted it. What this side would send
/// (plans, news, relays) waits here, goes out as one OFFER at a time, and on the GRANT the
/// granted part goes to the queue; the rest is dropped, since the peer holds it or
/// another of its sessions brings it. A live session offers it again later (the driver's
/// relay delay), planned anew against what the peer holds by then.
/// Every field states its invariant.
struct GrantGate: Sendable {
    /// Grants are in force in this session (both sides set their handshake bit). When
    /// false, nothing waits here.
    var inForce = false
    /// What waits for the next OFFER.
    private var waitingPlan = MissingPlan()
    private var waitingEvents: [Event] = []
    /// The OFFER sent and not yet answered, with what it stands for: at most one.
    private var offered: (plan: MissingPlan, events: [Event], ranges: [GrantRange])?
    /// Per node prefix, the ranges the peer said it holds (in a GRANT), each named by its
    /// last event (seq, hash prefix): it holds those seqs of this side's chain when the
    /// event is this side's, and they are not offered again in this session. Only those
    /// seqs: a run the peer holds waiting for a predecessor says nothing of the seqs below
    /// it (taken as held, they were never offered, and the peer waited for good).
    var heldTips: [UInt64: [HeldTip]] = [:]
    /// Signed ledgers: the kept heads this side may cut a granted part at, captured when
    /// the range was offered or granted (the store's head book may drop a kept head once
    /// a higher one of its bucket arrives, and the part must still end where it was
    /// promised). Emptied at each GRANT, once its parts went to the queue with their heads.
    var cutHeads: [EventID: SignedHead] = [:]
    /// Signed ledgers: parts the peer granted that this side cannot send yet, because no
    /// point where it may cut lies at their end (no kept head there, and the peer is not
    /// known to hold the next event): sending them would need events up to a head above,
    /// which the peer did not grant (SPEC 8.3 rule 8). They wait here for a later GRANT
    /// to say the peer holds what follows them, or to grant what follows up to a head.
    var parked = (plan: MissingPlan(), events: [Event]())
    /// Signed ledgers: where ranges of another branch end that a GRANT's held parts showed
    /// (a fork the peer's chain does not show), offered again at once and not extended.
    var otherBranchEnds = Set<Dot>()
    /// Signed ledgers: events of this side whose successor a GRANT's held part showed the
    /// peer holds (the lowest event of each held part of this side's chains or branches):
    /// a run may end after them.
    var continuesAfter = Set<EventID>()

    struct HeldTip {
        var first: UInt64
        var seq: UInt64
        var hash: UInt64
    }

    /// Nothing waits to be offered and no OFFER awaits its GRANT: DONE may go.
    var isIdle: Bool { offered == nil && waitingPlan.isEmpty && waitingEvents.isEmpty }

    /// An OFFER was sent and not answered.
    var awaitingGrant: Bool { offered != nil }

    mutating func hold(_ plan: MissingPlan) {
        waitingPlan.ranges += plan.ranges
        waitingPlan.branchEvents += plan.branchEvents
    }

    mutating func hold(_ events: [Event]) {
        waitingEvents += events
    }

    /// Reads first-branch events: `count` events of a node ending at a seq.
    typealias ChainReader = (_ node: NodeID, _ endSeq: UInt64, _ count: Int) -> [Event]?

    /// The next OFFER's ranges, when none is outstanding and something waits that the peer
    /// has not said it holds; nil otherwise. What the ranges cover is now offered. `read`
    /// gives the last event of each first-branch range, whose hash the OFFER names.
    ///
    /// In a signed ledger (`heads`), each range ends where this side may cut a batch: a
    /// range that would end elsewhere is extended to the lowest head kept above it.
    mutating func nextOffer(read: ChainReader?, heads: HeadSource? = nil) -> [GrantRange]? {
        guard offered == nil, !(waitingPlan.isEmpty && waitingEvents.isEmpty) else { return nil }
        var plan = trimmed(waitingPlan, read: read)
        var events = waitingEvents.filter { !peerHolds($0, read: read) }
        if let heads { (plan, events) = reachingCuts(plan, events, heads: heads, read: read) }
        (waitingPlan, waitingEvents) = (MissingPlan(), [])
        var ranges = Self.ranges(of: plan, events, read: read)
        guard !ranges.isEmpty else { return nil }  // the peer holds all of it
        if ranges.count > GrantRanges.maxRanges {
            // What lies past `maxRanges` waits for the next OFFER.
            ranges = Array(ranges.prefix(GrantRanges.maxRanges))
            let rest = Self.split(plan, events, by: ranges).outside
            (waitingPlan, waitingEvents) = (rest.plan, rest.events)
        }
        let inside = Self.split(plan, events, by: ranges).inside
        offered = (inside.plan, inside.events, ranges)
        return ranges
    }

    /// The peer's GRANT for the outstanding OFFER: what may go now (to the send queue), and
    /// whether some of it was refused for a reason other than the peer holding it (it is
    /// being brought by another of the peer's sessions, which may yet be cut).
    ///
    /// In a signed ledger (`heads`), what may go is cut back to points where this side
    /// may end a batch's run (`cutAtSignedPoints`), with the heads and the peer's holdings
    /// that let it end there (`cuts`); the rest of the grant waits (`parked`) and counts as
    /// refused, so that a live session offers again and learns what the peer holds by then.
    mutating func granted(_ granted: [GrantRange], held: [GrantRange], read: ChainReader?, heads: HeadSource? = nil)
        -> Result<(plan: MissingPlan, events: [Event], refusedSome: Bool, cuts: SignedCuts), SessionFailure> {
        guard let offer = offered else {
            return .failure(SessionFailure(.unexpectedMessage, "the peer sent a GRANT without an OFFER to answer"))
        }
        offered = nil
        // A held range is this side's chain when its last event is this side's (named by
        // the peer's hash): the plan's first-branch seqs when that event is on the first
        // branch, and the offered events on its chain. Anything else at those seqs is
        // another branch (a fork the peer's chain does not show), offered again at once:
        // it ends below the peer's held seq, so the peer grants it.
        var nodes: [UInt64: NodeID] = [:]
        for range in offer.plan.ranges { nodes[range.node.high] = range.node }
        let offeredEvents = offer.plan.branchEvents + offer.events
        for event in offeredEvents { nodes[event.dot.node.high] = event.dot.node }
        let byID = Dictionary(offeredEvents.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var firstBranchHeld: [GrantRange] = []
        var heldEvents = Set<EventID>()
        for range in held {
            guard let node = nodes[range.node] else { continue }
            var tip: Event?
            if let chained = read?(node, range.last, 1)?.first, chained.hash.w0 == range.lastHash {
                firstBranchHeld.append(range)
                tip = chained
            }
            tip = tip ?? offeredEvents.first { $0.dot.node == node && $0.dot.seq == range.last && $0.hash.w0 == range.lastHash }
            guard var event = tip else { continue }
            heldTips[range.node, default: []].append(HeldTip(first: range.first, seq: range.last, hash: range.lastHash))
            var lowest = event
            while event.dot.seq >= range.first {
                heldEvents.insert(event.id)
                lowest = event
                let before = EventID(dot: Dot(node: node, seq: event.dot.seq - 1), hash: event.previous)
                guard event.dot.seq > 1, let previous = byID[before] ?? read?(node, before.dot.seq, 1)?.first, previous.id == before else {
                    break
                }
                event = previous
            }
            // The peer holds the event after this one: a signed run may end here (9.4).
            if heads != nil, lowest.dot.seq > 1 {
                continuesAfter.insert(EventID(dot: Dot(node: node, seq: lowest.dot.seq - 1), hash: lowest.previous))
            }
        }
        let (inside, outside) = Self.split(offer.plan, offer.events, by: granted)
        var firstBranch = outside.plan
        firstBranch.branchEvents = []
        var plan = Self.split(firstBranch, [], by: firstBranchHeld).outside.plan
        plan.branchEvents = outside.plan.branchEvents.filter { !heldEvents.contains($0.id) }
        let events = outside.events.filter { !heldEvents.contains($0.id) }
        // Seqs the peer holds on another branch than this side's: offered again now.
        let (otherBranch, refused) = Self.split(plan, events, by: held)
        hold(otherBranch.plan)
        hold(otherBranch.events)
        if heads != nil {
            // Offered again as they are: extended to a head above, they would again name
            // seqs the peer claims on its own branch, and be answered as now, for ever.
            for range in otherBranch.plan.ranges where range.count > 0 {
                otherBranchEnds.insert(Dot(node: range.node, seq: range.through))
            }
            for run in BundlePlan.chains(otherBranch.plan.branchEvents + otherBranch.events) {
                if let last = run.last { otherBranchEnds.insert(last.dot) }
            }
        }
        guard let heads else {
            return .success((inside.plan, inside.events, !(refused.plan.isEmpty && refused.events.isEmpty), SignedCuts()))
        }
        // A re-offer names what waits here too: the peer granted it before (to this
        // session, so it does not grant it again), which is no refusal.
        let unrefused = Self.split(refused.plan, refused.events, by: Self.cover(parked)).outside
        let cut = cutAtSignedPoints(inside.plan, inside.events, heads: heads, read: read)
        let refusedSome = !(unrefused.plan.isEmpty && unrefused.events.isEmpty) || !(parked.plan.isEmpty && parked.events.isEmpty)
        return .success((cut.plan, cut.events, refusedSome, cut.cuts))
    }

    // MARK: - What the peer said it holds

    /// True when a held tip shows the peer holds `event`: the tip is the event, or lies
    /// after it on this side's first branch, within the range the peer said it holds.
    private func peerHolds(_ event: Event, read: ChainReader?) -> Bool {
        (heldTips[event.dot.node.high] ?? []).contains { tip in
            if tip.seq == event.dot.seq { return tip.hash == event.hash.w0 }
            guard tip.seq > event.dot.seq, tip.first <= event.dot.seq, let read else { return false }
            return read(event.dot.node, tip.seq, 1)?.first?.hash.w0 == tip.hash
                && read(event.dot.node, event.dot.seq, 1)?.first?.id == event.id
        }
    }

    /// A plan less the seqs of this side's first branch the peer said it holds.
    private func trimmed(_ plan: MissingPlan, read: ChainReader?) -> MissingPlan {
        var plan = plan
        plan.branchEvents.removeAll { peerHolds($0, read: read) }
        guard let read else { return plan }
        plan.ranges = plan.ranges.flatMap { range -> [ChainRange] in
            let held = (heldTips[range.node.high] ?? []).filter { tip in
                tip.seq > range.after && tip.first <= range.through && read(range.node, tip.seq, 1)?.first?.hash.w0 == tip.hash
            }
            guard !held.isEmpty else { return range.count > 0 ? [range] : [] }
            let whole = GrantRange(node: range.node.high, first: range.after + 1, last: range.through)
            return Self.subtract(held.map { $0.first...$0.seq }, from: whole)
                .map { ChainRange(node: range.node, after: $0.first - 1, through: $0.last) }
        }
        return plan
    }

    // MARK: - Ranges

    /// The ranges that cover a plan and events, each naming its last event's hash prefix:
    /// first-branch ranges as they are (their last event read), events as runs that
    /// follow one another on a chain.
    static func ranges(of plan: MissingPlan, _ events: [Event], read: ChainReader?) -> [GrantRange] {
        var ranges: [GrantRange] = plan.ranges.filter { $0.count > 0 }.map {
            GrantRange(node: $0.node.high, first: $0.after + 1, last: $0.through,
                       lastHash: read?($0.node, $0.through, 1)?.first?.hash.w0 ?? 0)
        }
        var byNode: [NodeID: [Event]] = [:]
        for event in plan.branchEvents + events { byNode[event.dot.node, default: []].append(event) }
        for (node, nodeEvents) in byNode {
            var runs: [[Event]] = []
            for event in nodeEvents.sorted(by: { ($0.dot.seq, $0.hash.w0) < ($1.dot.seq, $1.hash.w0) }) {
                if let index = runs.firstIndex(where: { $0.last!.dot.seq + 1 == event.dot.seq && event.previous == $0.last!.hash }) {
                    runs[index].append(event)
                } else if !runs.contains(where: { $0.contains { $0.id == event.id } }) {
                    runs.append([event])
                }
            }
            ranges += runs.map { GrantRange(node: node.high, first: $0[0].dot.seq, last: $0.last!.dot.seq, lastHash: $0.last!.hash.w0) }
        }
        return ranges.sorted()
    }

    /// `range` less the seqs of `taken`.
    static func subtract(_ taken: [ClosedRange<UInt64>], from range: GrantRange) -> [GrantRange] {
        var pieces: [GrantRange] = []
        var next = range.first
        for seqs in taken.sorted(by: { $0.lowerBound < $1.lowerBound }) where seqs.upperBound >= next && seqs.lowerBound <= range.last {
            if seqs.lowerBound > next { pieces.append(GrantRange(node: range.node, first: next, last: seqs.lowerBound - 1)) }
            next = max(next, seqs.upperBound + 1)
            if next > range.last { return pieces }
        }
        if next <= range.last { pieces.append(GrantRange(node: range.node, first: next, last: range.last)) }
        return pieces
    }

    /// Per node prefix, the seqs `ranges` cover (whatever their kind): a grant covers a seq
    /// of a node on any branch.
    static func cover(_ ranges: [GrantRange]) -> [UInt64: [ClosedRange<UInt64>]] {
        var cover: [UInt64: [ClosedRange<UInt64>]] = [:]
        for range in ranges { cover[range.node, default: []].append(range.first...range.last) }
        return cover
    }

    /// A plan and events cut in two: what `ranges` cover, and the rest.
    static func split(_ plan: MissingPlan, _ events: [Event], by ranges: [GrantRange])
        -> (inside: (plan: MissingPlan, events: [Event]), outside: (plan: MissingPlan, events: [Event])) {
        let cover = cover(ranges)
        func covered(_ event: Event) -> Bool {
            cover[event.dot.node.high]?.contains { $0.contains(event.dot.seq) } ?? false
        }
        var inside = MissingPlan(), outside = MissingPlan()
        for range in plan.ranges where range.count > 0 {
            let whole = GrantRange(node: range.node.high, first: range.after + 1, last: range.through)
            let left = subtract(cover[whole.node] ?? [], from: whole)
            for piece in left { outside.ranges.append(ChainRange(node: range.node, after: piece.first - 1, through: piece.last)) }
            for piece in subtract(left.map { $0.first...$0.last }, from: whole) {
                inside.ranges.append(ChainRange(node: range.node, after: piece.first - 1, through: piece.last))
            }
        }
        inside.branchEvents = plan.branchEvents.filter(covered)
        outside.branchEvents = plan.branchEvents.filter { !covered($0) }
        return ((inside, events.filter(covered)), (outside, events.filter { !covered($0) }))
    }
}
