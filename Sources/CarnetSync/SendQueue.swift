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

    /// The peer stored these events: they need no more guarding against a second send.
    mutating func acknowledged(_ events: [Event]) {
        for event in events { queued.remove(event.id) }
        if queued.isEmpty { queued = [] }  // give back a grown table's memory
    }

    /// Events queued and not yet acknowledged (what a live session retains).
    var retainedCount: Int { queued.count + (outbox.count - outboxStart) }

    /// Queues what a plan says the peer lacks.
    mutating func enqueue(_ plan: MissingPlan) {
        ranges += plan.ranges
        enqueue(plan.branchEvents)
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
    mutating func nextBatch(read: ChainReader?, peerHolds: (Event) -> Bool = { _ in false })
        -> (events: [Event], plain: Bool, encoded: [UInt8]?)? {
        retries.removeAll { refusedNodes.contains($0.events[0].dot.node) }
        if !retries.isEmpty {
            let retry = retries.removeFirst()
            return (retry.events, retry.plain, nil)
        }
        // Gather candidates without committing, so that what the byte limit cuts off stays
        // queued exactly where it was.
        var events: [Event] = []
        var taken = takenThrough
        var scan = rangeIndex
        while events.count < settings.batchEvents, scan < ranges.count, let read {
            let range = ranges[scan]
            let start = max(range.after, taken[range.node] ?? 0)
            guard !refusedNodes.contains(range.node), start < range.through else {
                scan += 1
                continue
            }
            let count = min(settings.batchEvents - events.count, Int(range.through - start))
            guard let chunk = read(range.node, start + UInt64(count), count), chunk.count == count else {
                scan += 1  // the store no longer holds that chain (a fork revealed): skip
                continue
            }
            events += chunk.filter { !queued.contains($0.id) && !peerHolds($0) && Self.acceptable($0) }
            taken[range.node] = start + UInt64(count)
            if start + UInt64(count) >= range.through { scan += 1 }
        }
        let fromRanges = events.count
        var positions: [Int] = []
        var index = outboxStart
        var held: [Int] = []
        while index < outbox.count, events.count < settings.batchEvents {
            let event = outbox[index]
            if refusedNodes.contains(event.dot.node) || !Self.acceptable(event) {
                // Skipped for good.
            } else if peerHolds(event) {
                held.append(index)
            } else {
                events.append(event)
                positions.append(index)
            }
            index += 1
        }
        // Queued events the peer holds by now are dropped, as if sent and acknowledged.
        for position in held { queued.remove(outbox[position].id) }
        guard !events.isEmpty else {
            rangeIndex = scan
            compactOutbox()
            return nil
        }
        // Shrink in proportion until the encoding fits; a single event always fits
        // (strings are bounded). Batches stay close to the byte limit, which is what keeps
        // a slow link full with few batches in flight.
        let gathered = events.count
        // The receiver refuses a batch past the canonical size limit (SPEC §3.2).
        events.removeLast(events.count - EventBatch.countWithinCanonicalLimit(events))
        var encoded = EventBatch.encode(events)
        while events.count > 1, encoded.count > settings.batchBytes {
            let keep = max(1, min(events.count - 1, Int(Double(events.count) * Double(settings.batchBytes) / Double(encoded.count) * 0.97)))
            events.removeLast(events.count - keep)
            encoded = EventBatch.encode(events)
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
        return (events, false, encoded)
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
