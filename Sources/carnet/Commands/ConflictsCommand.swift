import CarnetLedger
import CarnetNode

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
        // From the file, each conflict decoded as it is printed: the section is read through
        // once first, so that one that does not decode makes the file ignored (SPEC §6.5)
        // before a line is printed. Otherwise the store is opened and folded.
        guard let (views, section) = LedgerViewsFile.currentWithConflictBytes(directory: context.directory,
                                                                              parts: [.catalog, .labels]),
              LedgerViewsFile.eachConflict(in: section, { _ in }) else {
            let views = try ViewsAccess.read(context, parts: [.conflicts, .catalog, .labels])
            show(views, context.output) { body in views.conflicts.forEach(body); return true }
            return
        }
        show(views, context.output) { body in LedgerViewsFile.eachConflict(in: section, body) }
    }

    /// Prints the conflicts `each` gives (it calls its argument with each, in order), as
    /// `--json` or as text.
    private func show(_ views: LedgerViews, _ output: Output, _ each: ((ConflictReport) -> Void) -> Bool) {
        if json {
            // Written as it is made: the whole array at 1M events is 15,000 values and 17 MB.
            var stream = JSONArrayStream(output)
            _ = each { stream.append(ConflictForms.json($0, views: views)) }
            stream.finish()
            return
        }
        var stream = LineStream(output)
        var count = 0
        _ = each { report in
            if count > 0 { stream.line() }
            count += 1
            ConflictForms.lines(report, views: views, output: output) { stream.line($0) }
        }
        if count == 0 { stream.line("no open conflicts") }
        stream.finish()
    }
}
