import CarnetCore
import CarnetLedger

/// What `record --order ORDER:LINE` takes from the line: the product, the quantity not
/// fulfilled yet, the other side and the agreed amount for that quantity, each only where
/// the command line left it out, and the checks that keep a fulfilment true to its order
/// (`--force` skips them, for a line made elsewhere and not synced yet).
enum OrderFulfilment {
    struct Filled {
        var product: String?
        var quantity: Quantity?
        var party: String?
        var amount: Money?
    }

    /// The line `--order` names: `ORDER:LINE`, or an order alone when one of its lines not
    /// yet fulfilled is for `product` (or it has one such line). Unknown orders pass
    /// through as written, for `fill` to refuse or `--force` to keep.
    static func line(named text: String, product: String?, state: LedgerState, force: Bool) throws -> (order: String, line: Int64) {
        let orders = state.orders.orders()
        let parsed = OrderLineID.parse(text)
        if let parsed, orders.contains(where: { ExactString($0.id) == ExactString(parsed.order) }) || force { return parsed }
        guard let order = orders.first(where: { ExactString($0.id) == ExactString(text) }) else {
            if let parsed { return parsed }
            throw CLIError.data("--order \(text) names no order here: write ORDER or ORDER:LINE as `carnet order list` shows them"
                                + " (or add --force if another node took the order and has not synced yet)")
        }
        let open = order.lines.filter { $0.fulfilled < $0.ordered && (product == nil || ExactString($0.line.entry.product ?? "") == ExactString(product!)) }
        guard open.count == 1 else {
            let lines = order.lines.map { "\($0.id) (\($0.line.entry.product ?? "?"))" }.joined(separator: ", ")
            throw CLIError.usage(open.isEmpty
                ? "order \(order.id) has no line left to fulfil\(product.map { " for \($0)" } ?? ""): \(lines)"
                : "order \(order.id) has \(open.count) lines to fulfil; name one: \(lines)")
        }
        return (order.id, open[0].number)
    }

    static func fill(kind: EntryKind, actor: String, line id: (order: String, line: Int64), state: LedgerState, force: Bool,
                     product: String?, quantity: Quantity?, party: String?) throws -> Filled {
        let lineID = OrderLineID.make(order: id.order, line: id.line)
        let order = state.orders.order(id.order)
        guard let status = order?.lines.first(where: { ExactString($0.id) == ExactString(lineID) }) else {
            if force { return Filled(product: product, quantity: quantity, party: party, amount: nil) }
            let held = !state.records(withID: lineID).isEmpty
            throw CLIError.data(held ? "order line \(lineID) was cancelled: record it without --order, or order again"
                                     : "unknown order line \"\(lineID)\": see `carnet order list`"
                                         + " (or add --force if another node took the order and has not synced yet)")
        }
        let line = status.line.entry
        guard let order, !order.isUncollected || force else {
            throw CLIError.data("order \(id.order) was marked not collected; record this without --order")
        }
        // The seller sells and delivers; the buyer purchases.
        let (side, other) = kind == .purchase ? (order.buyer, order.seller) : (order.seller, order.buyer)
        guard ExactString(actor) == ExactString(side) || force else {
            throw CLIError.data("order \(id.order) is \(order.buyer)'s order to \(order.seller): a \(kind.rawValue) fulfilling it "
                                + "belongs to \(side) (--actor \(side))")
        }
        if let party, ExactString(party) != ExactString(other), !force {
            throw CLIError.data("order \(id.order) is between \(order.seller) and \(order.buyer): the other side of this \(kind.rawValue) is \(other), not \(party)")
        }
        if let product, ExactString(product) != ExactString(line.product ?? ""), !force {
            throw CLIError.data("order line \(lineID) is for \(line.product ?? "?"), not \(product)")
        }
        let left = status.ordered - status.fulfilled
        guard left > 0 || force else {
            throw CLIError.data("order line \(lineID) is fulfilled already (by \(status.fulfilments.map(\.entry.id).joined(separator: ", "))); "
                                + "record this without --order, or void the entry that did not happen")
        }
        if let quantity, let unit = line.unit, quantity.unit != unit, !force {
            throw CLIError.data("order line \(lineID) counts \(unit.priceBasisName)s; give --qty in that unit")
        }
        let chosen = quantity ?? line.unit.map { Quantity(max(left, 0), $0) }
        var amount: Money?
        if let agreed = line.amount, let chosen, let ordered = line.quantity, ordered > 0 {
            amount = Money(cents: (agreed * chosen.amount + ordered / 2) / ordered)
        }
        return Filled(product: product ?? line.product, quantity: chosen, party: party ?? other, amount: amount)
    }
}
