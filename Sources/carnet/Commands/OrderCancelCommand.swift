import CarnetCore
import CarnetLedger

/// `carnet order cancel ORDER`: voids every line of the order that nothing fulfilled yet,
/// so the order asks for nothing more; lines already fulfilled stand, and are named.
struct OrderCancelCommand: Command {
    static let spec = CommandSpec(
        path: ["order", "cancel"], summary: "cancel an order's lines that nothing fulfilled yet",
        arguments: [ArgumentSpec(name: "ORDER", help: "the order id `order create` printed (see `carnet order list`)", identifier: true)],
        options: [.value("--reason", "TEXT", "why (default: \"order cancelled\")")],
        discussion: "Each cancelled line gets a reversal (shown by `carnet log`). A line already fulfilled, even in part, is kept: void its sale or delivery first if it did not happen.",
        examples: ["carnet order cancel order-1a2b3c4d-17 --reason \"cantine fermée\""]
    )

    var order: String
    var reason: String

    init(_ invocation: Invocation) throws {
        order = invocation.arguments[0]
        reason = try invocation.nonEmpty("--reason") ?? "order cancelled"
    }

    func run(in context: Context) throws {
        var store = try StoreAccess.open(context)
        let state = LedgerState(replica: store.replica)
        guard let found = state.orders.order(order) else {
            let cancelled = state.records.contains { $0.entry.kind == .order && $0.entry.order.map(ExactString.init) == ExactString(order) }
            throw CLIError.data(cancelled ? "order \(order) is already cancelled" : "unknown order \"\(order)\": see `carnet order list`")
        }
        let open = found.lines.filter(\.fulfilments.isEmpty)
        let kept = found.lines.filter { !$0.fulfilments.isEmpty }.map(\.id)
        guard !open.isEmpty else {
            throw CLIError.data("every line of \(order) is fulfilled (\(kept.joined(separator: ", "))): void what did not happen, then cancel")
        }
        let day = context.today()
        try store.write(wallMillis: context.wallMillis()) { first, _ in
            open.enumerated().map { index, line in
                .append(line.line.entry.reversal(id: EntryIDs.make(kind: .reversal, node: first.node, seq: first.seq + UInt64(index)),
                                                 date: day, reason: reason).coreEntry)
            }
        }
        StoreAccess.afterAppend(&store, context: context)
        context.output.line("cancelled \(open.count) line\(open.count == 1 ? "" : "s") of \(order)"
                            + (kept.isEmpty ? "" : "; kept, already fulfilled: \(kept.joined(separator: ", "))"))
    }
}
