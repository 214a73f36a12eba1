import CarnetCore
import CarnetLedger
import CarnetTestKit
import Testing

/// Issue 20, item 6: the hledger journal of `carnet export --hledger`, on hand-made
/// entries: the postings of each kind, VAT on its own posting and its rounding, reversals,
/// stock-only entries, names hledger would misread, and refusals. (The CLI test runs
/// hledger and ledger on a real export.)
@Suite("Journal export")
struct JournalExportTests {
    private static let node = NodeID.derived(from: "journal")
    private static let day = CalendarDay(iso: "2026-06-01")!

    private func state(_ entries: [LedgerEntry]) -> LedgerState {
        var replica = Replica(node: Self.node)
        for (index, entry) in entries.enumerated() {
            replica.write(.append(entry.coreEntry), wallMillis: 1_000 + UInt64(index))
        }
        return LedgerState(replica: replica)
    }

    private func entry(_ id: String, _ kind: EntryKind, actor: String = "col", product: String? = nil, qty: Int64? = nil,
                       lot: String? = nil, party: String? = nil, amount: Int64? = nil, vat: Int64? = nil,
                       method: String? = nil, ref: String? = nil) -> LedgerEntry {
        LedgerEntry(id: id, kind: kind, producer: actor, date: Self.day, product: product, quantity: qty,
                    unit: qty == nil ? nil : .grams, lot: lot, party: party, amount: amount, vat: vat, method: method, ref: ref)
    }

    private func postings(_ transaction: JournalExport.Transaction) -> [String] {
        transaction.postings.map { "\($0.account) \(JournalExport.euros($0.cents))" }
    }

    @Test func aSalePaymentAndPurchaseEachPostTheirAccounts() throws {
        let sale = entry("s1", .sale, product: "tomme", qty: 8_500, lot: "L1", party: "cantine", amount: 20_400)
        let payment = entry("p1", .payment, party: "cantine", amount: 20_400, method: "transfer", ref: "s1")
        let purchase = entry("b1", .purchase, actor: "hub", product: "yaourt", qty: 100, lot: "H1", party: "col",
                             amount: 6_000, vat: 550)
        let journal = try JournalExport.transactions(state([sale, payment, purchase]))
        #expect(journal.count == 3)
        // 204.00 € at 5.5 % (no rate: the food rate): 193.36 before VAT, 10.64 of VAT.
        #expect(postings(journal[0]) == ["assets:receivable:col:cantine 204.00", "revenue:sales:col -193.36",
                                         "liabilities:vat:collected:col -10.64"])
        #expect(journal[0].description == "col | sale tomme to cantine")
        #expect(journal[0].tags.first == "entry:s1")
        #expect(journal[0].tags.contains("vat:5.5%") && journal[0].tags.contains("qty:8500 g") && journal[0].tags.contains("lot:L1"))
        #expect(postings(journal[1]) == ["assets:cash:col 204.00", "assets:receivable:col:cantine -204.00"])
        #expect(journal[1].description == "col | payment from cantine for s1")
        #expect(journal[1].tags.contains("method:transfer"))
        #expect(postings(journal[2]) == ["expenses:purchases:hub 56.87", "assets:vat:deductible:hub 3.13",
                                         "liabilities:payable:hub:col -60.00"])
        for transaction in journal {
            #expect(transaction.postings.reduce(0) { $0 + $1.cents } == 0, "\(transaction.description) does not balance")
        }
    }

    @Test func theTextCarriesTheEventAndDeclaresAccountsAndEUR() throws {
        let ledger = state([entry("s1", .sale, product: "jus", qty: 2_000, lot: "J1", party: "cj", amount: 1_200, vat: 2_000)])
        let text = try JournalExport.text(ledger, title: "Carnet ledger coop")
        let record = ledger.records[0]
        #expect(text.hasPrefix("; Carnet ledger coop, written by `carnet export --hledger`.\n"))
        #expect(text.contains("\ncommodity 1000.00 EUR\n"))
        #expect(text.contains("\naccount assets:receivable:col:cj\naccount liabilities:vat:collected:col\naccount revenue:sales:col\n"))
        #expect(text.contains("\n2026-06-01 col | sale jus to cj  ; entry:s1, event:\(Self.node.hex):\(record.event.dot.seq), hash:\(record.event.hash.hex), vat:20%"))
        // 12.00 € at 20 %: 10.00 and 2.00, each posting on its own line, two spaces at least
        // between account and amount.
        #expect(posts(text, "assets:receivable:col:cj", "12.00 EUR"))
        #expect(posts(text, "revenue:sales:col", "-10.00 EUR"))
        #expect(posts(text, "liabilities:vat:collected:col", "-2.00 EUR"))
        #expect(!text.contains("\t"))
    }

    @Test("VAT rounds the amount before VAT to the cent, halves away from zero, and a 0 % rate has no VAT posting")
    func vatRounding() throws {
        let entries = [
            entry("a", .sale, product: "p", qty: 1, lot: "L", party: "x", amount: 1, vat: 550),         // 0.95 → 0.01 before VAT
            entry("b", .sale, product: "p", qty: 1, lot: "L", party: "x", amount: 211, vat: 550),       // 200.0 exactly
            entry("c", .sale, product: "p", qty: 1, lot: "L", party: "x", amount: 105, vat: 1_000),     // 95.45… → 95
            entry("d", .sale, product: "p", qty: 1, lot: "L", party: "x", amount: 999, vat: 0),
            entry("e", .purchase, product: "p", qty: 1, party: "y", amount: 12_345, vat: 210),          // 12 091.09… → 12 091
        ]
        let journal = try JournalExport.transactions(state(entries))
        #expect(postings(journal[0]) == ["assets:receivable:col:x 0.01", "revenue:sales:col -0.01", "liabilities:vat:collected:col 0.00"]
            .filter { !$0.hasSuffix(" 0.00") })
        #expect(postings(journal[1]) == ["assets:receivable:col:x 2.11", "revenue:sales:col -2.00", "liabilities:vat:collected:col -0.11"])
        #expect(postings(journal[2]) == ["assets:receivable:col:x 1.05", "revenue:sales:col -0.95", "liabilities:vat:collected:col -0.10"])
        #expect(postings(journal[3]) == ["assets:receivable:col:x 9.99", "revenue:sales:col -9.99"])
        #expect(postings(journal[4]) == ["expenses:purchases:col 120.91", "assets:vat:deductible:col 2.54", "liabilities:payable:col:y -123.45"])
        for (transaction, source) in zip(journal, entries) {
            let net = VAT.excluding(source.amount!, rate: source.vat!)
            #expect(transaction.postings.contains { abs($0.cents) == net }, "the amount before VAT is the ledger's own")
        }
    }

    @Test func aReversalCancelsTheEntryItVoidsWhichStays() throws {
        let sale = entry("s1", .sale, product: "tomme", qty: 2_000, lot: "L1", party: "cantine", amount: 4_800, vat: 550)
        let reversal = sale.reversal(id: "r1", date: CalendarDay(iso: "2026-06-03")!, reason: "entered twice")
        let again = sale.reversal(id: "r2", date: Self.day, reason: "twice again")
        let stray = entry("s9", .sale, product: "tomme", qty: 1, lot: "L1", party: "cantine", amount: 100)
            .reversal(id: "r3", date: Self.day, reason: "not here")
        let ofReversal = reversal.reversal(id: "r4", date: Self.day, reason: "undo")
        let ledger = state([sale, reversal, again, stray, ofReversal])
        let journal = try JournalExport.transactions(ledger)
        #expect(journal.count == 5, "the voided entry and every reversal stay")
        #expect(journal[0].tags.contains("voided-by:r1"))
        #expect(journal[1].description == "col | reversal of s1 (sale)")
        #expect(journal[1].date.iso == "2026-06-03")
        #expect(journal[1].tags.contains("reverses:s1"))
        #expect(journal[1].postings == journal[0].postings.map { JournalExport.Posting(account: $0.account, cents: -$0.cents) })
        #expect(journal[2].postings.isEmpty && journal[2].notes == ["counts for nothing: s1 was reversed first by r1"])
        #expect(journal[3].postings.isEmpty && journal[3].notes == ["counts for nothing: it names an entry this ledger does not hold"])
        #expect(journal[4].postings.isEmpty && journal[4].notes == ["counts for nothing: it names a reversal, which cannot be reversed"])
        #expect(ledger.balances().allSatisfy { $0.cents == 0 })
        #expect(sums(journal).values.allSatisfy { $0 == 0 }, "the sale and its reversal cancel")
    }

    @Test func stockOnlyEntriesAreTransactionsWithoutPostings() throws {
        let harvest = entry("h1", .harvest, product: "tomme", qty: 12_000, lot: "L1")
        let delivery = entry("d1", .delivery, product: "tomme", qty: 3_000, lot: "L1", party: "hub")
        let loss = entry("l1", .loss, product: "tomme", qty: 500, lot: "L1")
        let voidedLoss = loss.reversal(id: "r1", date: Self.day, reason: "found it")
        let journal = try JournalExport.transactions(state([harvest, delivery, loss, voidedLoss]))
        #expect(journal.allSatisfy { $0.postings.isEmpty })
        #expect(journal[0].description == "col | harvest tomme")
        #expect(journal[0].tags.contains("qty:12000 g") && journal[0].tags.contains("lot:L1"))
        #expect(journal[1].description == "col | delivery tomme to hub")
        #expect(journal[3].notes == ["moves no money: l1 is a stock entry"])
        let text = JournalExport.render(journal)
        #expect(!text.contains("\naccount "), "no money, no accounts")
        #expect(text.contains("\n2026-06-01 col | harvest tomme  ; entry:h1, event:"))
    }

    @Test("names hledger would misread are escaped one-to-one, never merged")
    func namesAreEscaped() throws {
        #expect(JournalExport.escape("cantine-jaures_2.0") == "cantine-jaures_2.0")
        #expect(JournalExport.escape("Ardèche") == "Ardèche")
        #expect(JournalExport.escape("a:b") == "a%3Ab")
        #expect(JournalExport.escape("two  spaces;x") == "two%20%20spaces%3Bx")
        #expect(JournalExport.escape("a,b|c%") == "a%2Cb%7Cc%25")
        #expect(JournalExport.escape("e\u{301}") == "e%CC%81", "a combining accent is escaped: two spellings, two accounts")
        #expect(JournalExport.escape("") == "%")
        #expect(JournalExport.escape("line\nbreak") == "line%0Abreak")
        #expect(JournalExport.escape("a%3Ab") != JournalExport.escape("a:b"))

        let tricky = "Café:du  coin ; (x)"
        let ledger = state([entry("s1", .sale, actor: "col", product: "to;me", qty: 1, lot: "L,1", party: tricky, amount: 100)])
        let text = try JournalExport.text(ledger)
        let account = "assets:receivable:col:Café%3Adu%20%20coin%20%3B%20%28x%29"
        #expect(text.contains("\naccount \(account)\n"))
        #expect(posts(text, account, "1.00 EUR"))
        #expect(text.contains("col | sale to%3Bme to Café%3Adu%20%20coin%20%3B%20%28x%29  ; entry:s1,"))
        #expect(text.contains(", lot:L%2C1"))
    }

    @Test func entriesAJournalCannotHoldAreRefusedInOneSentence() throws {
        let farFuture = LedgerEntry(id: "h1", kind: .harvest, producer: "col", date: CalendarDay(daysSinceEpoch: Int32.max),
                                    product: "p", quantity: 1, unit: .grams, lot: "L")
        #expect(throws: LedgerError.self) { try JournalExport.text(state([farFuture])) }
        var old = farFuture
        old.date = CalendarDay(iso: "1399-12-31")!
        #expect(throws: LedgerError("entry h1 is dated in the year 1399, which hledger and ledger cannot both read (years 1400 to 9999); nothing written")) {
            try JournalExport.text(state([old]))
        }
        old.date = CalendarDay(iso: "1400-01-01")!
        #expect(try JournalExport.text(state([old])).contains("\n1400-01-01 col | harvest p  ; entry:h1,"))
        do {
            _ = try JournalExport.text(state([farFuture]))
        } catch {
            #expect(error.message.hasPrefix("entry h1 is dated in the year "))
            #expect(!error.message.contains("\n"))
        }
        let badRate = entry("s2", .sale, product: "p", qty: 1, lot: "L", party: "x", amount: 100, vat: -10_000)
        // An entry with such a rate is unreadable (SPEC §10.4): reported by the ledger, in no journal.
        #expect(state([badRate]).unreadable.map(\.reason) == ["entry s2 has a VAT rate of -10000 basis points, outside 0 to 10,000"])
        #expect(try !JournalExport.text(state([badRate])).contains("entry:s2"))
        let huge = entry("s1", .sale, product: "p", qty: 1, lot: "L", party: "x", amount: Int64.max)
        let reversal = huge.reversal(id: "r1", date: Self.day, reason: "typo")
        // The reversal first: it takes the amounts of the entry it voids.
        var replica = Replica(node: Self.node)
        replica.write(.append(reversal.coreEntry), wallMillis: 1_000)
        replica.write(.append(huge.coreEntry), wallMillis: 2_000)
        #expect(throws: LedgerError("entry r1 has an amount of \(-Int64.max) cents, more than a journal export takes (1000000000000.00 EUR); nothing written")) {
            try JournalExport.text(LedgerState(replica: replica))
        }
    }

    @Test("over random histories the receivable and payable accounts give `carnet balances`, and every transaction balances")
    func balancesOverRandomHistories() throws {
        let base = testSeed(default: 0x10_0E6E_0001)
        var owed = 0
        for offset in 0..<60 as Range<UInt64> {
            let history = RandomHistory(seed: base &+ offset, nodes: 3, steps: 80)
            var replica = Replica(node: NodeID.derived(from: "reader"))
            replica.admit(contentsOf: history.events)
            let ledger = LedgerState(replica: replica)
            let journal = try JournalExport.transactions(ledger)
            #expect(journal.count == ledger.records.count)
            #expect(journal.allSatisfy { $0.postings.reduce(0) { $0 + $1.cents } == 0 })
            var expected: [String: Int64] = [:]
            for balance in ledger.balances() {
                expected[JournalExport.escape(balance.producer) + ":" + JournalExport.escape(balance.party), default: 0] += balance.cents
            }
            let got = sums(journal)
            #expect(got.filter { $0.value != 0 } == expected.filter { $0.value != 0 }, "seed \(base &+ offset)")
            owed += expected.values.filter { $0 != 0 }.count
        }
        #expect(owed > 60, "the histories owe money: \(owed) balances")
    }

    /// Whether `text` has the posting line: four spaces, the account, two spaces or more,
    /// the amount.
    private func posts(_ text: String, _ account: String, _ amount: String) -> Bool {
        text.split(separator: "\n").contains { line in
            guard line.hasPrefix("    " + account + "  "), line.hasSuffix(amount) else { return false }
            return line.dropFirst(4 + account.count).dropLast(amount.count).allSatisfy { $0 == " " }
        }
    }

    /// Per `actor:party`, receivable plus payable.
    private func sums(_ journal: [JournalExport.Transaction]) -> [String: Int64] {
        var result: [String: Int64] = [:]
        for posting in journal.flatMap(\.postings) {
            for prefix in ["assets:receivable:", "liabilities:payable:"] where posting.account.hasPrefix(prefix) {
                result[String(posting.account.dropFirst(prefix.count)), default: 0] += posting.cents
            }
        }
        return result
    }
}
