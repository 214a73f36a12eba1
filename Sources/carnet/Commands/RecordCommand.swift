import CarnetCore
import CarnetLedger
import CarnetNode
import Foundation

/// `carnet record KIND --actor P ...`: appends one ledger entry and prints its id.
struct RecordCommand: Command {
    /// Which flags each kind takes; anything else given is refused, so a flag that would
    /// be silently ignored (`--to` on a harvest) is caught as the mistake it is.
    static let flagsByKind: [EntryKind: (required: [String], optional: [String])] = [
        .harvest: (["--product", "--qty", "--lot"], []),
        .production: (["--product", "--qty", "--lot"], []),
        .delivery: (["--product", "--qty", "--lot", "--to"], ["--order"]),
        .sale: (["--product", "--qty", "--lot", "--to"], ["--price", "--amount", "--vat", "--order"]),
        .purchase: (["--product", "--qty", "--from", "--amount"], ["--lot", "--vat", "--order"]),
        .payment: (["--from", "--amount"], ["--ref", "--method"]),
        .loss: (["--product", "--qty", "--lot"], ["--reason"]),
        .adjust: (["--product", "--qty", "--lot"], ["--reason"]),
    ]
    static let kinds: [EntryKind] = [.harvest, .production, .delivery, .sale, .purchase, .payment, .loss, .adjust]

    static let spec = CommandSpec(
        path: ["record"], summary: "append a ledger entry (harvest, production, delivery, sale, purchase, payment, loss, adjust); prints its id",
        arguments: [ArgumentSpec(name: "KIND", help: kinds.map(\.rawValue).joined(separator: ", "))],
        options: [
            .value("--actor", "P", "who the entry belongs to: a trading party (farm, hub, drive, wholesale, processor, shop); "
                   + "a harvest belongs to a farm, a production to a farm or a processor"),
            .value("--producer", "P", "the same as --actor (its older name)"),
            .value("--date", "YYYY-MM-DD", "the day it happened (default: today)"),
            .value("--product", "SKU", "the product"),
            .value("--qty", "Q", "quantity with its unit: 42kg, 42,5kg, 500g, 12piece, 3l (adjust may be negative)"),
            .value("--lot", "LOT", "the lot: made by a harvest or production, drawn from by the others"),
            .value("--to", "PARTY", "who receives (delivery, sale)"),
            .value("--from", "PARTY", "who sells to the producer (purchase) or pays the producer (payment)"),
            .value("--price", "P", "sale price in euros per kg, litre or piece (default: the catalog price)"),
            .value("--amount", "A", "total in euros, VAT included, e.g. 120 or 3,20"),
            .value("--vat", "RATE", "VAT rate of a sale or purchase in percent (default: the product's, else 5.5, the food rate)"),
            .value("--ref", "ENTRY", "the sale a payment settles"),
            .value("--method", "M", "payment method: cash, card, transfer, cheque"),
            .value("--reason", "R", "why: for a loss one of \(LossReason.allCases.map(\.rawValue).joined(separator: ", ")) (say more with --note); free text for an adjust"),
            .value("--order", "ORDER[:LINE]", "the order line this sale, delivery or purchase fulfils (an order alone: its line for --product, or its only line left); the product, the quantity left, the other side and the agreed price come from the line unless given"),
            .value("--note", "TEXT", "free text"),
            .flag("--force", "record even if the producer, product, lot, party or entry named is not known on this node (made elsewhere, not synced yet)"),
        ],
        discussion: """
        flags per kind:
          harvest, production  --product SKU --qty Q --lot LOT
          delivery             --product SKU --qty Q --lot LOT --to PARTY [--order ORDER:LINE]
          sale                 --product SKU --qty Q --lot LOT --to PARTY [--price P | --amount A] [--vat RATE] [--order ORDER:LINE]
          purchase             --product SKU --qty Q --from PARTY --amount A [--lot LOT] [--vat RATE] [--order ORDER:LINE]
        With --order, --product, --qty, --to/--from and the amount may be left out: they
        come from the order line (the quantity not fulfilled yet).
          payment              --from PARTY --amount A [--ref SALE] [--method cash|card|transfer|cheque]
          loss                 --product SKU --qty Q --lot LOT [--reason unsold|damaged|expired|quality|other]
          adjust               --product SKU --qty Q --lot LOT [--reason TEXT]
        A hub, a drive or a wholesale network trades as a farm does: it buys (purchase, its
        stock grows), holds stock and sells. A payment that settles a sale (--ref) must come
        from the sale's party. Entry ids are <kind>-<node id, 8 hex digits>-<seq>: unique
        across devices without coordination.
        """,
        examples: [
            "carnet record harvest --producer col --product tomme --qty 12kg --lot L-col-07",
            "carnet record sale --producer col --product tomme --qty 8kg --lot L-col-07 --to cantine-jaures --price 24",
            "carnet record payment --producer col --from cantine-jaures --amount 192 --ref sale-1a2b3c4d-12 --method transfer",
            "carnet record purchase --actor hub --product tomme --qty 20kg --from col --amount 400 --lot H-07 --vat 5.5",
        ]
    )

    var kind: EntryKind
    var producer: String
    var date: CalendarDay?
    var product: String?
    var quantity: Quantity?
    var lot: String?
    var party: (id: String, flag: String)?
    var price: Money?
    var amount: Money?
    var vat: Int64?
    var ref: String?
    var method: String?
    var reason: String?
    var note: String?
    var force: Bool
    /// `--order`: an order line `ORDER:LINE`, or an order whose line is found by product.
    var orderText: String?

    init(_ invocation: Invocation) throws {
        let kindText = invocation.arguments[0]
        guard let kind = EntryKind(rawValue: kindText), let flags = Self.flagsByKind[kind] else {
            let hint = Suggestion.closest(to: kindText, among: Self.kinds.map(\.rawValue)).map { "; did you mean `\($0)`?" }
                ?? " (\(Self.kinds.map(\.rawValue).joined(separator: ", ")))"
            throw CLIError.usage("\"\(kindText)\" is not a kind of entry\(hint)")
        }
        self.kind = kind
        let common: Set<String> = ["--actor", "--producer", "--date", "--note", "--force"]
        let allowed = common.union(flags.required).union(flags.optional)
        for name in invocation.values.keys.sorted() + invocation.flags.sorted() where !allowed.contains(name) {
            throw CLIError.usage("\(name) does not apply to a \(kind.rawValue); it takes \(flags.required.joined(separator: " ")) \(flags.optional.map { "[\($0)]" }.joined(separator: " "))")
        }
        orderText = try invocation.nonEmpty("--order")?.precomposedStringWithCanonicalMapping
        let fromOrder: Set<String> = orderText == nil ? [] : ["--product", "--qty", "--to", "--from", "--amount"]
        for name in flags.required where invocation.value(name) == nil && !fromOrder.contains(name) {
            throw CLIError.usage("a \(kind.rawValue) needs \(name) \(Self.spec.option(named: name)?.value ?? ""); see `carnet record --help`")
        }
        let actor = try invocation.nonEmpty("--actor"), producer = try invocation.nonEmpty("--producer")
        if let actor, let producer, actor != producer {
            throw CLIError.usage("--actor \(actor) and --producer \(producer) name two parties; --producer is the older name of --actor, give one")
        }
        guard let named = actor ?? producer else {
            throw CLIError.usage("a \(kind.rawValue) needs --actor PARTY: who it belongs to; see `carnet record --help`")
        }
        self.producer = named
        force = invocation.flag("--force")
        if let text = invocation.value("--date") {
            guard let day = CalendarDay(iso: text) else { throw CLIError.usage("--date \(text) is not a date: write YYYY-MM-DD") }
            date = day
        }
        product = try invocation.nonEmpty("--product")
        lot = try invocation.nonEmpty("--lot")
        if let to = try invocation.nonEmpty("--to") { party = (to, "--to") }
        if let from = try invocation.nonEmpty("--from") { party = (from, "--from") }
        if let text = invocation.value("--qty") {
            let parsed = try Quantity(parsing: text)
            guard parsed.amount != 0, parsed.amount > 0 || kind == .adjust else {
                throw CLIError.data("--qty \(text): a \(kind.rawValue) needs a quantity above zero\(kind == .adjust ? "" : " (only an adjust may be negative)")")
            }
            quantity = parsed
        }
        price = try Self.money(invocation, "--price")
        amount = try Self.money(invocation, "--amount")
        if price != nil, amount != nil { throw CLIError.usage("give --price or --amount, not both") }
        ref = try invocation.nonEmpty("--ref")
        if let text = invocation.value("--method") {
            guard let method = PaymentMethod(rawValue: text) else {
                throw CLIError.usage("--method \(text) is not a payment method (cash, card, transfer, cheque)")
            }
            self.method = method.rawValue
        }
        if let rateText = invocation.value("--vat") {
            guard let rate = VAT.parseRate(rateText) else {
                throw CLIError.usage("--vat \(rateText) is not a VAT rate: write a percentage such as 5.5, 10 or 20")
            }
            vat = rate
        }
        reason = try invocation.nonEmpty("--reason")
        if kind == .loss, let reason, LossReason(rawValue: reason) == nil {
            let hint = Suggestion.closest(to: reason, among: LossReason.allCases.map(\.rawValue)).map { "; did you mean \($0)?" } ?? ""
            throw CLIError.usage("--reason \(reason) is not a reason for a loss (\(LossReason.allCases.map(\.rawValue).joined(separator: ", ")); say more with --note)\(hint)")
        }
        note = try invocation.nonEmpty("--note")
    }

    private static func money(_ invocation: Invocation, _ name: String) throws -> Money? {
        guard let text = invocation.value(name) else { return nil }
        guard let money = Money(euros: text) else { throw CLIError.data("\(name) \(text) is not an amount in euros, e.g. 120 or 3,20") }
        guard money.cents > 0 else { throw CLIError.data("\(name) must be above zero") }
        return money
    }

    func run(in context: Context) throws {
        if ref == nil || kind == .payment, orderText == nil, try runFromTheFilesBesideTheLog(context) { return }
        // An entry that names another (a sale it settles, an order line) changes conflicts
        // the views alone cannot tell: it is folded with every event, from a warm store.
        var store = try StoreAccess.openAddingToViewsFile(context, foldIsCertain: ref != nil || orderText != nil)
        try RoleCheck.require(.producer(producer), store: store, context: context)
        let view = LedgerView(store.replica)
        // The lots as the views file holds them: the usual lot check reads no entry.
        let check = ReferenceCheck(view: view, force: force, lots: store.lotProductsOfViewsFile)
        var product = product, quantity = quantity, party = party, amount = amount
        let orderLine = try orderText.map { try OrderFulfilment.line(named: $0, product: product, state: view.state, force: force) }
        if let orderLine {
            let filled = try OrderFulfilment.fill(kind: kind, actor: producer, line: orderLine, state: view.state, force: force,
                                                  product: product, quantity: quantity, party: party?.id)
            product = filled.product
            quantity = filled.quantity
            party = filled.party.map { ($0, kind == .purchase ? "--from" : "--to") }
            if amount == nil, price == nil { amount = filled.amount }
        }
        let prepared = try prepare(Prepared(product: product, quantity: quantity, party: party, total: amount,
                                            order: orderLine.map { ($0.order, $0.line) }),
                                   catalog: view.catalog, check: check)
        // The id names the event that carries it: made under the store's lock, so that
        // another process writing at the same moment cannot take the same one.
        let day = date ?? context.today()
        var entry: LedgerEntry?
        try store.write(wallMillis: context.wallMillis()) { first, _ in
            let made = prepared.entry(of: self, first: first, day: day)
            entry = made
            return [.append(made.coreEntry)]
        }
        StoreAccess.afterAppend(&store, context: context)
        context.output.line(entry!.id)
    }

    /// The usual entry, written from the status file, the views file and the entry index
    /// alone (`EntryAppender`): the replica is never loaded. False, with nothing written,
    /// when those files cannot tell (then the node is opened, as before): a check that
    /// needs the entries (an unknown lot), an entry the views cannot take, or files that
    /// are not current.
    private func runFromTheFilesBesideTheLog(_ context: Context) throws -> Bool {
        // Only the stock lines of its product, the lines of its lot and of the sale it pays are read.
        let part = ViewsPart(products: product.map { [$0] } ?? [],
                             lots: lot.map { [ViewsPart.Lot(producer: producer, lot: $0)] } ?? [], sales: ref.map { [$0] } ?? [])
        guard var appender = EntryAppender.open(directory: context.directory, wallMillis: context.wallMillis(), part: part) else {
            return false
        }
        for notice in appender.openingNotices { context.output.warn(notice) }
        guard let prepared = try prepare(from: appender) else { return false }
        let day = date ?? context.today()
        var entry: LedgerEntry?
        let written = try appender.write(wallMillis: context.wallMillis()) { first in
            let made = prepared.entry(of: self, first: first, day: day)
            entry = made
            return [.append(made.coreEntry)]
        }
        guard written != nil, let entry else { return false }
        for warning in appender.saveDerivedState() { context.output.warn(warning) }
        context.output.line(entry.id)
        return true
    }

    /// The entry prepared from the appender's views; nil when a check needs the entries.
    /// A function of its own, so that no copy of the views outlives it: the appender then
    /// adds to the only one, in place.
    private func prepare(from appender: borrowing EntryAppender) throws -> Prepared? {
        guard let views = appender.views else { return nil }
        var check = ReferenceCheck(catalog: views.catalog, lots: views.lotProducts, force: force)
        if let ref {
            // The sale a payment settles, from the entry index.
            guard let found = appender.records(withID: ref) else { return nil }
            check.entriesByID[ref] = found
        }
        do {
            return try prepare(Prepared(product: product, quantity: quantity, party: party, total: amount, order: nil),
                               catalog: views.catalog, check: check)
        } catch is ReferenceCheck.NeedsEntries {
            return nil
        }
    }

    /// What an entry holds beyond its flags: the order line's values filled in, the total,
    /// the VAT rate and the labels of the catalog.
    private struct Prepared {
        var product: String?
        var quantity: Quantity?
        var party: (id: String, flag: String)?
        var total: Money?
        var order: (order: String, line: Int64)?
        var rate: Int64?
        var labels: String?
        var family: String?

        init(product: String?, quantity: Quantity?, party: (id: String, flag: String)?, total: Money?,
             order: (order: String, line: Int64)?) {
            self.product = product
            self.quantity = quantity
            self.party = party
            self.total = total
            self.order = order
        }

        func entry(of command: RecordCommand, first: Dot, day: CalendarDay) -> LedgerEntry {
            LedgerEntry(
                id: EntryIDs.make(kind: command.kind, node: first.node, seq: first.seq), kind: command.kind,
                producer: command.producer, date: day, product: product, quantity: quantity?.amount, unit: quantity?.unit,
                lot: command.lot, party: party?.id, amount: total?.cents, vat: rate,
                labels: labels, family: family, method: command.method, ref: command.ref,
                order: order?.order, line: order?.line, reason: command.reason, note: command.note
            )
        }
    }

    /// The checks of the entry's references (`check`) and what the catalog adds to it.
    private func prepare(_ given: Prepared, catalog: Catalog, check: ReferenceCheck) throws -> Prepared {
        var prepared = given
        let product = given.product, quantity = given.quantity, party = given.party
        if kind.movesStock, product == nil || quantity == nil {
            throw CLIError.usage("a \(kind.rawValue) needs --product and --qty; see `carnet record --help`")
        }
        if kind == .delivery || kind == .sale || kind == .purchase, party == nil {
            throw CLIError.usage("a \(kind.rawValue) needs \(kind == .purchase ? "--from" : "--to") PARTY; see `carnet record --help`")
        }
        if kind == .purchase, given.total == nil {
            throw CLIError.usage("a purchase needs --amount A (the order line has no agreed price)")
        }
        try check.actor(producer, for: kind)
        if let product { try check.product(product, quantity: quantity) }
        if let lot, let product, kind != .harvest, kind != .production, kind != .purchase {
            try check.lot(lot, producer: producer, product: product)
        }
        if let party { try check.party(party.id, flag: party.flag) }
        if let ref {
            try check.entry(ref, flag: "--ref")
            if kind == .payment, let payer = party?.id { try check.payment(settling: ref, from: payer, actor: producer) }
        }
        prepared.rate = kind == .sale || kind == .purchase
            ? vat ?? product.flatMap { catalog.product($0)?.int(ProductField.vat.rawValue) } ?? VAT.foodRate
            : nil
        if kind == .sale, given.total == nil, let quantity, let product {
            let unitPrice = price ?? catalog.product(product)?.int(ProductField.price.rawValue).map(Money.init(cents:))
            guard let unitPrice else {
                throw CLIError.usage("the catalog has no price for \(product): give --price (per \(quantity.unit.priceBasisName)) or --amount")
            }
            prepared.total = Money.total(quantity: quantity.amount, unit: quantity.unit, pricePerBasis: unitPrice)
        }
        // What the product is labelled as now, kept with the sale or purchase (SPEC §10.3).
        if kind == .sale || kind == .purchase {
            prepared.labels = product.flatMap { catalog.product($0)?.text(ProductField.labels.rawValue) }.flatMap { $0.isEmpty ? nil : $0 }
            prepared.family = product.flatMap { catalog.product($0)?.text(ProductField.family.rawValue) }
        }
        return prepared
    }
}
