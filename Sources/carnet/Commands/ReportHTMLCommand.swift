import CarnetLedger
import Foundation

/// `carnet report --html FILE [--lang fr|en] [--year Y] [--from D] [--to D]`: the page
/// the consortium looks at. One self-contained HTML file (no script, nothing fetched),
/// French unless asked otherwise, with the EGalim shares, the weekly flows through the
/// hub against direct sales, the stock by family, the producers' sales and the losses, as
/// charts and as tables of the same figures. The numbers are those of `carnet report
/// egalim | flows | producers | losses --json` over the same period: the page calls the
/// same computations (`HTMLReportContent`).
struct ReportHTMLCommand: Command {
    static let spec = CommandSpec(
        path: ["report"], summary: "--html FILE: one self-contained page with the reports and their charts",
        options: [
            .value("--html", "FILE", "the page to write (replaced atomically; nothing is written on an error)", required: true),
            .value("--lang", "fr|en", "the page's language (default: fr)"),
            .value("--year", "Y", "the EGalim year, and the period of the other reports (default: this year)"),
            .value("--from", "YYYY-MM-DD", "first day of flows, producers and losses (default: 1 January of the year)"),
            .value("--to", "YYYY-MM-DD", "last day of flows, producers and losses (default: 31 December of the year)"),
        ],
        discussion: """
        The page opens offline in any browser: inline CSS and SVG, no script, no font or
        image from elsewhere (its Content-Security-Policy forbids every fetch). Each chart
        (EGalim shares against the 50 % and 20 % targets, sales before VAT by week and
        route, stock by family) is followed by a table of the same figures, written as the
        command line writes them, with a caption and row and column headers for screen
        readers. Its tables hold what these print:
          carnet report egalim --year Y --json
          carnet report flows --by week --from D --to D --json
          carnet report producers --from D --to D --json
          carnet report losses --from D --to D --json
        and the stock of `carnet stock`, summed by the product's family and unit.
        Names typed by people (products, parties) are escaped: they show as written.
        """,
        examples: ["carnet report --html consortium-2026.html --year 2026",
                   "carnet report --html report.html --lang en --from 2026-01-01 --to 2026-06-30"]
    )

    var file: String
    var language: ReportLanguage
    /// nil: this year, read from the clock when the command runs.
    var year: Int?
    var period: ReportPeriod

    init(_ invocation: Invocation) throws {
        file = try invocation.required("--html")
        guard !file.isEmpty else { throw CLIError.usage("--html needs a file name, not empty text") }
        let lang = invocation.value("--lang") ?? ReportLanguage.fr.rawValue
        guard let language = ReportLanguage(rawValue: lang) else {
            throw CLIError.usage("--lang \(lang) is not a language of the report: fr or en")
        }
        self.language = language
        if let text = invocation.value("--year") {
            guard text.count == 4, let year = Int(text), year >= 1970 else {
                throw CLIError.usage("--year \(text) is not a year: write it with four digits, e.g. 2026")
            }
            self.year = year
        }
        period = try ReportPeriod(invocation)
        try Self.checkWritable(file)
    }

    /// Refuses, before any work, a path the page cannot be written to, with the reason a
    /// person can act on; the atomic write still reports what only writing can find out.
    static func checkWritable(_ file: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), isDirectory.boolValue {
            throw CLIError(.cannotCreate, "\(file) is a directory: give the path of the page to write, e.g. \(file)/report.html")
        }
        let slash = file.lastIndex(of: "/")
        let folder = slash.map { $0 == file.startIndex ? "/" : String(file[..<$0]) } ?? "."
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) else {
            throw CLIError(.cannotCreate, "cannot write \(file): the directory \(folder) does not exist")
        }
        guard isDirectory.boolValue else { throw CLIError(.cannotCreate, "cannot write \(file): \(folder) is not a directory") }
        guard FileManager.default.isWritableFile(atPath: folder) else {
            throw CLIError(.cannotCreate, "cannot write \(file): the directory \(folder) is not writable")
        }
    }

    func run(in context: Context) throws {
        let today = context.today()
        let year = year ?? today.components.year
        let from = period.from ?? CalendarDay(year: year, month: 1, day: 1)!
        let to = period.to ?? CalendarDay(year: year, month: 12, day: 31)!
        if to < from {
            let end = period.to == nil ? "31 December of \(year), the default --to; give --to or --year" : "--to"
            throw CLIError.usage("--from \(from.iso) is after \(to.iso) (\(end))")
        }
        let node = try StoreAccess.open(context)
        let content = HTMLReportContent(view: LedgerView(node.replica), ledger: node.ledger, node: node.label, day: today,
                                        year: year, from: from, to: to)
        let page = HTMLReportPage.render(content, language: language)
        try Files.replaceDocument(file, Array(page.utf8))
        context.output.line("wrote \(file): EGalim \(year) for \(content.egalim.count) canteen(s), flows, producers and losses "
                            + "from \(from.iso) to \(to.iso), stock of \(content.stock.count) family line(s)")
    }
}
