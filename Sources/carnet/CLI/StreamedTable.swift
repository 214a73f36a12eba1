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

    func printHeader(into stream: inout LineStream, _ output: Output) {
        stream.line(Table.line(columns.map(\.title), columns: columns, widths: widths, header: true, output))
    }

    /// Widens column `column` to hold `cell`: `measure` of a row, cell by cell, for a
    /// caller that need not make the row.
    mutating func measure(_ cell: String, column: Int) {
        guard column < widths.count else { return }
        widths[column] = max(widths[column], Table.visibleWidth(TerminalText.sanitized(cell, keepingStyle: true, keepingLeadingBreaks: false)))
    }

    /// Writes what `print(row, output)` prints, made as bytes in the stream's buffer rather
    /// than as strings: the same cells, padding, two spaces between columns, no trailing
    /// space.
    func print(_ row: [String], into stream: inout LineStream) {
        // A line of safe cells is safe (padding and gaps are spaces): only a cell that held
        // something unsafe (an escape, kept as `Output`'s colour or made visible) sends the
        // line through the stream's scan again.
        stream.line { line in
            let start = line.count
            var safe = true
            for (index, column) in columns.enumerated() {
                if index > 0 { line += Self.gap }
                var cell = index < row.count ? row[index] : ""
                if TerminalText.containsUnsafe(cell) {
                    safe = false
                    cell = TerminalText.sanitized(cell, keepingStyle: true, keepingLeadingBreaks: false)
                }
                let pad = max(0, widths[index] - Table.visibleWidth(cell))
                switch column.alignment {
                case .left:
                    line += cell.utf8
                    if index < columns.count - 1 { line.append(contentsOf: repeatElement(UInt8(ascii: " "), count: pad)) }
                case .right:
                    line.append(contentsOf: repeatElement(UInt8(ascii: " "), count: pad))
                    line += cell.utf8
                }
            }
            while line.count > start, line.last == UInt8(ascii: " ") { line.removeLast() }
            return safe
        }
    }

    private static let gap = Array("  ".utf8)

    /// Prints `row` at the widths measured: it must have been measured.
    func print(_ row: [String], _ output: Output) {
        output.line(Table.line(Table.safe(row), columns: columns, widths: widths, header: false, output))
    }
}
