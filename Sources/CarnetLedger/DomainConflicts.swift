import CarnetCore

extension LedgerState {
    /// Conflicts that only the merged ledger shows: each says what entry would fix it.
    /// Made by `DomainConflictReports` from this state's indexes, as `LedgerFold` makes
    /// them from its own: one wording, two ways of keeping the indexes.
    /// `stock` and `availability`, when given, are this state's (each folds every entry).
    public func domainConflicts(stock: [StockLine]? = nil, availability: [Availability]? = nil) -> [ConflictReport] {
        let stock = stock ?? self.stock()
        let availability = availability ?? self.availability(stock: stock)
        var reports: [ConflictReport] = []
        var seen = Set<ExactString>()
        for record in records where !seen.contains(ExactString(record.entry.id)) {
            seen.insert(ExactString(record.entry.id))
            let same = records(withID: record.entry.id)
            if let report = DomainConflictReports.duplicate(id: record.entry.id, records: same, isVoided: isVoided) {
                reports.append(report)
            }
        }
        var checkedTargets = Set<ExactString>()
        for record in records where record.entry.kind == .reversal {
            guard let target = record.entry.ref, !checkedTargets.contains(ExactString(target)) else { continue }
            checkedTargets.insert(ExactString(target))
            reports += DomainConflictReports.reversal(target: target, targets: records(withID: target),
                                                      reversals: reversals(of: target))
        }
        var paymentsBySale: [ExactString: [LedgerRecord]] = [:]
        for record in effectiveRecords where record.entry.kind == .payment {
            if let sale = record.entry.ref { paymentsBySale[ExactString(sale), default: []].append(record) }
        }
        for (sale, payments) in paymentsBySale.sorted(by: { $0.key < $1.key }) {
            if let report = DomainConflictReports.payment(sale: sale.text, sales: records(withID: sale.text),
                                                          isVoided: isVoided, payments: payments) {
                reports.append(report)
            }
        }
        reports += orders.conflicts(availability: availability, isHeld: { !records(withID: $0).isEmpty })
        reports += DomainConflictReports.membership(setAsideEvents)
        let negative = stock.filter { $0.quantity < 0 }
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

extension LedgerState {
    /// The ids payments that count name and no entry that counts carries, in byte order
    /// (`LedgerViews.unheldPaymentTargets`).
    public func unheldPaymentTargets() -> [String] {
        var targets = Set<ExactString>()
        for record in effectiveRecords where record.entry.kind == .payment {
            if let sale = record.entry.ref, records(withID: sale).isEmpty { targets.insert(ExactString(sale)) }
        }
        return targets.sorted().map(\.text)
    }
}

/// The wording of each domain conflict, from the records involved (each list in record
/// order: clock, then event id). Whoever keeps the indexes (`LedgerState` by folding
/// everything, `LedgerFold` as events arrive) calls these, so both say the same thing.
public enum DomainConflictReports {
    static func side(_ record: LedgerRecord) -> ConflictSide {
        ConflictSide(event: record.event, clock: record.clock, detail: record.entry.oneLine, value: nil)
    }

    /// The command that marks a conflict as seen (`ConflictReviews`).
    static func reviewCommand(_ kind: ConflictKind, _ subject: String) -> String {
        "`carnet resolve \(ConflictID.make(kind: kind.rawValue, subject: subject)) --reviewed`"
    }

    /// Two or more entries carry one id and are not voided: both count until one is voided
    /// by its event, or a person says both are meant.
    static func duplicate(id: String, records: [LedgerRecord], isVoided: (LedgerRecord) -> Bool) -> ConflictReport? {
        let counting = records.filter { !isVoided($0) }
        guard counting.count > 1 else { return nil }
        let subject = "entry/\(id)"
        return ConflictReport(
            kind: .duplicateEntry, subject: subject,
            summary: "\(counting.count) different entries carry the id \(id)",
            sides: counting.map(side),
            suggestion: "both count; void the one recorded by mistake with `carnet void \(id) --event N` (N as listed), "
                + "or say both are meant with \(reviewCommand(.duplicateEntry, subject))"
        )
    }

    /// What is wrong with the reversals naming `target`, if anything: the entries carrying
    /// that id and the reversals naming it.
    static func reversal(target: String, targets: [LedgerRecord], reversals: [LedgerRecord]) -> [ConflictReport] {
        let subject = "entry/\(target)"
        if targets.isEmpty {
            return [ConflictReport(
                kind: .unknownReference, subject: subject,
                summary: "\(reversals.count == 1 ? "a reversal names" : "reversals name") entry \(target), which this node does not hold",
                sides: reversals.map(side),
                suggestion: "sync with the node that wrote \(target); if it never existed, the reversal counts for nothing: "
                    + "say so with \(reviewCommand(.unknownReference, subject))"
            )]
        }
        if targets.contains(where: { $0.entry.kind == .reversal }) {
            return [ConflictReport(
                kind: .reversalOfReversal, subject: subject,
                summary: "entry \(target) is a reversal and cannot itself be reversed",
                sides: targets.map(side) + reversals.map(side),
                suggestion: "the second reversal counts for nothing: record the original entry again if it should count, "
                    + "then \(reviewCommand(.reversalOfReversal, subject))"
            )]
        }
        var reports: [ConflictReport] = []
        let strays = reversals.filter { reversal in !targets.contains { reversal.entry.cancels($0) } }
        if !strays.isEmpty {
            reports.append(ConflictReport(
                kind: .unknownReference, subject: subject,
                summary: "\(strays.count == 1 ? "a reversal names an event" : "reversals name events") of entry \(target) that this node does not hold, "
                    + "or an entry of another producer",
                sides: strays.map(side),
                suggestion: "sync with the node that wrote \(target); if that entry never existed, the reversal counts for nothing: "
                    + "say so with \(reviewCommand(.unknownReference, subject))"
            ))
        }
        let twice = reversals.filter { reversal in
            targets.contains { target in reversal.entry.cancels(target) && reversals.filter { $0.entry.cancels(target) }.count > 1 }
        }
        if !twice.isEmpty {
            reports.append(ConflictReport(
                kind: .doubleReversal, subject: subject,
                summary: "entry \(target) is reversed \(twice.count) times; only the first counts",
                sides: twice.map(side),
                suggestion: "record the entry again if the later reversal meant to cancel something else; "
                    + "if not, \(reviewCommand(.doubleReversal, subject))"
            ))
        }
        return reports
    }

    /// What is wrong with the payments settling `sale`, if anything: the entries carrying
    /// that id, which of them a reversal cancels, and the payments that count.
    static func payment(sale: String, sales: [LedgerRecord], isVoided: (LedgerRecord) -> Bool,
                        payments: [LedgerRecord]) -> ConflictReport? {
        if sales.isEmpty {
            let subject = "entry/\(sale)/payments"
            return ConflictReport(
                kind: .unknownReference, subject: subject,
                summary: "\(payments.count == 1 ? "a payment settles" : "payments settle") entry \(sale), which this node does not hold",
                sides: payments.map(side),
                suggestion: "sync with the node that wrote \(sale); if the sale never existed, void the payment"
            )
        }
        // A voided entry counts for nothing; a reversal is never voided (LedgerState.isVoided).
        let due = sales.filter { !isVoided($0) }.reduce(Int64(0)) { $0 &+ ($1.entry.amount ?? 0) }
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
