import CarnetCore
import CarnetLedger
import CarnetTestKit
import Synchronization
import Testing

/// A fold over a history that keeps its chains cold (`carnet serve`'s store) makes the
/// views a warm fold and a full recomputation make, and reads back again only the entries
/// its conflicts did not show before.
@Suite("Cold fold")
struct ColdFoldTests {
    /// Every first branch as a warm replica holds it, counting the events read back.
    final class CountingChains: ColdChainSource {
        struct NotHeld: Error {}
        let chains: [NodeID: [Event]]
        let reads = Mutex(0)

        init(_ replica: Replica) {
            chains = Dictionary(uniqueKeysWithValues: replica.history.nodeIDs.map { node in
                (node, replica.history.chainEvents(of: node, after: 0, max: Int.max))
            })
        }

        func chainEvents(of node: NodeID, seqs: ClosedRange<UInt64>) throws -> [Event] {
            guard let chain = chains[node], seqs.upperBound <= UInt64(chain.count) else {
                throw NotHeld()
            }
            reads.withLock { $0 += seqs.count }
            return Array(chain[Int(seqs.lowerBound - 1)..<Int(seqs.upperBound)])
        }

        var eventsRead: Int { reads.withLock { $0 } }
    }

    @Test("cold, the folded views equal the warm fold's and a full recomputation, and a second making reads back no entry again",
          arguments: [UInt64(0xC0F0_0001), 0xC0F0_0002, 0xC0F0_0003, 0xC0F0_0004])
    func coldEqualsWarm(seed: UInt64) throws {
        let history = RandomHistory(seed: seed, nodes: 3, steps: 160)
        let cut = history.events.count * 2 / 3
        var warm = Replica(node: NodeID.derived(from: "reader"))
        warm.admit(contentsOf: Array(history.events[..<cut]))
        var cold = warm
        let source = CountingChains(warm)
        cold.keepChainsCold(in: source)
        #expect(cold.history.coldCount > 0, "seed \(seed): nothing was kept out of memory")

        var warmFold = LedgerFold()
        var coldFold = LedgerFold()
        let full = LedgerViews(replica: warm)
        let warmViews = LedgerViews(replica: warm, fold: &warmFold)
        let coldViews = LedgerViews(replica: cold, fold: &coldFold)
        #expect(full.conflicts.contains { $0.kind != .field && $0.kind != .fork && !$0.sides.isEmpty },
                "seed \(seed): no conflict shows an entry; the test shows nothing")
        #expect(coldViews == warmViews, "seed \(seed): cold differs in \(coldViews.differences(from: warmViews))")
        #expect(coldViews == full, "seed \(seed): cold differs from a recomputation in \(coldViews.differences(from: full))")
        #expect(source.eventsRead > 0, "seed \(seed)")
        #expect(coldFold.conflictSideCount > 0, "seed \(seed)")

        // Nothing new: the entries the ledger's conflicts show were kept, and only a fork's
        // sides are read back: `Conflicts.forkReport` reads a side's clock, and `forks` reads
        // the first branch's side and the event before it for their whole hashes (memory
        // keeps a cold event's first 8 bytes): three events a side at most.
        let before = source.eventsRead
        let forkSides = full.conflicts.filter { $0.kind == .fork }.reduce(0) { $0 + $1.sides.count }
        #expect(LedgerViews(replica: cold, fold: &coldFold) == full, "seed \(seed)")
        #expect(source.eventsRead - before <= 3 * forkSides,
                "seed \(seed): \(source.eventsRead - before) events read back again, \(forkSides) fork sides")

        // The rest arrives (kept in memory, as a store keeps what came after its checkpoint):
        // the conflicts change, and the views still equal a recomputation.
        for event in history.events[cut...] {
            _ = warm.admit(event)
            _ = cold.admit(event)
        }
        let later = LedgerViews(replica: cold, fold: &coldFold)
        let laterFull = LedgerViews(replica: warm)
        #expect(later == laterFull, "seed \(seed): after the rest, cold differs in \(later.differences(from: laterFull))")
        #expect(LedgerViews(replica: warm, fold: &warmFold) == laterFull, "seed \(seed)")
    }
}
