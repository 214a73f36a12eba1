import Foundation
import CarnetCore
import CarnetLedger

/// `carnet order create --buyer B --seller S --line SKU:QTY[:PRICE]... --date D`: a
/// canteen's weekly order or a drive customer's basket, one entry per line, so that each
/// line can be fulfilled, counted against stock and checked on every node.
struct OrderCreateCommand: Command {
    static let spec = CommandSpec(
        path: ["order", "create"], summary: "record an order: a buyer asks a seller for products by a day; prints the order id",
        options: [
            .value("--buyer", "PARTY", "who orders: a canteen, a drive customer, a shop, the hub", required: true),
            .value("--seller", "PARTY", "who is asked: a farm, the hub, a drive, a wholesale network (a party that trades)", required: true),
            OptionSpec(name: "--line", value: "SKU:QTY[:PRICE]",
                       help: "a line: the product, the quantity with its unit, and the agreed price in euros per kg, litre or piece "
                           + "(default: the catalog's); once per line", required: true, repeatable: true),
            .value("--date", "YYYY-MM-DD", "the delivery or pick-up day", required: true),
            .value("--note", "TEXT", "free text (a pick-up slot, a delivery address)"),
            .flag("--force", "record even if a party or product named is not known on this node (made elsewhere, not synced yet)"),
        ],
        discussion: """
        Each line is an entry ORDER:N (N from 1). A sale, delivery or purchase recorded with
        `--order ORDER:N` fulfils it. `carnet order cancel ORDER` cancels the lines not
        fulfilled yet; `carnet order uncollected ORDER` says a basket was not picked up;
        `carnet order list` shows each order and what fulfilled it. `carnet conflicts`
        shows a line fulfilled twice, more fulfilled than ordered, and open orders beyond
        the stock the producers hold.
        """,
        examples: ["carnet order create --buyer cantine-jaures --seller hub --line tomme:12kg --line miel:20piece:6,5 --date 2026-06-08"]
    )

    var buyer: String
    var seller: String
    var lines: [(product: String, quantity: Quantity, price: Money?)]
    var date: CalendarDay
    var note: String?
    var force: Bool

    init(_ invocation: Invocation) throws {
        buyer = try invocation.nonEmpty("--buyer")!
        seller = try invocation.nonEmpty("--seller")!
        guard let day = CalendarDay(iso: invocation.value("--date")!) else {
            throw CLIError.usage("--date \(invocation.value("--date")!) is not a date: write YYYY-MM-DD")
        }
        date = day
        lines = try (invocation.values["--line"] ?? []).map(Self.parseLine)
        note = try invocation.nonEmpty("--note")
        force = invocation.flag("--force")
    }

    /// `SKU:QTY[:PRICE]`, read from the right so that a SKU may hold a colon.
    static func parseLine(_ text: String) throws -> (product: String, quantity: Quantity, price: Money?) {
        var parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2 else { throw CLIError.usage("--line \(text): write SKU:QTY or SKU:QTY:PRICE, e.g. tomme:12kg:24") }
        var price: Money?
        if parts.count >= 3, (try? Quantity(parsing: parts[parts.count - 1])) == nil {
            guard let money = Money(euros: parts.removeLast()), money.cents > 0 else {
                throw CLIError.usage("--line \(text): the price is not an amount in euros above zero, e.g. 24 or 6,50")
            }
            price = money
        }
        let quantityText = parts.removeLast()
        let quantity: Quantity
        do {
            quantity = try Quantity(parsing: quantityText)
        } catch {
            throw CLIError.usage("--line \(text): \(error.message)")
        }
        guard quantity.amount > 0 else { throw CLIError.usage("--line \(text): an order asks for a quantity above zero") }
        let product = parts.joined(separator: ":")
        guard !product.isEmpty else { throw CLIError.usage("--line \(text): the product is missing before the quantity") }
        return (product.precomposedStringWithCanonicalMapping, quantity, price)
    }

    func run(in context: Context) throws {
        var store = try StoreAccess.open(context)
        let view = LedgerView(store.replica)
        let check = ReferenceCheck(view: view, force: force)
        try check.actor(seller, for: .order)
        try check.party(buyer, flag: "--buyer")
        var priced: [(product: String, quantity: Quantity, amount: Money?)] = []
        for line in lines {
            try check.product(line.product, quantity: line.quantity)
            let unitPrice = line.price ?? view.catalog.product(line.product)?.int(ProductField.price.rawValue).map(Money.init(cents:))
            priced.append((line.product, line.quantity,
                           unitPrice.map { Money.total(quantity: line.quantity.amount, unit: line.quantity.unit, pricePerBasis: $0) }))
        }
        var orderID = ""
        try store.write(wallMillis: context.wallMillis()) { first, _ in
            orderID = EntryIDs.make(kind: .order, node: first.node, seq: first.seq)
            return priced.enumerated().map { index, line in
                let number = Int64(index + 1)
                let entry = LedgerEntry(id: OrderLineID.make(order: orderID, line: number), kind: .order, producer: seller,
                                        date: date, product: line.product, quantity: line.quantity.amount, unit: line.quantity.unit,
                                        party: buyer, amount: line.amount?.cents, order: orderID, line: number,
                                        note: index == 0 ? note : nil)
                return .append(entry.coreEntry)
            }
        }
        StoreAccess.afterAppend(&store, context: context)
        context.output.line(orderID)
    }
}
