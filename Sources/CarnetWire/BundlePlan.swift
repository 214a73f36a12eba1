import CarnetCore

/// How a bundle of a signed ledger is laid out: events in chains, each piece of a chain
/// ending at a signed point, and chunks that end only at such points.
///
/// Why: a signed node refuses any event no signature covers (`SignedChains`). A chunk cut
/// in the middle of a chain, past its last signed point, would hold events that only the
/// next chunk's head vouches for; cut at signed points, every chunk is a batch a node can
/// verify on its own, as over the wire (protocol/SPEC.md §3.4, §6.4).
public enum BundlePlan {
    /// `events` in chains (nodes by id, each node's events by seq, a fork's branches one
    /// after the other), each chain cut into pieces of at most `BundleFormat.chunkEvents`
    /// events and the canonical size limit that end at an event `headAt` signs, with those
    /// heads. `uncovered`: events after a chain's last signed point, which no signed node
    /// would take (left out, and counted for the person).
    public static func signedOrder(_ events: [Event], headAt: (EventID) -> SignedHead?)
        -> (events: [Event], heads: [SignedHead], uncovered: [Event]) {
        var ordered: [Event] = []
        var heads: [SignedHead] = []
        var uncovered: [Event] = []
        ordered.reserveCapacity(events.count)
        for chain in chains(events) {
            var start = 0
            while start < chain.count {
                var size = 0
                var end = start
                while end < chain.count, end - start < BundleFormat.chunkEvents {
                    size += chain[end].canonicalSize
                    if size > WireLimits.maxBatchCanonicalBytes, end > start { break }
                    end += 1
                }
                // The highest signed point of the piece, searched downwards: a node's own
                // events are signed at the first try, another's kept heads lie at most
                // about 2,048 seqs apart (`SignedHeadBook`).
                var cut: (index: Int, head: SignedHead)?
                var candidate = end - 1
                while candidate >= start, cut == nil {
                    if let head = headAt(chain[candidate].id) { cut = (candidate, head) }
                    candidate -= 1
                }
                guard let cut else {
                    uncovered += chain[start...]
                    break
                }
                ordered += chain[start...cut.index]
                heads.append(cut.head)
                start = cut.index + 1
            }
        }
        return (ordered, heads, uncovered)
    }

    /// The chunks of a bundle: at most `BundleFormat.chunkEvents` events and the canonical
    /// size limit each, and, when there are heads, ending only after an event a head signs
    /// (or at the last event). A piece longer than a chunk (made by hand, never by
    /// `signedOrder`) becomes one chunk whole, which the reader's limits then judge.
    public static func chunks(_ events: [Event], heads: [SignedHead]) -> [SignedEvents] {
        var headAt: [EventID: SignedHead] = [:]
        for head in heads where headAt[head.eventID] == nil { headAt[head.eventID] = head }
        var chunks: [SignedEvents] = []
        var start = 0
        while start < events.count {
            var size = 0
            var lastCut: Int?
            var index = start
            while index < events.count, index - start < BundleFormat.chunkEvents {
                size += events[index].canonicalSize
                if size > WireLimits.maxBatchCanonicalBytes, index > start { break }
                if headAt.isEmpty || headAt[events[index].id] != nil || index == events.count - 1 { lastCut = index }
                index += 1
            }
            let end = lastCut ?? (events[start...].firstIndex { headAt[$0.id] != nil } ?? events.count - 1)
            let chunk = Array(events[start...end])
            var seen = Set<EventID>()
            let chunkHeads = chunk.compactMap { event in seen.insert(event.id).inserted ? headAt[event.id] : nil }
            chunks.append(SignedEvents(events: chunk, heads: chunkHeads))
            start = end + 1
        }
        return chunks
    }

    /// Each node's events (nodes by id) as chains: by seq, an event joining the chain whose
    /// last event it follows (same node, next seq, its hash as `previous`), else starting
    /// one. Duplicates are dropped. Ties on seq (a fork's branches) break on the whole hash,
    /// a total order, so the chains come out the same whatever order `events` came in.
    ///
    /// Public because a live session's grant gate (`GrantGate`, CarnetSync) needs the same
    /// chains to find where a signed batch may be cut: one function, so that a bundle and a
    /// session cut a signed ledger's events alike.
    public static func chains(_ events: [Event]) -> [[Event]] {
        var seen = Set<EventID>()
        var byNode: [NodeID: [Event]] = [:]
        for event in events where seen.insert(event.id).inserted { byNode[event.dot.node, default: []].append(event) }
        var chains: [[Event]] = []
        for node in byNode.keys.sorted() {
            let sorted = byNode[node]!.sorted { ($0.dot.seq, $0.hash) < ($1.dot.seq, $1.hash) }
            var open: [EventID: Int] = [:]  // the last event of a chain → its index
            var mine: [[Event]] = []
            for event in sorted {
                let before = EventID(dot: Dot(node: node, seq: event.dot.seq &- 1), hash: event.previous)
                if let index = open.removeValue(forKey: before) {
                    mine[index].append(event)
                    open[event.id] = index
                } else {
                    open[event.id] = mine.count
                    mine.append([event])
                }
            }
            chains += mine
        }
        return chains
    }
}
