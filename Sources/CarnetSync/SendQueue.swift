import CarnetCore
import CarnetWire

/// What this side has yet to send the peer, in order: ranges of first branches (from
/// offered plans, read from the store batch by batch, so a session never holds what it has
/// yet to send), events queued one by one (branch events, news), and retries of batches
/// the peer refused. It cuts batches to the session's limits and never sends an event twice
/// while the first is unacknowledged. Every field states its invariant.
struct SendQueue: Sendable {
    /// Its limits: `batchEvents` and `batchBytes`.
    let settings: SessionSettings
    /// Ranges of first branches still to send (from offered plans), in order.
    private var ranges: [ChainRange] = []
    private var rangeIndex = 0
    /// Per node, the first-branch seq up to which events were taken from ranges: a later
    /// plan (after a re-summary) does not send them again.
    private var takenThrough: [NodeID: UInt64] = [:]
    /// Per node, the highest first-branch seq of any range queued in this session.
    private var plannedThrough: [NodeID: UInt64] = [:]
    /// Events queued one by one (branch events, live pushes), in the order offered.
    private var outbox: [Event] = []
    private var outboxStart = 0
    /// Events queued one by one, or sent from ranges, and not yet acknowledged: such an
    /// event is not queued or read from a range again (news and a plan made after a fork
    /// can name the same events). Acknowledged ones are forgotten, so that a live session
    /// that runs for weeks does not keep an id of every event it ever pushed: by then the
    /// peer's holdings say the peer holds them.
    private var queued = Set<EventID>()
    /// Nodes whose batch the peer refused: none of their events is sent again here.
    private(set) var refusedNodes = Set<NodeID>()
    /// Events of a refused batch to send again: a primed batch's as they were but plain; a
    /// batch of several nodes' one node per group, so that a refusal names one node.
    private var retries: [(events: [Event], plain: Bool)] = []
    /// Grants are in force (SPEC 8.3 rule 8): a signed batch is never extended past what
    /// was granted to reach a head (`HeadSource.extend`); granted parts end where this side
    /// may cut (`GrantGate.cutAtSignedPoints`).
    var grantsInForce = false
    /// Signed ledgers with grants: the kept heads that end granted parts, captured when the
    /// parts were offered (the store may drop a kept head later), until their event is
    /// acknowledged.
    private var grantedCutHeads: [EventID: SignedHead] = [:]
    /// Signed ledgers with grants: events after which the peer holds the next event (its
    /// GRANT said so), where a granted part may end (SPEC 9.4), until acknowledged.
    private var peerContinuesAfter = Set<EventID>()

    init(settings: SessionSettings) {
        self.settings = settings
    }

    var isEmpty: Bool { outboxStart == outbox.count && retries.isEmpty && rangeIndex == ranges.count }

    /// The peer refused `events`: a single node's are never sent again in this session;
    /// several nodes' are retried one node per batch.
    mutating func refused(_ events: [Event], wasPrimed: Bool) {
        if wasPrimed {
            // The peer could not use the context: the same events, plain.
            retries.append((events, true))
            return
        }
        let nodes = Set(events.map(\.dot.node))
        if nodes.count == 1 {
            refusedNodes.formUnion(nodes)
            retries.removeAll { refusedNodes.contains($0.events[0].dot.node) }
            return
        }
        var groups: [NodeID: [Event]] = [:]
        for event in events where !refusedNodes.contains(event.dot.node) { groups[event.dot.node, default: []].append(event) }
        retries += groups.keys.sorted().map { (groups[$0]!, true) }
    }

    /// What lets granted parts end where they end (signed ledgers with grants).
    mutating func allowCuts(_ cuts: SignedCuts) {
        for head in cuts.heads { grantedCutHeads[head.eventID] = head }
        peerContinuesAfter.formUnion(cuts.continues)
    }

    /// The peer stored these events: they need no more guarding against a second send.
    mutating func acknowledged(_ events: [Event]) {
        for event in events { queued.remove(event.id) }
        if !(grantedCutHeads.isEmpty && peerContinuesAfter.isEmpty) {
            for event in events {
                grantedCutHeads[event.id] = nil
                peerContinuesAfter.remove(event.id)
            }
        }
        if queued.isEmpty { queued = [] }  // give back a grown table's memory
    }

    /// Events queued and not yet acknowledged (what a live session retains).
    var retainedCount: Int { queued.count + (outbox.count - outboxStart) }

    /// Queues what a plan says the peer lacks.
    mutating func enqueue(_ plan: MissingPlan) {
        ranges += plan.ranges
        for range in plan.ranges { plannedThrough[range.node] = max(plannedThrough[range.node] ?? 0, range.through) }
        enqueue(plan.branchEvents)
    }

    /// Queues what the peer granted (SPEC 8.3 rule 8). Ranges are read in order, each from
    /// the highest seq taken of its node, so a granted range below a range of its node
    /// queued before it (the part of an earlier offer that another of the peer's sessions
    /// was bringing, granted here once that session ended) would never be read: such a
    /// range is read now and queued as events (what is in flight or acknowledged is
    /// skipped as ever: `queued`, `peerHolds`). Such re-grants are what another session
    /// failed to bring, a few batches, so holding them does not grow with the ledger.
    mutating func enqueueGranted(_ plan: MissingPlan, read: ChainReader?) {
        var inOrder = plan
        inOrder.ranges = []
        for range in plan.ranges {
            if range.after < (plannedThrough[range.node] ?? 0) {
                let count = Int(min(range.count, UInt64(Int.max)))
                enqueue(read?(range.node, range.through, count) ?? [])
            } else {
                inOrder.ranges.append(range)
            }
        }
        enqueue(inOrder)
    }

    /// Queues events one by one, those not queued before in this session.
    mutating func enqueue(_ events: [Event]) {
        for event in events where !refusedNodes.contains(event.dot.node) && queued.insert(event.id).inserted {
            outbox.append(event)
        }
    }

    /// Reads first-branch events from the store: `count` events of a node ending at a seq.
    typealias ChainReader = (_ node: NodeID, _ endSeq: UInt64, _ count: Int) -> [Event]?

    /// The next batch to send: up to `batchEvents` events and `batchBytes` encoded bytes,
    /// from the ranges first (read through `read`), then the queued events; skipping nodes
    /// the peer refused, and events `peerHolds` says the peer holds by now. A plan or a
    /// piece of news can wait behind a full window for a while on a slow link, and the peer
    /// may send the same events meanwhile (it learned them elsewhere): checked when queued
    /// only, they would go back to it (found by the simulation's soak, seed 350326).
    /// Returns the batch's events, whether they must go plain (a retry), and their plain
    /// encoding when it was made here (measuring the batch), so it is not made twice. The
    /// caller numbers the batch.
    ///
    /// In a signed ledger (`heads`), a batch ends each run where a head vouches for it: it is
    /// cut back to the longest such prefix (never below the first such point of its first
    /// run, whatever its size), and the heads go with it.
    ///
    /// `byteLimit` lowers the byte limit for this batch (a session under a budget, with
    /// less room left than a whole batch).
    mutating func nextBatch(read: ChainReader?, heads source: HeadSource? = nil, peerHolds: (Event) -> Bool = { _ in false },
                            byteLimit: Int? = nil)
        -> (events: [Event], plain: Bool, encoded: [UInt8]?, heads: [SignedHead]?)? {
        let source = grantsInForce ? source.map(grantedSource) : source
        retries.removeAll { refusedNodes.contains($0.events[0].dot.node) }
        if !retries.isEmpty {
            let retry = retries.removeFirst()
            return (retry.events, retry.plain, nil, source.map { $0.signedPrefix(of: retry.events).heads })
        }
        // Gather candidates without committing, so that what the byte limit cuts off stays
        // queued exactly where it was. In a signed ledger, a first run that holds no signed
        // point within the limit (a relay keeps its heads sparse, and the peer's batches may
        // have been larger than this session's) is gathered further, the limit doubling,
        // until it reaches one: a batch no signature covers would only be refused.
        var limit = settings.batchEvents
        var gathering = gather(limit: limit, read: read, peerHolds: peerHolds)
        while let source, source.firstCut(in: gathering.events, peerContinues: gathering.peerContinues) == nil,
              gathering.events.count >= limit,
              limit < settings.batchEvents * 1_024 {
            limit *= 2
            gathering = gather(limit: limit, read: read, peerHolds: peerHolds)
        }
        var events = gathering.events
        let (taken, scan, fromRanges, positions, held) = (gathering.taken, gathering.scan, gathering.fromRanges,
                                                          gathering.positions, gathering.held)
        // Queued events the peer holds by now are dropped, as if sent and acknowledged.
        for position in held { queued.remove(outbox[position].id) }
        guard !events.isEmpty else {
            rangeIndex = scan
            compactOutbox()
            return nil
        }
        return commit(events: &events, gathered: events.count, taken: taken, fromRanges: fromRanges,
                      positions: positions, source: source, peerContinues: gathering.peerContinues,
                      byteLimit: min(settings.batchBytes, byteLimit ?? .max))
    }

    /// With grants in force, the heads captured for granted parts before the store's, and
    /// no extension past what was granted: a run that cannot end goes without a head and
    /// the peer refuses that batch, rather than taking events no grant named.
    private func grantedSource(_ source: HeadSource) -> HeadSource {
        let captured = grantedCutHeads
        return HeadSource(own: source.own, head: { id in captured[id] ?? source.head(id) }, extend: { _ in nil })
    }

    /// What `nextBatch` would send with at most `limit` events, without changing the queue.
    /// `peerContinues` names the events whose successor was left out because the peer holds
    /// it or gets it in an earlier batch: a run may end there (`HeadSource.mayCut`).
    private func gather(limit: Int, read: ChainReader?, peerHolds: (Event) -> Bool)
        -> (events: [Event], taken: [NodeID: UInt64], scan: Int, fromRanges: Int, positions: [Int], held: [Int],
            peerContinues: Set<EventID>) {
        var peerContinues = peerContinuesAfter
        func leftOut(_ event: Event) {
            if event.dot.seq > 1 {
                peerContinues.insert(EventID(dot: Dot(node: event.dot.node, seq: event.dot.seq - 1), hash: event.previous))
            }
        }
        var events: [Event] = []
        var taken = takenThrough
        var scan = rangeIndex
        while events.count < limit, scan < ranges.count, let read {
            let range = ranges[scan]
            let start = max(range.after, taken[range.node] ?? 0)
            guard !refusedNodes.contains(range.node), start < range.through else {
                scan += 1
                continue
            }
            let count = min(limit - events.count, Int(range.through - start))
            guard let chunk = read(range.node, start + UInt64(count), count), chunk.count == count else {
                scan += 1  // the store no longer holds that chain (a fork revealed): skip
                continue
            }
            for event in chunk {
                guard Self.acceptable(event) else { continue }  // past the per-event limit: never sent
                if !queued.contains(event.id) && !peerHolds(event) { events.append(event) } else { leftOut(event) }
            }
            taken[range.node] = start + UInt64(count)
            if start + UInt64(count) >= range.through { scan += 1 }
        }
        let fromRanges = events.count
        var positions: [Int] = []
        var index = outboxStart
        var held: [Int] = []
        while index < outbox.count, events.count < limit {
            let event = outbox[index]
            if refusedNodes.contains(event.dot.node) || !Self.acceptable(event) {
                // Skipped for good.
            } else if peerHolds(event) {
                held.append(index)
                leftOut(event)
            } else {
                events.append(event)
                positions.append(index)
            }
            index += 1
        }
        return (events, taken, scan, fromRanges, positions, held, peerContinues)
    }

    /// Cuts the gathered batch to the byte limit (and in a signed ledger to its signed
    /// points), then commits what it kept: ranges read, outbox events taken.
    private mutating func commit(events: inout [Event], gathered: Int, taken: [NodeID: UInt64], fromRanges: Int,
                                 positions: [Int], source: HeadSource?, peerContinues: Set<EventID>, byteLimit: Int)
        -> (events: [Event], plain: Bool, encoded: [UInt8]?, heads: [SignedHead]?) {
        // Shrink in proportion until the encoding fits; a single event always fits
        // (strings are bounded). Batches stay close to the byte limit, which is what keeps
        // a slow link full with few batches in flight. The shortest batch allowed: one
        // event, or in a signed ledger through the first signed point. Should the first run
        // hold none even gathered further (its events came covered by a head above them that
        // this session already sent, or that came before them and waited), the batch is cut
        // to that run, which is extended up to the head above it: those few events go again.
        var extended: (events: [Event], head: SignedHead)?
        if let source, !events.isEmpty, source.firstCut(in: events, peerContinues: peerContinues) == nil {
            let run = 1 + (events.indices.dropLast().firstIndex { !events[$0 + 1].follows(events[$0]) } ?? events.count - 1)
            if let more = source.extend(events[run - 1].id) {
                events.removeLast(events.count - run)
                extended = more
            }
        }
        let minimum = extended != nil ? events.count
            : source.map { $0.firstCut(in: events, peerContinues: peerContinues) ?? events.count } ?? 1
        if let source {
            events.removeLast(events.count - max(minimum, source.signedPrefix(of: events, peerContinues: peerContinues).count))
        }
        // The receiver refuses a batch past the canonical size limit (SPEC §3.2).
        if extended == nil {
            events.removeLast(events.count - max(min(minimum, events.count), EventBatch.countWithinCanonicalLimit(events)))
            if let source {
                events.removeLast(events.count - max(min(minimum, events.count),
                                                     source.signedPrefix(of: events, peerContinues: peerContinues).count))
            }
        }
        var encoded = EventBatch.encode(events)
        while events.count > minimum, encoded.count > byteLimit {
            let keep = max(minimum, min(events.count - 1, Int(Double(events.count) * Double(byteLimit) / Double(encoded.count) * 0.97)))
            events.removeLast(events.count - keep)
            if let source {
                events.removeLast(events.count - max(minimum, source.signedPrefix(of: events, peerContinues: peerContinues).count))
            }
            encoded = EventBatch.encode(events)
        }
        var heads: [SignedHead]?
        if let extended {
            heads = [extended.head]
            encoded = EventBatch.encode(SignedEvents(events: events + extended.events, heads: heads!))
        } else if let source {
            heads = source.signedPrefix(of: events, peerContinues: peerContinues).heads
            encoded = EventBatch.encode(SignedEvents(events: events, heads: heads!))
        }
        // Commit what the batch kept. Whole, it took every range read (events skipped as
        // already sent included); cut by bytes, up to its last event of each node.
        if events.count == gathered {
            takenThrough.merge(taken) { max($0, $1) }
        }
        for event in events.prefix(fromRanges) {
            takenThrough[event.dot.node] = max(takenThrough[event.dot.node] ?? 0, event.dot.seq)
            queued.insert(event.id)
        }
        while rangeIndex < ranges.count {
            let range = ranges[rangeIndex]
            guard refusedNodes.contains(range.node) || (takenThrough[range.node] ?? 0) >= range.through else { break }
            rangeIndex += 1
        }
        let keptFromOutbox = events.count - min(events.count, fromRanges)
        if keptFromOutbox > 0 { outboxStart = positions[keptFromOutbox - 1] + 1 }
        return (events + (extended?.events ?? []), false, encoded, heads)
    }

    /// False for an event above the per-event canonical limit (SPEC §3.2), held from
    /// before the limit: every peer refuses a batch holding it, so it is never sent.
    static func acceptable(_ event: Event) -> Bool {
        event.canonicalSize <= WireLimits.maxEventCanonicalBytes
    }

    private mutating func compactOutbox() {
        outbox.removeAll(keepingCapacity: false)
        outboxStart = 0
    }
}
