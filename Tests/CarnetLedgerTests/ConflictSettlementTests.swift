import CarnetCore
import CarnetLedger
import CarnetTestKit
import Testing

/// Issue 21, item 1: every conflict kind can be settled by an auditable event, and the
/// verdict is the same whatever order the events arrive in. A void naming one event of a
/// shared id cancels that entry only; a review settles a conflict while it saw every side
/// the conflict has, and a new side, or a void of the review, opens it again.
@Suite("Settling conflicts")
struct ConflictSettlementTests {
    static let day = CalendarDay(daysSinceEpoch: 20_600)
    static let t0: UInt64 = 1_780_000_000_000

    static func harvest(_ id: String, _ grams: Int64) -> LedgerEntry {
        LedgerEntry(id: id, kind: .harvest, producer: "col", date: day, product: "miel", quantity: grams, unit: .grams, lot: "L1")
    }

    static func review(_ id: String, of report: ConflictReport, sides: [SHA256Digest]? = nil) -> LedgerEntry {
        LedgerEntry(id: id, kind: .review, producer: "", date: day, ref: report.id,
                    sides: sides ?? report.sides.map(\.event.hash), note: "vu")
    }

    /// Every event of the replicas, delivered to fresh readers in shuffled orders: the
    /// conflicts and the views are the same each time, and the fold agrees.
    static func expectSameEverywhere(_ replicas: [Replica], seed: UInt64, sourceLocation: SourceLocation = #_sourceLocation) -> [ConflictReport] {
        var events: [Event] = []
        for replica in replicas { replica.history.forEachEvent { events.append($0) } }
        var rng = SplitMix64(seed: seed)
        var first: LedgerViews?
        for round in 0..<12 {
            var reader = Replica(node: NodeID.derived(from: "reader"))
            var fold = LedgerFold()
            for event in events.shuffled(using: &rng) {
                reader.admit(event)
                if round % 3 == 0 { fold.catchUp(with: reader) }
            }
            let full = LedgerViews(replica: reader)
            let kept = LedgerViews(replica: reader, fold: &fold)
            #expect(kept == full, "seed \(seed) round \(round): fold differs in \(kept.differences(from: full))", sourceLocation: sourceLocation)
            if let first { #expect(full == first, "seed \(seed) round \(round): another order gave other views", sourceLocation: sourceLocation) }
            first = first ?? full
        }
        return first?.conflicts ?? []
    }

    @Test func aVoidNamingOneEventOfASharedIDCancelsThatEntryOnly() {
        var a = Replica(node: NodeID.derived(from: "a"))
        let backup = a
        let kept = a.write(.append(Self.harvest("h-1", 500).coreEntry), wallMillis: Self.t0)
        var restored = backup
        let twice = restored.write(.append(Self.harvest("h-1", 700).coreEntry), wallMillis: Self.t0 + 10)
        a.merge(with: restored)
        let before = Conflicts.all(replica: a)
        #expect(Set(before.map(\.kind)) == [.fork, .duplicateEntry])

        let target = LedgerState(replica: a).records(withID: "h-1").first { $0.event == twice.id }!
        a.write(.append(target.entry.reversal(id: "r-1", date: Self.day, reason: "twice", event: twice.id.hash).coreEntry),
                wallMillis: Self.t0 + 20)
        let state = LedgerState(replica: a)
        #expect(state.stock().map(\.quantity) == [500], "only the 700 g entry is cancelled")
        #expect(state.voidingReversal(of: state.records(withID: "h-1").first { $0.event == kept.id }!) == nil)
        let conflicts = Self.expectSameEverywhere([a], seed: 1)
        #expect(conflicts.map(\.kind) == [.fork], "the duplicate closes; the fork stays until reviewed")

        // A whole-id reversal would have cancelled both: the old rule, unchanged.
        var b = backup
        b.merge(with: a)
        let whole = LedgerState(replica: b).records(withID: "h-1")[0].entry.reversal(id: "r-2", date: Self.day, reason: "all")
        b.write(.append(whole.coreEntry), wallMillis: Self.t0 + 30)
        #expect(LedgerState(replica: b).stock().isEmpty, "no entry left in the lot")
    }

    @Test func aReviewSettlesAForkUntilANewSideArrives() {
        var a = Replica(node: NodeID.derived(from: "a"))
        a.write(.append(Self.harvest("h-0", 100).coreEntry), wallMillis: Self.t0)
        let backup = a
        a.write(.append(Self.harvest("h-1", 500).coreEntry), wallMillis: Self.t0 + 1)
        var restored = backup
        restored.write(.append(Self.harvest("h-2", 700).coreEntry), wallMillis: Self.t0 + 2)
        var hub = Replica(node: NodeID.derived(from: "hub"))
        hub.merge(with: a)
        hub.merge(with: restored)
        let fork = try! #require(Conflicts.all(replica: hub).first { $0.kind == .fork })
        #expect(fork.suggestion.contains("carnet resolve \(fork.id) --reviewed"), "\(fork.suggestion)")

        // Fewer sides than the fork has settle nothing.
        var partial = hub
        partial.write(.append(Self.review("v-0", of: fork, sides: [fork.sides[0].event.hash]).coreEntry), wallMillis: Self.t0 + 3)
        #expect(Conflicts.all(replica: partial).contains { $0.id == fork.id })

        hub.write(.append(Self.review("v-1", of: fork).coreEntry), wallMillis: Self.t0 + 4)
        #expect(Self.expectSameEverywhere([hub, a, restored], seed: 2).isEmpty)
        #expect(LedgerState(replica: hub).stock().map(\.quantity) == [1300], "a review moves nothing: both branches count")

        // A third branch at the same seq is a side the review never saw.
        var third = backup
        third.write(.append(Self.harvest("h-3", 900).coreEntry), wallMillis: Self.t0 + 5)
        var later = hub
        later.merge(with: third)
        let reopened = Conflicts.all(replica: later).filter { $0.kind == .fork }
        #expect(reopened.count == 1 && reopened[0].sides.count == 3)

        // Voiding the review opens it again too.
        var unreviewed = hub
        let review = LedgerState(replica: hub).records(withID: "v-1")[0]
        unreviewed.write(.append(review.entry.reversal(id: "r-v", date: Self.day, reason: "too quick").coreEntry), wallMillis: Self.t0 + 6)
        #expect(Conflicts.all(replica: unreviewed).contains { $0.id == fork.id })
        _ = Self.expectSameEverywhere([unreviewed, third], seed: 3)
    }

    @Test func reversalConflictsAreSettledByReviewAndReopenOnANewSide() {
        var a = Replica(node: NodeID.derived(from: "a"))
        let sale = a.write(.append(Self.harvest("h-1", 500).coreEntry), wallMillis: Self.t0)
        _ = sale
        var b = a
        b = Replica(node: NodeID.derived(from: "b"))
        b.merge(with: a)
        let target = LedgerState(replica: a).records(withID: "h-1")[0].entry
        a.write(.append(target.reversal(id: "r-a", date: Self.day, reason: "x").coreEntry), wallMillis: Self.t0 + 1)
        b.write(.append(target.reversal(id: "r-b", date: Self.day, reason: "y").coreEntry), wallMillis: Self.t0 + 2)
        // A reversal of a reversal, and one of an entry no one holds.
        let reversalA = LedgerState(replica: a).records(withID: "r-a")[0].entry
        b.write(.append(LedgerEntry(id: "r-r", kind: .reversal, producer: "col", date: Self.day, quantity: 1, ref: "r-a",
                                    refKind: .reversal, reason: "undo").coreEntry), wallMillis: Self.t0 + 3)
        _ = reversalA
        b.write(.append(LedgerEntry(id: "r-g", kind: .reversal, producer: "col", date: Self.day, quantity: -5, ref: "ghost",
                                    refKind: .harvest, reason: "?").coreEntry), wallMillis: Self.t0 + 4)
        a.merge(with: b)
        let open = Conflicts.all(replica: a)
        #expect(Set(open.map(\.kind)) == [.doubleReversal, .reversalOfReversal, .unknownReference], "\(open.map(\.summary))")
        for (index, report) in open.enumerated() {
            a.write(.append(Self.review("v-\(index)", of: report).coreEntry), wallMillis: Self.t0 + 10 + UInt64(index))
        }
        #expect(Self.expectSameEverywhere([a, b], seed: 4).isEmpty)

        // A third reversal of h-1 is a side the double-reversal review did not see.
        var c = Replica(node: NodeID.derived(from: "c"))
        c.merge(with: a)
        c.write(.append(target.reversal(id: "r-c", date: Self.day, reason: "z").coreEntry), wallMillis: Self.t0 + 20)
        #expect(Conflicts.all(replica: c).map(\.kind) == [.doubleReversal])
    }

    @Test func aReviewDoesNotSettleWhatAnEntryMustFix() {
        var a = Replica(node: NodeID.derived(from: "a"))
        a.write(.append(LedgerEntry(id: "s-1", kind: .sale, producer: "col", date: Self.day, product: "miel", quantity: 500,
                                    unit: .grams, lot: "L1", party: "cantine", amount: 1_000).coreEntry), wallMillis: Self.t0)
        let below = try! #require(Conflicts.all(replica: a).first { $0.kind == .stockBelowZero })
        a.write(.append(Self.review("v-1", of: below).coreEntry), wallMillis: Self.t0 + 1)
        #expect(Conflicts.all(replica: a).contains { $0.id == below.id }, "stock stays below zero: a review cannot hide it")
        _ = Self.expectSameEverywhere([a], seed: 5)
    }

    @Test func aReviewOrEventVoidThatIsUnreadableCountsForNothing() throws {
        let bad = Entry(id: "v-9", kind: "review", fields: Fields([Field("date", .day(20_600)), Field("ref", .text("abc")),
                                                                    Field("sides", .text("not-a-hash"))]))
        #expect(throws: LedgerError.self) { try LedgerEntry(bad) }
        let noSides = Entry(id: "v-8", kind: "review", fields: Fields([Field("date", .day(20_600)), Field("ref", .text("abc"))]))
        #expect(throws: LedgerError.self) { try LedgerEntry(noSides) }
        let upper = Entry(id: "r-9", kind: "reversal", fields: Fields([
            Field("producer", .text("col")), Field("date", .day(20_600)), Field("ref", .text("h-1")),
            Field("ref_event", .text(String(repeating: "A", count: 64))),
        ]))
        #expect(throws: LedgerError.self) { try LedgerEntry(upper) }
        let good = LedgerEntry(id: "v-1", kind: .review, producer: "", date: Self.day, ref: "abc",
                               sides: [SHA256Digest(1, 2, 3, 4)], note: "n")
        #expect(try LedgerEntry(good.coreEntry) == good, "a review round-trips, with no producer field")
        #expect(good.coreEntry.fields["producer"] == nil)
    }

    /// The random histories of the merge laws and the fold tests write reviews and event
    /// voids: check they settle conflicts often enough for those tests to mean something.
    @Test func randomHistoriesSettleConflicts() {
        var settled = 0, eventVoids = 0
        var orderKinds = Set<ConflictKind>()
        for seed in 0..<40 as Range<UInt64> {
            let history = RandomHistory(seed: 0x5E77_0000 &+ seed, nodes: 3, steps: 120)
            var merged = Replica(node: NodeID.derived(from: "reader"))
            for replica in history.replicas { merged.merge(with: replica) }
            let state = LedgerState(replica: merged)
            let every = Conflicts.every(replica: merged, domain: state.domainConflicts())
            settled += every.filter { state.reviews.settlement(of: $0) != nil }.count
            eventVoids += state.records.filter { $0.entry.refEvent != nil }.count
            orderKinds.formUnion(every.map(\.kind).filter { [.orderFulfilledTwice, .orderOverfilled, .ordersBeyondAvailability].contains($0) })
        }
        #expect(orderKinds.count == 3, "the random histories make only these order conflicts: \(orderKinds)")
        #expect(settled >= 10, "only \(settled) conflicts settled by review in 40 histories")
        #expect(eventVoids >= 10, "only \(eventVoids) reversals naming an event in 40 histories")
    }
}
