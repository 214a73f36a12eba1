import CarnetLedger

/// `carnet export --csv FILE` or `carnet export --hledger FILE`: every entry as CSV, or as
/// an hledger journal (`JournalExport` in CarnetLedger holds the journal's design), for
/// accounting tools. The file is replaced atomically, and only when the whole export could
/// be made: a refused export writes nothing.
struct ExportCommand: Command {
    static let columns = ["id", "date", "kind", "producer", "product", "quantity", "unit", "lot", "party",
                          "amount_eur", "method", "ref", "ref_kind", "reason", "note", "voided", "voided_by",
                          "node", "clock_utc"]

    static let spec = CommandSpec(
        path: ["export"], summary: "entries as CSV or as an hledger journal, for accounting tools",
        options: [
            .value("--csv", "FILE", "the CSV file to write (replaced atomically)"),
            .value("--hledger", "FILE", "the hledger journal to write (replaced atomically); ledger reads it too"),
        ],
        discussion: """
        Give one of --csv or --hledger.

        CSV: UTF-8, one header row, RFC 4180 quoting, CRLF line ends, oldest entry first.
        Columns: \(columns.joined(separator: ", ")).
        quantity is a whole number in unit (g, ml or pc); amount_eur has a decimal point
        (120.50), so that the comma stays the field separator.

        hledger journal: one transaction per entry, in the ledger's order, described
        "ACTOR | KIND PRODUCT to/from PARTY" and tagged entry:ID, event:NODE:SEQ, hash:SHA256.
        Amounts in EUR from whole cents. Accounts, per actor A and party P: a sale is
        assets:receivable:A:P (VAT included), revenue:sales:A (before VAT) and
        liabilities:vat:collected:A (the VAT); a payment assets:cash:A and
        assets:receivable:A:P; a purchase expenses:purchases:A, assets:vat:deductible:A and
        liabilities:payable:A:P. A reversal is its own transaction with the opposite
        postings of the entry it voids, which stays, tagged voided-by. Harvests, productions,
        deliveries, losses and adjusts move no money: transactions without postings, quantity
        and lot in tags. Accounts and EUR are declared: `hledger -f FILE check -s` passes.
        The balance of assets:receivable:A:P plus that of liabilities:payable:A:P is what
        `carnet balances` shows for A and P.
        In names, any byte but letters, digits, "-", "_" and "." is written %XX (a ":" in a
        party's code is %3A), so no name can split an account or end a comment.
        """,
        examples: ["carnet export --csv ledger-2026.csv", "carnet export --hledger ledger-2026.journal"]
    )

    enum Format { case csv, hledger }

    var file: String
    var format: Format

    init(_ invocation: Invocation) throws {
        switch (invocation.value("--csv"), invocation.value("--hledger")) {
        case let (csv?, nil): (file, format) = (csv, .csv)
        case let (nil, journal?): (file, format) = (journal, .hledger)
        case (nil, nil): throw CLIError.usage("`carnet export` needs --csv FILE or --hledger FILE; see `carnet export --help`")
        case (_?, _?): throw CLIError.usage("`carnet export` writes one file: give --csv FILE or --hledger FILE, not both")
        }
        guard !file.isEmpty else { throw CLIError.usage("--\(format) needs a file name, not empty text") }
    }

    func run(in context: Context) throws {
        let node = try StoreAccess.open(context)
        let view = LedgerView(node.replica)
        if format == .hledger {
            let text = try JournalExport.text(view.state, title: "Carnet ledger \(node.ledger), node \(node.label) (\(node.node.short))")
            try Files.replaceDocument(file, Array(text.utf8))
            context.output.line("wrote \(view.state.records.count) entries to \(file)")
            return
        }
        var text = CSV.record(Self.columns)
        for record in view.state.records {
            let entry = record.entry
            let reversal = view.state.voidingReversal(of: record)
            text += CSV.record([
                entry.id, entry.date.iso, entry.kind.rawValue, entry.producer, entry.product ?? "",
                entry.quantity.map(String.init) ?? "", entry.unit?.rawValue ?? "", entry.lot ?? "", entry.party ?? "",
                entry.amount.map(Self.euros) ?? "", entry.method ?? "", entry.ref ?? "", entry.refKind?.rawValue ?? "",
                entry.reason ?? "", entry.note ?? "", reversal == nil ? "no" : "yes", reversal?.entry.id ?? "",
                record.writer.hex, record.clock.readable,
            ])
        }
        try Files.replaceDocument(file, Array(text.utf8))
        context.output.line("wrote \(view.state.records.count) entries to \(file)")
    }

    /// Cents as `120.50`, `-4.05`.
    static func euros(_ cents: Int64) -> String {
        let sign = cents < 0 ? "-" : ""
        let magnitude = cents.magnitude
        let fraction = magnitude % 100
        return "\(sign)\(magnitude / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
