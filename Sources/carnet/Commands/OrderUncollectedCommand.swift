import CarnetCore
import CarnetLedger

/// `carnet order uncollected ORDER [--loss]`: a drive basket or an order nobody picked
/// up. The sales recorded for it are voided (their goods are back in stock, unsold), and
/// with `--loss` counted as lost (reason `unsold`), for what cannot be sold again.
struct OrderUncollectedCommand: Command {
    static let spec = CommandSpec(
        path: ["order", "uncollected"], summary: "say an order was not picked up: its sales are voided, the goods back in stock or lost",
        arguments: [ArgumentSpec(name: "ORDER", help: "the order id (see `carnet order list`)", identifier: true)],
        options: [
            .flag("--loss", "the goods cannot be sold again: record them as lost (reason unsold) from the lots their sales took"),
            .value("--note", "TEXT", "free text"),
        ],
        discussion: "Writes one `uncollected` entry naming the order, a reversal of each sale that fulfilled it, and with --loss a loss per sale. The order no longer counts as open.",
        examples: ["carnet order uncollected order-1a2b3c4d-17", "carnet order uncollected order-1a2b3c4d-17 --loss --note \"salade\""]
    )

    var order: String
    var loss: Bool
    var note: String?

    init(_ invocation: Invocation) throws {
        order = invocation.arguments[0]
        loss = invocation.flag("--loss")
        note = try invocation.nonEmpty("--note")
    }

    func run(in context: Context) throws {
        var store = try StoreAccess.open(context)
        let state = LedgerState(replica: store.replica)
        guard let found = state.orders.order(order) else {
            throw CLIError.data("unknown order \"\(order)\" (or every line cancelled): see `carnet order list`")
        }
        if let earlier = found.uncollected.first {
            throw CLIError.data("\(order) is already marked not collected (\(earlier.entry.id))")
        }
        let sales = found.lines.flatMap(\.fulfilments).filter { $0.entry.kind == .sale }
        if loss, sales.isEmpty {
            throw CLIError.data("no sale was recorded for \(order), so no goods left a lot: nothing to record as lost (run without --loss)")
        }
        let day = context.today()
        var written: [LedgerEntry] = []
        try store.write(wallMillis: context.wallMillis()) { first, _ in
            var seq = first.seq
            func nextID(_ kind: EntryKind) -> String {
                defer { seq += 1 }
                return EntryIDs.make(kind: kind, node: first.node, seq: seq)
            }
            written = [LedgerEntry(id: nextID(.uncollected), kind: .uncollected, producer: found.seller, date: day,
                                   party: found.buyer, ref: found.id, note: note)]
            for sale in sales {
                written.append(sale.entry.reversal(id: nextID(.reversal), date: day, reason: "order \(found.id) not collected"))
                if loss {
                    written.append(LedgerEntry(id: nextID(.loss), kind: .loss, producer: sale.entry.producer, date: day,
                                               product: sale.entry.product, quantity: sale.entry.quantity, unit: sale.entry.unit,
                                               lot: sale.entry.lot, reason: LossReason.unsold.rawValue,
                                               note: "order \(found.id) not collected"))
                }
            }
            return written.map { .append($0.coreEntry) }
        }
        StoreAccess.afterAppend(&store, context: context)
        let voided = sales.map(\.entry.id)
        context.output.line("\(order) not collected (\(written[0].id))"
            + (voided.isEmpty ? "" : "; voided \(voided.joined(separator: ", "))")
            + (loss ? "; recorded as lost (unsold)" : voided.isEmpty ? "" : "; the goods are back in stock"))
    }
}
