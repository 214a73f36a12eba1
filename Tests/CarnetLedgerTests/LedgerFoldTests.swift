import CarnetCore
import CarnetLedger
import CarnetTestKit
import Testing

/// The views kept as events arrive (`LedgerFold`) against the views computed from every
/// event at once (`LedgerState`): equal after every delivery, whatever its order,
/// duplication or grouping, with forks, voids before their targets, and conflicts.
@Suite("Ledger fold")
struct LedgerFoldTests {
    @Test("folded in random chunks, the views equal a full recomputation after every chunk")
    func equalAfterEveryChunk() {
        let base = testSeed(default: 0xF01D_0001)
        for offset in 0..<120 as Range<UInt64> {
            let seed = base &+ offset
            let history = RandomHistory(seed: seed, nodes: 2 + Int(offset % 4), steps: 40 + Int(offset % 70))
            var rng = SplitMix64(seed: seed ^ 0xC4)
            var replica = Replica(node: NodeID.derived(from: "reader"))
            var fold = LedgerFold()
            var pending = history.events.shuffled(using: &rng)
            // Some events twice, later: a duplicate must change nothing.
            pending += pending.filter { _ in Int.random(in: 0..<5, using: &rng) == 0 }
            while !pending.isEmpty {
                let chunk = pending.prefix(Int.random(in: 1...9, using: &rng))
                pending.removeFirst(chunk.count)
                replica.admit(contentsOf: Array(chunk))
                let kept = LedgerViews(replica: replica, fold: &fold)
                let full = LedgerViews(replica: replica)
                #expect(kept == full, "seed \(seed): after \(replica.eventCount) events the folded views differ in \(kept.differences(from: full))")
                if kept != full { return }
            }
        }
    }

    @Test("replicas that met different peers and then merged fold to the same views")
    func groupedDelivery() {
        let base = testSeed(default: 0xF01D_0002)
        for offset in 0..<60 as Range<UInt64> {
            let seed = base &+ offset
            let history = RandomHistory(seed: seed, nodes: 3, steps: 90)
            var rng = SplitMix64(seed: seed)
            var parts: [Replica] = []
            var remaining = history.events.shuffled(using: &rng)
            while !remaining.isEmpty {
                let group = remaining.prefix(Int.random(in: 1...20, using: &rng))
                remaining.removeFirst(group.count)
                var part = Replica(node: NodeID(using: &rng))
                part.admit(contentsOf: Array(group))
                parts.append(part)
            }
            var merged = Replica(node: NodeID.derived(from: "reader"))
            var fold = LedgerFold()
            for part in parts {
                merged.merge(with: part)
                fold.catchUp(with: merged)
            }
            let kept = LedgerViews(replica: merged, fold: &fold)
            let full = LedgerViews(replica: merged)
            #expect(kept == full, "seed \(seed): the folded views differ in \(kept.differences(from: full))")
        }
    }

    @Test("a void that arrives before its entry, and one after, leave the same stock and balances")
    func voidBeforeOrAfter() throws {
        let farm = NodeID.derived(from: "farm"), hub = NodeID.derived(from: "hub")
        var writer = Replica(node: farm)
        let harvest = writer.write(.append(LedgerEntry(id: "h1", kind: .harvest, producer: "col", date: CalendarDay(daysSinceEpoch: 20_600),
                                                       product: "P1", quantity: 10_000, unit: .grams, lot: "L1").coreEntry),
                                   wallMillis: 1_790_000_000_000)
        let sale = writer.write(.append(LedgerEntry(id: "s1", kind: .sale, producer: "col", date: CalendarDay(daysSinceEpoch: 20_600),
                                                    product: "P1", quantity: 3_000, unit: .grams, lot: "L1", party: "cantine",
                                                    amount: 1_050).coreEntry),
                                wallMillis: 1_790_000_001_000)
        var voider = Replica(node: hub)
        voider.admit(contentsOf: [harvest, sale])
        let void = voider.write(.append(LedgerEntry(id: "v1", kind: .reversal, producer: "col", date: CalendarDay(daysSinceEpoch: 20_600),
                                                    ref: "s1").coreEntry),
                                wallMillis: 1_790_000_002_000)
        for order in [[harvest, sale, void], [void, harvest, sale], [harvest, void, sale]] {
            var replica = Replica(node: NodeID.derived(from: "reader"))
            var fold = LedgerFold()
            for event in order {
                replica.admit(event)
                fold.catchUp(with: replica)
            }
            #expect(fold.stock().map(\.quantity) == [10_000], "the voided sale still moves stock")
            #expect(fold.balances().isEmpty, "the voided sale is still owed")
            #expect(LedgerViews(replica: replica, fold: &fold) == LedgerViews(replica: replica))
        }
    }
}

@Suite("Ids as bytes")
struct ExactIDTests {
    @Test("two spellings of one word are two entries: no duplicate, and a void of one leaves the other")
    func spellingsAreDistinct() {
        let composed = "vente-\u{E9}", decomposed = "vente-e\u{301}"
        #expect(composed == decomposed, "Swift's == takes them for one string: the case this test is about")
        var writer = Replica(node: NodeID.derived(from: "farm"))
        let day = CalendarDay(daysSinceEpoch: 20_600)
        var events: [Event] = []
        for (index, id) in [composed, decomposed].enumerated() {
            events.append(writer.write(.append(LedgerEntry(id: id, kind: .harvest, producer: "col", date: day, product: "P1",
                                                           quantity: 1_000, unit: .grams, lot: "L1").coreEntry),
                                       wallMillis: 1_790_000_000_000 + UInt64(index)))
        }
        events.append(writer.write(.append(LedgerEntry(id: "void-1", kind: .reversal, producer: "col", date: day,
                                                       ref: decomposed).coreEntry), wallMillis: 1_790_000_000_010))
        for order in [events, events.reversed()] {
            var replica = Replica(node: NodeID.derived(from: "reader"))
            replica.admit(contentsOf: order)
            let state = LedgerState(replica: replica)
            #expect(state.records(withID: composed).count == 1 && state.records(withID: decomposed).count == 1)
            #expect(state.domainConflicts().isEmpty, "\(state.domainConflicts().map(\.summary))")
            #expect(state.stock().map(\.quantity) == [1_000], "the void of one spelling voided both")
            var fold = LedgerFold()
            #expect(LedgerViews(replica: replica, fold: &fold) == LedgerViews(replica: replica, ledger: state))
        }
    }
}
