import CarnetLedger

/// How a report prints: a table for people, JSON or CSV for tools (`--json`, `--csv`).
enum ReportFormat: Equatable {
    case table, json, csv

    init(_ invocation: Invocation) throws {
        let json = invocation.flag("--json"), csv = invocation.flag("--csv")
        if json && csv { throw CLIError.usage("give --json or --csv, not both") }
        self = json ? .json : csv ? .csv : .table
    }

    static let csvOption = OptionSpec.flag("--csv", "print CSV (RFC 4180) instead of a table")

    /// Cents as `1234.56` (a decimal point: the comma separates CSV fields).
    static func euros(_ cents: Int64) -> String {
        let sign = cents < 0 ? "-" : ""
        let magnitude = cents.magnitude
        let fraction = magnitude % 100
        return "\(sign)\(magnitude / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

}

/// `--from` and `--to` of a report: days included, checked once for every report.
struct ReportPeriod {
    static let options: [OptionSpec] = [
        .value("--from", "YYYY-MM-DD", "first day counted (default: the first entry)"),
        .value("--to", "YYYY-MM-DD", "last day counted (default: the last entry)"),
    ]

    var from: CalendarDay?
    var to: CalendarDay?

    var isOpen: Bool { from == nil && to == nil }

    init(_ invocation: Invocation) throws {
        for name in ["--from", "--to"] {
            guard let text = invocation.value(name) else { continue }
            guard let day = CalendarDay(iso: text) else { throw CLIError.usage("\(name) \(text) is not a date: write YYYY-MM-DD") }
            if name == "--from" { from = day } else { to = day }
        }
        if let from, let to, to < from { throw CLIError.usage("--to \(to.iso) is before --from \(from.iso)") }
    }
}
