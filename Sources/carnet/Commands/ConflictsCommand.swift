import CarnetLedger

/// `carnet conflicts [--json]`: every open conflict, with all sides.
struct ConflictsCommand: Command {
    static let spec = CommandSpec(
        path: ["conflicts"], summary: "every open conflict: field conflicts, domain conflicts, forks",
        options: [.json],
        discussion: """
        field: concurrent edits left several values (settle with `carnet resolve ID --keep N`).
        stock-below-zero, double-reversal, reversal-of-reversal, unknown-reference, overpayment,
        duplicate-entry: the merged ledger says something impossible; each says which entry
        would fix it. fork: a device restored from a backup reused sequence numbers.
        order-fulfilled-twice, order-overfilled, orders-beyond-availability: an order line
        fulfilled twice or in excess, or open orders asking more than the producers hold.
        What no entry can undo (a fork, a reversal conflict, a duplicate id meant to stand,
        orders beyond stock) is settled by `carnet resolve ID --reviewed`: it stays settled
        until a side it did not see arrives. Settling writes an event with its author
        (`carnet log --changes`). Ids are the same on every node holding the same events.
        JSON: an array of {id, kind, subject, summary, suggestion, values (field) or events
        (others): [{index, node, label, clock, clockMillis, clockAhead, event, detail, value}]}.
        A side marked "clock?" (clockAhead) was stamped more than 5 minutes ahead of this
        machine's clock: its writer's clock was wrong.
        """,
        examples: ["carnet conflicts", "carnet conflicts --json"]
    )

    var json: Bool

    init(_ invocation: Invocation) throws {
        json = invocation.flag("--json")
    }

    func run(in context: Context) throws {
        let views = try ViewsAccess.read(context, parts: [.conflicts, .catalog, .labels])
        let reports = views.conflicts
        if json {
            // Written as it is made: the whole array at 1M events is 15,000 values and 17 MB.
            var stream = JSONArrayStream(context.output)
            for report in reports { stream.append(ConflictForms.json(report, views: views)) }
            stream.finish()
            return
        }
        guard !reports.isEmpty else {
            context.output.line("no open conflicts")
            return
        }
        var stream = LineStream(context.output)
        for (index, report) in reports.enumerated() {
            if index > 0 { stream.line() }
            ConflictForms.lines(report, views: views, output: context.output) { stream.line($0) }
        }
        stream.finish()
    }
}
