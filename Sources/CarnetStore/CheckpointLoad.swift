import CarnetCore
import CarnetSystem

/// Takes a checkpoint's events into a replica a few chunks at a time, so that opening a
/// store holds a few chunks of decoded events at once, never the whole history.
///
/// Each group of chunks is decoded (on every core), then its events are admitted in file
/// order, as an open that decoded every event first admitted them. A store that keeps its
/// chains cold then lets every first-branch event the chunks read so far reach without a
/// gap leave memory (`CheckpointChains`), before the next group is decoded: at ten million
/// events, `serve`'s open peaked at every event decoded (8 GB) although it settled at half
/// that. Admission never reads a cold event (it needs a chain's last event, which stays,
/// and hashes), so the order of events and what each admission does are unchanged.
///
/// The signed heads are kept once every event is in: `SignedHeadBook.keep` judges a head
/// against the history as it is, so they are judged against the whole checkpoint, as they
/// were, and a warm open and a cold one keep the same heads. Their events are found by
/// hash prefix (`Replica.keepOwn`): this store kept them over events it held.
///
/// A chunk that does not decode throws, and the caller drops the replica it was filling:
/// nothing of a damaged checkpoint is half taken in.
struct CheckpointLoad {
    /// Chunks decoded at once: twice two cores' worth, some 65,000 events.
    static let chunksAtOnce = 4

    let stamp: LogStamp
    /// Events taken from the checkpoint.
    let eventCount: Int
    /// In a cold load, where each first branch lies in the checkpoint: the source its
    /// chains went cold in.
    let chains: CheckpointChains?
    /// The most events held in memory at once while loading: the replica's (accepted or
    /// waiting, not cold) after a chunk was admitted, plus those of its group still to
    /// admit. What shows that a cold load holds a few chunks, not the history.
    let peakEventsInMemory: Int

    /// Admits every event of `reader`'s checkpoint into `replica` (which holds nothing
    /// yet), `chunksAtOnce` chunks decoded at a time, cooling the chains after each chunk
    /// when `keepingChainsCold` (and the checkpoint is a file to read them back from).
    init(_ reader: CheckpointReader, into replica: inout Replica, keepingChainsCold: Bool,
         chunksAtOnce: Int = Self.chunksAtOnce) throws(Checkpoint.Problem) {
        let file = keepingChainsCold ? reader.file : nil
        var locator = CheckpointChains.Locator()
        var source: CheckpointChains?
        var heads: [SignedHead] = []
        var peak = 0
        var first = 0
        while first < reader.chunks.count {
            let group = first..<Swift.min(reader.chunks.count, first + chunksAtOnce)
            var decoded = try reader.decode(chunks: group)
            var waiting = decoded.reduce(0) { $0 + $1.events.count }
            for offset in decoded.indices {
                // Taken out of the group, so that its events leave memory once admitted
                // and cooled, not when the whole group is done.
                let signed = decoded[offset]
                decoded[offset] = SignedEvents(events: [])
                replica.admit(contentsOf: signed.events)
                heads += signed.heads
                waiting -= signed.events.count
                peak = Swift.max(peak, Self.eventsInMemory(replica.history) + waiting)
                guard let file else { continue }
                Self.locate(signed.events, chunk: group.lowerBound + offset, in: replica.history, into: &locator)
                let chains = CheckpointChains(file: file, chunks: reader.chunks, located: locator)
                replica.keepChainsCold(in: chains, upTo: chains.reach(of:))
                source = chains
            }
            first = group.upperBound
        }
        replica.keepOwn(heads)
        stamp = reader.stamp
        eventCount = reader.eventCount
        chains = file.map { source ?? CheckpointChains(file: $0, chunks: reader.chunks, located: locator) }
        peakEventsInMemory = peak
    }

    /// Events `history` holds in memory: accepted or waiting, and not cold.
    static func eventsInMemory(_ history: History) -> Int {
        history.count + history.pendingCount - history.coldCount
    }

    /// Notes where the events of chunk `chunk` that lie on their node's first branch are.
    /// An event admitted on the first branch stays there (chains only grow); one that
    /// waits, or lies on another branch, is left out and stays in memory.
    private static func locate(_ events: [Event], chunk: Int, in history: History, into locator: inout CheckpointChains.Locator) {
        for (index, event) in events.enumerated() where history.chainContains(event.id) {
            locator.note(event.id, chunk: chunk, index: index)
        }
    }
}
