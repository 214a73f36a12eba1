import CarnetLedger

/// `carnet export --csv FILE`: every entry as CSV, for accounting tools.
struct ExportCommand: Command {
    static let columns = ["id", "date", "kind", "producer", "product", "quantity", "unit", "lot", "party",
                          "amount_eur", "method", "ref", "ref_kind", "reason", "note", "voided", "voided_by",
                          "node", "clock_utc"]

    static let spec = CommandSpec(
        path: ["export"], summary: "entries as CSV for accounting tools",
        options: [.value("--csv", "FILE", "the CSV file to write (replaced atomically)", required: true)],
        discussion: """
        UTF-8, one header row, RFC 4180 quoting, CRLF line ends, oldest entry first. Columns:
        \(columns.joined(separator: ", ")).
        quantity is a whole number in unit (g, ml or pc); amount_eur has a decimal point
        (120.50), so that the comma stays the field separator.
        """,
        examples: ["carnet export --csv ledger-2026.csv"]
    )

    var file: String

    init(_ invocation: Invocation) throws {
        file = try invocation.required("--csv")
    }

    func run(in context: Context) throws {
        let view = try LedgerView.read(context)
        var text = CSV.record(Self.columns)
        for record in view.state.records {
            let entry = record.entry
            let reversal = entry.kind == .reversal ? nil : view.state.reversals(of: entry.id).first
            text += CSV.record([
                entry.id, entry.date.iso, entry.kind.rawValue, entry.producer, entry.product ?? "",
                entry.quantity.map(String.init) ?? "", entry.unit?.rawValue ?? "", entry.lot ?? "", entry.party ?? "",
                entry.amount.map(Self.euros) ?? "", entry.method ?? "", entry.ref ?? "", entry.refKind?.rawValue ?? "",
                entry.reason ?? "", entry.note ?? "", reversal == nil ? "no" : "yes", reversal?.entry.id ?? "",
                record.writer.hex, record.clock.readable,
            ])
        }
        try Files.replace(file, Array(text.utf8))
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
