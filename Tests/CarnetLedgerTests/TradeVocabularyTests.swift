import CarnetLedger
import Testing

/// VAT arithmetic and the fixed lists of issue 20: labels as "ma cantine" counts them,
/// families, party kinds, loss reasons.
struct TradeVocabularyTests {
    @Test func amountsBeforeVATRoundToTheNearestCent() {
        #expect(VAT.excluding(6_000, rate: 550) == 5_687)   // 56.872…
        #expect(VAT.excluding(4_000, rate: 1_000) == 3_636)  // 36.363…
        #expect(VAT.excluding(1_200, rate: 2_000) == 1_000)
        #expect(VAT.excluding(211, rate: 550) == 200)        // 200.0 exactly
        #expect(VAT.excluding(1, rate: 550) == 1)            // 0.947… rounds up
        #expect(VAT.excluding(-6_000, rate: 550) == -5_687, "a reversal is the exact opposite")
        #expect(VAT.excluding(0, rate: 550) == 0)
        #expect(VAT.excluding(123_456, rate: 0) == 123_456)
        // Halves away from zero: 105 at 5 % is exactly 100; 21 at 5 % is 20, 1.05 → 1.
        #expect(VAT.excluding(10_500, rate: 500) == 10_000)
        #expect(VAT.excluding(3, rate: 2_000) == 3, "2.5 rounds away from zero")
        #expect(VAT.excluding(-3, rate: 2_000) == -3)
    }

    @Test func ratesAreReadAsPeopleWriteThem() {
        #expect(VAT.parseRate("5.5") == 550)
        #expect(VAT.parseRate("5,5") == 550)
        #expect(VAT.parseRate("20") == 2_000)
        #expect(VAT.parseRate("2.10") == 210)
        #expect(VAT.parseRate("0") == 0)
        #expect(VAT.parseRate("100") == 10_000)
        #expect(VAT.percent(550) == "5.5 %" && VAT.percent(2_000) == "20 %" && VAT.percent(205) == "2.05 %")
        for bad in ["", "5.", ".5", "5.555", "-5", "5%", "cinq", "101", "1e2", " 5", "5.5.5", "٥"] {
            #expect(VAT.parseRate(bad) == nil, "\"\(bad)\" read as a rate")
        }
    }

    @Test func labelsCountAsTheLawSays() {
        let organic = QualityLabel.allCases.filter(\.countsAsOrganic)
        #expect(organic == [.organic, .organicConversion])
        let notCounted = QualityLabel.allCases.filter { !$0.countsAsQuality }
        #expect(notCounted == [.france, .shortCircuit, .local], "local is shown, never counted")
        #expect(Set(QualityLabel.allCases.map(\.maCantineCode)).count == QualityLabel.allCases.count)
        #expect(QualityLabel.field([.fermier, .organic]) == "organic,fermier", "stored in list order")
        #expect(QualityLabel.category(of: [.local, .fermier, .labelRouge]) == .labelRouge)
        #expect(QualityLabel.category(of: [.local, .france]) == nil)
        let parsed = QualityLabel.parse(field: "organic,some-future-label,aop")
        #expect(parsed.labels == [.organic, .aop] && parsed.unknown == ["some-future-label"])
        #expect(ProductFamily.allCases.filter(\.isMeatOrFish) == [.meatPoultry, .seafood])
        #expect(PartyKind.trading == [.farm, .hub, .drive, .wholesale, .processor, .shop])
        #expect(PartyKind.allCases.filter(\.isCanteen) == [.canteenPublic, .canteenPrivate, .canteen])
    }
}

/// Entries come from peers: a VAT rate or an amount no command writes must not crash a
/// report, a log or an export.
struct HostileVATTests {
    @Test func anyRateAndAmountAreTotal() {
        for amount in [Int64.max, Int64.min, Int64.max - 1, -1, 0] {
            for rate in [Int64.max, Int64.min, -1, 0, 10_000, 10_001] {
                _ = VAT.excluding(amount, rate: rate)
            }
        }
        #expect(VAT.excluding(Int64.max, rate: 0) == Int64.max)
    }

    @Test func anEntryWithARateOutOfRangeIsUnreadable() {
        var fields = LedgerEntry(id: "s1", kind: .sale, producer: "col", date: CalendarDay(daysSinceEpoch: 20_600), amount: 100).coreEntry
        fields.fields.append(FieldName.vat, .int(Int64.max))
        #expect(throws: LedgerError.self) { try LedgerEntry(fields) }
        var fine = LedgerEntry(id: "s1", kind: .sale, producer: "col", date: CalendarDay(daysSinceEpoch: 20_600), amount: 100).coreEntry
        fine.fields.append(FieldName.vat, .int(10_000))
        #expect((try? LedgerEntry(fine))?.amountExcludingVAT == 50)
    }
}
