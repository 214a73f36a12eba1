import CarnetCore
import CarnetLedger
import Testing

private let farm = NodeID.derived(from: "farm")
private let day = CalendarDay(iso: "2026-03-02")!

private func ledger(_ entries: [LedgerEntry]) -> (Replica, LedgerState) {
    var replica = Replica(node: farm)
    for (index, entry) in entries.enumerated() {
        replica.write(.append(entry.coreEntry), wallMillis: 1_000 + UInt64(index))
    }
    return (replica, LedgerState(replica: replica))
}

private func harvest(_ id: String, _ grams: Int64, lot: String = "L1") -> LedgerEntry {
    LedgerEntry(id: id, kind: .harvest, producer: "F1", date: day, product: "P1", quantity: grams, unit: .grams, lot: lot)
}

private func sale(_ id: String, _ grams: Int64, cents: Int64, lot: String = "L1") -> LedgerEntry {
    LedgerEntry(id: id, kind: .sale, producer: "F1", date: day, product: "P1", quantity: grams, unit: .grams,
                lot: lot, party: "cantine", amount: cents)
}

private func payment(_ id: String, _ cents: Int64, for sale: String) -> LedgerEntry {
    LedgerEntry(id: id, kind: .payment, producer: "F1", date: day, party: "cantine", amount: cents, method: "cash", ref: sale)
}

struct LedgerViewTests {
    @Test func entriesRoundTripThroughCoreEntries() throws {
        let entry = LedgerEntry(id: "F1-1", kind: .sale, producer: "F1", date: day, product: "P1", quantity: 1500,
                                unit: .grams, lot: "L1", party: "cantine", amount: 450, method: "card",
                                ref: "F1-0", refKind: .harvest, reason: "r", note: "calibre 2")
        #expect(try LedgerEntry(entry.coreEntry) == entry)
        #expect(throws: LedgerError.self) { try LedgerEntry(Entry(id: "x", kind: "teleport", fields: [])) }
        #expect(throws: LedgerError.self) { try LedgerEntry(Entry(id: "x", kind: "sale", fields: [Field("producer", .int(3))])) }
    }

    @Test func stockFollowsHarvestsSalesDeliveriesAndReversals() {
        let delivery = LedgerEntry(id: "d", kind: .delivery, producer: "F1", date: day, product: "P1", quantity: 1000,
                                   unit: .grams, lot: "L1", party: "HUB")
        let (_, state) = ledger([
            harvest("h1", 10_000), sale("s1", 2_000, cents: 600), delivery,
            harvest("h2", 5_000, lot: "L2"), harvest("h2", 5_000, lot: "L2").reversal(id: "r1", date: day, reason: "doublon"),
        ])
        let stock = state.stock()
        #expect(stock.first { $0.lot == "L1" }?.quantity == 7_000)
        #expect((stock.first { $0.lot == "L2" }?.quantity ?? 0) == 0, "a reversed harvest counts for nothing")
        let availability = state.availability()
        #expect(availability.first?.atProducers == 7_000)
        #expect(availability.first?.delivered == 1_000)
    }

    @Test func balancesNetSalesAgainstPaymentsAndVoids() {
        let (_, state) = ledger([
            harvest("h1", 10_000), sale("s1", 2_000, cents: 600), sale("s2", 1_000, cents: 300),
            payment("p1", 400, for: "s1"), sale("s2", 1_000, cents: 300).reversal(id: "r1", date: day, reason: "retour"),
        ])
        #expect(state.balances().map { "\($0.producer)/\($0.party)/\($0.cents)" } == ["F1/cantine/200"])
        #expect(state.reversals(of: "s2").count == 1)
    }

    @Test func domainConflictsAreFoundOnTheMergedLedger() {
        let (replica, state) = ledger([
            harvest("h1", 1_000), sale("s1", 800, cents: 500), sale("s2", 800, cents: 500),
            payment("p1", 500, for: "s1"), payment("p2", 100, for: "s1"),
            payment("p3", 100, for: "nowhere"),
            harvest("h1", 1_000).reversal(id: "r1", date: day, reason: "a"),
            harvest("h1", 1_000).reversal(id: "r2", date: day, reason: "b"),
            LedgerEntry(id: "r3", kind: .reversal, producer: "F1", date: day, ref: "r1", refKind: .reversal, reason: "c"),
        ])
        let kinds = Conflicts.all(replica: replica, ledger: state).map(\.kind)
        #expect(kinds.contains(.stockBelowZero))
        #expect(kinds.contains(.overpayment))
        #expect(kinds.contains(.unknownReference))
        #expect(kinds.contains(.doubleReversal))
        #expect(kinds.contains(.reversalOfReversal))
        let overpayment = Conflicts.all(replica: replica).first { $0.kind == .overpayment }
        #expect(overpayment?.sides.count == 3, "the sale and both payments are shown")
    }

    @Test func aFieldConflictIsResolvedByKeepingOneValueEverywhere() {
        var a = Replica(node: NodeID.derived(from: "a")), b = Replica(node: NodeID.derived(from: "b"))
        let key = Catalog.productKey("P1", .price)
        a.assign(key, .int(300), wallMillis: 1)
        b.assign(key, .int(350), wallMillis: 1)
        a.merge(with: b)
        b.merge(with: a)
        let conflict = Conflicts.all(replica: a).first { $0.kind == .field }
        #expect(conflict?.sides.count == 2)
        #expect(conflict?.id == Conflicts.all(replica: b).first?.id, "ids are the same on every node")
        // --keep 2: write the second value again, superseding both.
        let kept = conflict!.sides[1].value!
        b.assign(key, kept, wallMillis: 2)
        a.merge(with: b)
        #expect(Conflicts.all(replica: a).isEmpty)
        #expect(Catalog(replica: a).product("P1")?.value("price") == kept)
        #expect(a.digest == b.digest)
    }

    @Test func calendarDaysRoundTrip() {
        for text in ["1970-01-01", "2026-03-02", "2024-02-29", "2000-12-31", "0001-01-01", "9999-12-31"] {
            #expect(CalendarDay(iso: text)?.iso == text)
        }
        #expect(CalendarDay(iso: "1970-01-01")?.daysSinceEpoch == 0)
        #expect(CalendarDay(iso: "2026-03-02")?.daysSinceEpoch == 20_514)
        for bad in ["2025-02-29", "2026-13-01", "2026-3-2", "20260302", "2026-03-0x", ""] {
            #expect(CalendarDay(iso: bad) == nil, "\(bad)")
        }
        var previous = CalendarDay(daysSinceEpoch: -800_000).iso
        for days in stride(from: Int32(-799_999), to: 2_900_000, by: 997) {
            let iso = CalendarDay(daysSinceEpoch: days).iso
            #expect(CalendarDay(iso: iso)?.daysSinceEpoch == days || days < -719_162)
            previous = iso
        }
        _ = previous
    }

    @Test func moneyAndQuantitiesAreIntegersFormattedForPeople() {
        #expect(Money(euros: "3.20")?.cents == 320)
        #expect(Money(euros: "3,2")?.cents == 320)
        #expect(Money(euros: "120")?.cents == 12_000)
        #expect(Money(euros: "-4.5")?.cents == -450)
        #expect(Money(euros: "1.234") == nil)
        #expect(Money(euros: "abc") == nil)
        #expect(Money(euros: "") == nil)
        #expect(Money(euros: "12,50 €")?.cents == 1_250)
        #expect(Money(euros: "€") == nil)
        #expect(Money(cents: 12_050).description == "120,50 €")
        #expect(Money(cents: -5).description == "-0,05 €")
        #expect(Quantity(42_500, .grams).description == "42,5 kg")
        #expect(Quantity(750, .grams).description == "750 g")
        #expect(Quantity(3_000, .millilitres).description == "3 l")
        #expect(Quantity(12, .pieces).description == "12 pc")
        // Zero in the unit the product is sold by, not its smallest step.
        #expect(Quantity(0, .grams).description == "0 kg")
        #expect(Quantity(0, .millilitres).description == "0 l")
        #expect(Quantity(0, .pieces).description == "0 pc")
        #expect(QuantityUnit.parse("kg")! == (.grams, 1000))
        #expect(QuantityUnit.parse("l")! == (.millilitres, 1000))
        #expect(QuantityUnit.parse("furlong") == nil)
    }
}

struct ClockDisplayTests {
    @Test func clocksReadAsUTCDateAndTime() {
        #expect(HLCTimestamp(physical: 1_780_302_352_000, logical: 0).readable == "2026-06-01 08:25:52")
        #expect(HLCTimestamp(physical: 0, logical: 3).readable == "1970-01-01 00:00:00+3")
    }
}
