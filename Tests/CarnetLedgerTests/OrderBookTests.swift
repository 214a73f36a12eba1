import CarnetCore
import CarnetLedger
import CarnetTestKit
import Testing

/// Issue 20, item 3: orders as entries. A line is fulfilled by the sales, deliveries and
/// purchases naming it; a line fulfilled twice, more fulfilled than ordered, a cancelled
/// line fulfilled, a fulfilment of an unknown line, and open orders beyond the stock the
/// producers hold are conflicts; the same on every node whatever the order of arrival.
@Suite("Orders")
struct OrderBookTests {
    static let day = CalendarDay(daysSinceEpoch: 20_600)
    static let t0: UInt64 = 1_780_000_000_000

    static func line(_ order: String, _ number: Int64, product: String = "tomme", grams: Int64, amount: Int64? = nil) -> LedgerEntry {
        LedgerEntry(id: OrderLineID.make(order: order, line: number), kind: .order, producer: "hub", date: day, product: product,
                    quantity: grams, unit: .grams, party: "cantine", amount: amount, order: order, line: number)
    }

    static func sale(_ id: String, grams: Int64, line: (String, Int64)?) -> LedgerEntry {
        LedgerEntry(id: id, kind: .sale, producer: "hub", date: day, product: "tomme", quantity: grams, unit: .grams, lot: "H1",
                    party: "cantine", amount: grams / 10, order: line?.0, line: line?.1)
    }

    static func harvest(_ grams: Int64) -> LedgerEntry {
        LedgerEntry(id: "h-1", kind: .harvest, producer: "hub", date: day, product: "tomme", quantity: grams, unit: .grams, lot: "H1")
    }

    /// Writes `entries` on one node, one event each.
    static func replica(_ name: String, _ entries: [LedgerEntry], from t: UInt64 = t0) -> Replica {
        var replica = Replica(node: NodeID.derived(from: name))
        for (index, entry) in entries.enumerated() { replica.write(.append(entry.coreEntry), wallMillis: t + UInt64(index)) }
        return replica
    }

    @Test func aLineIsFulfilledByTheSalesNamingItAndTheStatusFollows() {
        let hub = Self.replica("hub", [
            Self.harvest(20_000), Self.line("o-1", 1, grams: 12_000, amount: 28_800), Self.line("o-1", 2, product: "miel", grams: 500),
            Self.sale("s-1", grams: 5_000, line: ("o-1", 1)), Self.sale("s-2", grams: 7_000, line: ("o-1", 1)),
        ])
        let state = LedgerState(replica: hub)
        let order = try! #require(state.orders.orders().first)
        #expect(order.id == "o-1" && order.seller == "hub" && order.buyer == "cantine")
        #expect(order.lines.map(\.fulfilled) == [12_000, 0])
        #expect(order.status == "open", "line 2 is not fulfilled")
        let conflicts = Conflicts.all(replica: hub).map(\.kind)
        #expect(conflicts == [.ordersBeyondAvailability], "500 g of miel asked, none held: \(conflicts)")
        #expect(OrderLineID.parse("order-1a2b:c-17:2").map { "\($0.order)|\($0.line)" } == "order-1a2b:c-17|2")
        #expect(OrderLineID.parse("o-1:0") == nil && OrderLineID.parse(":3") == nil && OrderLineID.parse("o-1") == nil)
    }

    @Test func twiceOverfilledCancelledAndUnknownLinesAreConflictsEverywhere() {
        var hub = Self.replica("hub", [Self.harvest(50_000), Self.line("o-1", 1, grams: 10_000), Self.line("o-2", 1, grams: 10_000),
                                       Self.line("o-3", 1, grams: 4_000)])
        // Two devices each record the delivery of the whole of o-1:1; o-2:1 gets 15 kg.
        var laptop = Replica(node: NodeID.derived(from: "laptop"))
        laptop.merge(with: hub)
        hub.write(.append(Self.sale("s-a", grams: 10_000, line: ("o-1", 1)).coreEntry), wallMillis: Self.t0 + 10)
        laptop.write(.append(Self.sale("s-b", grams: 10_000, line: ("o-1", 1)).coreEntry), wallMillis: Self.t0 + 11)
        laptop.write(.append(Self.sale("s-c", grams: 15_000, line: ("o-2", 1)).coreEntry), wallMillis: Self.t0 + 12)
        // o-3 is cancelled on the hub while the laptop delivers it; and a sale names a line no one holds.
        let o3 = LedgerState(replica: hub).records(withID: "o-3:1")[0].entry
        hub.write(.append(o3.reversal(id: "r-1", date: Self.day, reason: "cancelled").coreEntry), wallMillis: Self.t0 + 13)
        laptop.write(.append(Self.sale("s-d", grams: 4_000, line: ("o-3", 1)).coreEntry), wallMillis: Self.t0 + 14)
        laptop.write(.append(Self.sale("s-e", grams: 1_000, line: ("o-9", 1)).coreEntry), wallMillis: Self.t0 + 15)

        let conflicts = ConflictSettlementTests.expectSameEverywhere([hub, laptop], seed: 20)
        let byKind = Dictionary(grouping: conflicts, by: \.kind)
        #expect(byKind[.orderFulfilledTwice]?.map(\.subject) == ["order/o-1:1"])
        #expect(Set(byKind[.orderOverfilled]?.map(\.subject) ?? []) == ["order/o-2:1", "order/o-3:1"])
        #expect(byKind[.orderOverfilled]?.first { $0.subject == "order/o-3:1" }?.summary.contains("cancelled") == true)
        #expect(byKind[.unknownReference]?.map(\.subject) == ["order/o-9:1"])
        #expect(byKind[.ordersBeyondAvailability] == nil, "nothing left open")

        // Voiding the second delivery of o-1:1 settles it.
        var merged = hub
        merged.merge(with: laptop)
        let extra = LedgerState(replica: merged).records(withID: "s-b")[0].entry
        merged.write(.append(extra.reversal(id: "r-2", date: Self.day, reason: "twice").coreEntry), wallMillis: Self.t0 + 20)
        #expect(!Conflicts.all(replica: merged).contains { $0.kind == .orderFulfilledTwice })
    }

    @Test func openOrdersBeyondStockAreAConflictUntilStockOrAReviewSettlesIt() {
        var hub = Self.replica("hub", [Self.harvest(5_000), Self.line("o-1", 1, grams: 4_000), Self.line("o-2", 1, grams: 3_000)])
        let beyond = try! #require(Conflicts.all(replica: hub).first { $0.kind == .ordersBeyondAvailability })
        #expect(beyond.summary.contains("7 kg") && beyond.summary.contains("5 kg"), "\(beyond.summary)")
        #expect(beyond.sides.count == 2)
        // An uncollected order no longer counts as open.
        var dropped = hub
        dropped.write(.append(LedgerEntry(id: "u-1", kind: .uncollected, producer: "hub", date: Self.day, party: "cantine",
                                          ref: "o-2").coreEntry), wallMillis: Self.t0 + 10)
        #expect(!Conflicts.all(replica: dropped).contains { $0.kind == .ordersBeyondAvailability })
        #expect(LedgerState(replica: dropped).orders.orders().first { $0.id == "o-2" }?.status == "not-collected")
        // A review accepts it; a new order line is a side it did not see.
        hub.write(.append(ConflictSettlementTests.review("v-1", of: beyond).coreEntry), wallMillis: Self.t0 + 11)
        #expect(Conflicts.all(replica: hub).isEmpty)
        hub.write(.append(Self.line("o-3", 1, grams: 100).coreEntry), wallMillis: Self.t0 + 12)
        #expect(Conflicts.all(replica: hub).map(\.kind) == [.ordersBeyondAvailability])
        _ = ConflictSettlementTests.expectSameEverywhere([hub, dropped], seed: 21)
    }

    @Test func malformedOrderEntriesAreUnreadable() {
        let noLine = Entry(id: "o-1:1", kind: "order", fields: Fields([
            Field("producer", .text("hub")), Field("date", .day(20_600)), Field("product", .text("t")), Field("qty", .int(5)),
            Field("order", .text("o-1")),
        ]))
        #expect(throws: LedgerError.self) { try LedgerEntry(noLine) }
        let zero = Entry(id: "s-1", kind: "sale", fields: Fields([
            Field("producer", .text("hub")), Field("date", .day(20_600)), Field("order", .text("o-1")), Field("line", .int(0)),
        ]))
        #expect(throws: LedgerError.self) { try LedgerEntry(zero) }
        let nowhere = Entry(id: "u-1", kind: "uncollected", fields: Fields([Field("producer", .text("hub")), Field("date", .day(20_600))]))
        #expect(throws: LedgerError.self) { try LedgerEntry(nowhere) }
    }
}
