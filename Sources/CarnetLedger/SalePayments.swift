import CarnetCore

/// What the payments that count have paid towards one sale id (their `ref`): what a writer
/// checks a new payment against without reading the payments, since payments beyond what a
/// sale is worth are a conflict (`overpayment`, 10.5). Kept for every id a payment names,
/// held or not, the amounts summed (a payment without an amount adds nothing).
public struct SalePayments: Hashable, Sendable {
    public var sale: String
    public var paid: Int64

    public init(sale: String, paid: Int64) {
        self.sale = sale
        self.paid = paid
    }

    /// One line per id `payments` name, in byte order of the id.
    static func of(_ payments: some Sequence<(sale: ExactString, amount: Int64)>) -> [SalePayments] {
        var paid: [ExactString: Int64] = [:]
        for payment in payments { paid[payment.sale, default: 0] &+= payment.amount }
        return paid.sorted { $0.key < $1.key }.map { SalePayments(sale: $0.key.text, paid: $0.value) }
    }
}

extension LedgerState {
    /// What the payments that count paid towards each id they name (`LedgerViews.salePayments`).
    public func salePayments() -> [SalePayments] {
        SalePayments.of(effectiveRecords.lazy.compactMap { record in
            guard record.entry.kind == .payment, let sale = record.entry.ref else { return nil }
            return (ExactString(sale), record.entry.amount ?? 0)
        })
    }
}
