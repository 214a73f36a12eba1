/// A `Table` printed without keeping its rows, line for line what `Table.print` gives for
/// the same rows. The caller hands every row twice: first to `measure` (the column widths
/// need the widest cell), then, after `printHeader`, to `print`. `log` of a million entries
/// walks the entry index twice this way instead of holding a million rows (gigabytes).
struct StreamedTable {
    private let columns: [(title: String, alignment: Table.Alignment)]
    private var widths: [Int]

    init(_ columns: [(String, Table.Alignment)]) {
        self.columns = columns.map { (title: $0.0, alignment: $0.1) }
        widths = self.columns.map { $0.title.count }
    }

    /// Widens the columns to hold `row`; nothing is printed or kept.
    mutating func measure(_ row: [String]) {
        Table.measure(Table.safe(row), into: &widths)
    }

    func printHeader(_ output: Output) {
        output.line(Table.line(columns.map(\.title), columns: columns, widths: widths, header: true, output))
    }

    /// Prints `row` at the widths measured: it must have been measured.
    func print(_ row: [String], _ output: Output) {
        output.line(Table.line(Table.safe(row), columns: columns, widths: widths, header: false, output))
    }
}
