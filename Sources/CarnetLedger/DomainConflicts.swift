import CarnetCore

extension LedgerState {
    /// Conflicts that only the merged ledger shows: each says what entry would fix it.
    /// Made by `DomainConflictReports` from this state's indexes, as `LedgerFold` makes
    /// them from its own: one wording, two ways of keeping the indexes.
    public func domainConflicts() -> [ConflictReport] {
        var reports: [ConflictReport] = []
        var seen = Set<ExactString>()
        for record in records where !seen.contains(ExactString(record.entry.id)) {
            seen.insert(ExactString(record.entry.id))
            let same = records(withID: record.entry.id)
            if same.count > 1 { reports.append(DomainConflictReports.duplicate(id: record.entry.id, records: same)) }
        }
        var checkedTargets = Set<ExactString>()
        for record in records where record.entry.kind == .reversal {
            guard let target = record.entry.ref, !checkedTargets.contains(ExactString(target)) else { continue }
            checkedTargets.insert(ExactString(target))
            if let report = DomainConflictReports.reversal(target: target, targets: records(withID: target),
                                                           reversals: reversals(of: target)) {
                reports.append(report)
            }
        }
        var paymentsBySale: [ExactString: [LedgerRecord]] = [:]
        for record in effectiveRecords where record.entry.kind == .payment {
            if let sale = record.entry.ref { paymentsBySale[ExactString(sale), default: []].append(record) }
        }
        for (sale, payments) in paymentsBySale.sorted(by: { $0.key < $1.key }) {
            if let report = DomainConflictReports.payment(sale: sale.text, sales: records(withID: sale.text),
                                                          voided: !reversals(of: sale.text).isEmpty, payments: payments) {
                reports.append(report)
            }
        }
        let negative = stock().filter { $0.quantity < 0 }
        guard !negative.isEmpty else { return reports }
        var contributors: [StockKey: [LedgerRecord]] = [:]
        for record in effectiveRecords {
            let entry = record.entry
            guard entry.kind.stockDirection != nil, let product = entry.product else { continue }
            contributors[StockKey(producer: entry.producer, product: product, lot: entry.lot ?? ""), default: []].append(record)
        }
        for line in negative {
            let key = StockKey(producer: line.producer, product: line.product, lot: line.lot)
            reports.append(DomainConflictReports.stock(line: line, contributors: contributors[key] ?? []))
        }
        return reports
    }
}

/// The wording of each domain conflict, from the records involved (each list in record
/// order: clock, then event id). Whoever keeps the indexes (`LedgerState` by folding
/// everything, `LedgerFold` as events arrive) calls these, so both say the same thing.
public enum DomainConflictReports {
    static func side(_ record: LedgerRecord) -> ConflictSide {
        ConflictSide(event: record.event, clock: record.clock, detail: record.entry.oneLine, value: nil)
    }

    /// Two or more readable entries carry one id.
    static func duplicate(id: String, records: [LedgerRecord]) -> ConflictReport {
        ConflictReport(
            kind: .duplicateEntry, subject: "entry/\(id)",
            summary: "\(records.count) different entries carry the id \(id)",
            sides: records.map(side),
            suggestion: "both entries count; a void names the id, which they share, so correct a double count with an `adjust`"
        )
    }

    /// What is wrong with the reversals naming `target`, if anything: the entries carrying
    /// that id and the reversals naming it.
    static func reversal(target: String, targets: [LedgerRecord], reversals: [LedgerRecord]) -> ConflictReport? {
        if targets.isEmpty {
            return ConflictReport(
                kind: .unknownReference, subject: "entry/\(target)",
                summary: "\(reversals.count == 1 ? "a reversal names" : "reversals name") entry \(target), which this node does not hold",
                sides: reversals.map(side),
                suggestion: "sync with the node that wrote \(target); if it never existed, void the reversal"
            )
        } else if targets.contains(where: { $0.entry.kind == .reversal }) {
            return ConflictReport(
                kind: .reversalOfReversal, subject: "entry/\(target)",
                summary: "entry \(target) is a reversal and cannot itself be reversed",
                sides: targets.map(side) + reversals.map(side),
                suggestion: "record the original entry again instead of reversing its reversal"
            )
        } else if reversals.count > 1 {
            return ConflictReport(
                kind: .doubleReversal, subject: "entry/\(target)",
                summary: "entry \(target) is reversed \(reversals.count) times; only the first counts",
                sides: reversals.map(side),
                suggestion: "record the entry again if the later reversal meant to cancel something else"
            )
        }
        return nil
    }

    /// What is wrong with the payments settling `sale`, if anything: the entries carrying
    /// that id, whether a reversal names it (`voided`), and the payments that count.
    static func payment(sale: String, sales: [LedgerRecord], voided: Bool, payments: [LedgerRecord]) -> ConflictReport? {
        if sales.isEmpty {
            return ConflictReport(
                kind: .unknownReference, subject: "entry/\(sale)",
                summary: "\(payments.count == 1 ? "a payment settles" : "payments settle") entry \(sale), which this node does not hold",
                sides: payments.map(side),
                suggestion: "sync with the node that wrote \(sale); if the sale never existed, void the payment"
            )
        }
        // A voided entry counts for nothing; a reversal is never voided (LedgerState.isVoided).
        let due = sales.filter { $0.entry.kind == .reversal || !voided }.reduce(Int64(0)) { $0 &+ ($1.entry.amount ?? 0) }
        let paid = payments.reduce(Int64(0)) { $0 &+ ($1.entry.amount ?? 0) }
        guard paid > due else { return nil }
        return ConflictReport(
            kind: .overpayment, subject: "entry/\(sale)/payments",
            summary: "payments for \(sale) total \(Money(cents: paid)) but the sale is \(Money(cents: due))",
            sides: sales.map(side) + payments.map(side),
            suggestion: "void the payment recorded twice, or record the refund of \(Money(cents: paid - due))"
        )
    }

    /// A lot below zero, with every entry that moved it.
    static func stock(line: StockLine, contributors: [LedgerRecord]) -> ConflictReport {
        let shown = line.unit.map { Quantity(line.quantity, $0).description } ?? "\(line.quantity)"
        return ConflictReport(
            kind: .stockBelowZero, subject: "stock/\(line.producer)/\(line.product)/\(line.lot)",
            summary: "lot \(line.lot.isEmpty ? "(none)" : line.lot) of \(line.product) at \(line.producer) is at \(shown)",
            sides: contributors.map(side),
            suggestion: "void the sale or delivery recorded twice, or record an `adjust` for the missing quantity"
        )
    }
}

extension LedgerEntry {
    /// One line for people: `sale F18-000123 2026-03-04 12,5 kg P0042 lot L18-00045 → cantine (45,00 €)`.
    public var oneLine: String {
        var parts = ["\(kind.rawValue) \(id) \(date.iso)"]
        if let quantity {
            parts.append(unit.map { Quantity(quantity, $0).description } ?? "\(quantity)")
        }
        if let product { parts.append(product) }
        if let lot { parts.append("lot \(lot)") }
        if let party { parts.append("party \(party)") }
        if let amount { parts.append("(\(Money(cents: amount)))") }
        if let ref { parts.append("ref \(ref)") }
        return parts.joined(separator: " ")
    }
}
