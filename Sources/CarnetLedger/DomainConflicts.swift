import CarnetCore

extension LedgerState {
    /// Conflicts that only the merged ledger shows: each says what entry would fix it.
    public func domainConflicts() -> [ConflictReport] {
        var reports: [ConflictReport] = []
        reports += duplicateEntryConflicts()
        reports += reversalConflicts()
        reports += paymentConflicts()
        reports += stockConflicts()
        return reports
    }

    private func side(_ record: LedgerRecord) -> ConflictSide {
        ConflictSide(event: record.event, clock: record.clock, detail: record.entry.oneLine, value: nil)
    }

    private func duplicateEntryConflicts() -> [ConflictReport] {
        var seen = Set<String>()
        var reports: [ConflictReport] = []
        for record in records where !seen.contains(record.entry.id) {
            seen.insert(record.entry.id)
            let same = records(withID: record.entry.id)
            guard same.count > 1 else { continue }
            reports.append(ConflictReport(
                kind: .duplicateEntry, subject: "entry/\(record.entry.id)",
                summary: "\(same.count) different entries carry the id \(record.entry.id)",
                sides: same.map(side),
                suggestion: "both entries count; a void names the id, which they share, so correct a double count with an `adjust`"
            ))
        }
        return reports
    }

    private func reversalConflicts() -> [ConflictReport] {
        var reports: [ConflictReport] = []
        var checkedTargets = Set<String>()
        for record in records where record.entry.kind == .reversal {
            guard let target = record.entry.ref else { continue }
            guard !checkedTargets.contains(target) else { continue }
            checkedTargets.insert(target)
            let targets = records(withID: target)
            let reversals = reversals(of: target)
            if targets.isEmpty {
                reports.append(ConflictReport(
                    kind: .unknownReference, subject: "entry/\(target)",
                    summary: "\(reversals.count == 1 ? "a reversal names" : "reversals name") entry \(target), which this node does not hold",
                    sides: reversals.map(side),
                    suggestion: "sync with the node that wrote \(target); if it never existed, void the reversal"
                ))
            } else if targets.contains(where: { $0.entry.kind == .reversal }) {
                reports.append(ConflictReport(
                    kind: .reversalOfReversal, subject: "entry/\(target)",
                    summary: "entry \(target) is a reversal and cannot itself be reversed",
                    sides: targets.map(side) + reversals.map(side),
                    suggestion: "record the original entry again instead of reversing its reversal"
                ))
            } else if reversals.count > 1 {
                reports.append(ConflictReport(
                    kind: .doubleReversal, subject: "entry/\(target)",
                    summary: "entry \(target) is reversed \(reversals.count) times; only the first counts",
                    sides: reversals.map(side),
                    suggestion: "record the entry again if the later reversal meant to cancel something else"
                ))
            }
        }
        return reports
    }

    private func paymentConflicts() -> [ConflictReport] {
        var paymentsBySale: [String: [LedgerRecord]] = [:]
        for record in effectiveRecords where record.entry.kind == .payment {
            if let sale = record.entry.ref { paymentsBySale[sale, default: []].append(record) }
        }
        var reports: [ConflictReport] = []
        for (sale, payments) in paymentsBySale.sorted(by: { $0.key < $1.key }) {
            let sales = records(withID: sale)
            if sales.isEmpty {
                reports.append(ConflictReport(
                    kind: .unknownReference, subject: "entry/\(sale)",
                    summary: "\(payments.count == 1 ? "a payment settles" : "payments settle") entry \(sale), which this node does not hold",
                    sides: payments.map(side),
                    suggestion: "sync with the node that wrote \(sale); if the sale never existed, void the payment"
                ))
                continue
            }
            let due = sales.filter { !isVoided($0) }.reduce(Int64(0)) { $0 &+ ($1.entry.amount ?? 0) }
            let paid = payments.reduce(Int64(0)) { $0 &+ ($1.entry.amount ?? 0) }
            guard paid > due else { continue }
            reports.append(ConflictReport(
                kind: .overpayment, subject: "entry/\(sale)/payments",
                summary: "payments for \(sale) total \(Money(cents: paid)) but the sale is \(Money(cents: due))",
                sides: sales.map(side) + payments.map(side),
                suggestion: "void the payment recorded twice, or record the refund of \(Money(cents: paid - due))"
            ))
        }
        return reports
    }

    private func stockConflicts() -> [ConflictReport] {
        var reports: [ConflictReport] = []
        let negative = stock().filter { $0.quantity < 0 }
        guard !negative.isEmpty else { return [] }
        var contributors: [StockKey: [LedgerRecord]] = [:]
        for record in effectiveRecords {
            let entry = record.entry
            guard entry.kind.stockDirection != nil, let product = entry.product else { continue }
            contributors[StockKey(producer: entry.producer, product: product, lot: entry.lot ?? ""), default: []].append(record)
        }
        for line in negative {
            let key = StockKey(producer: line.producer, product: line.product, lot: line.lot)
            let shown = line.unit.map { Quantity(line.quantity, $0).description } ?? "\(line.quantity)"
            reports.append(ConflictReport(
                kind: .stockBelowZero, subject: "stock/\(line.producer)/\(line.product)/\(line.lot)",
                summary: "lot \(line.lot.isEmpty ? "(none)" : line.lot) of \(line.product) at \(line.producer) is at \(shown)",
                sides: (contributors[key] ?? []).map(side),
                suggestion: "void the sale or delivery recorded twice, or record an `adjust` for the missing quantity"
            ))
        }
        return reports
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
