/// A table for people: a header row, aligned columns (numbers to the right), two spaces
/// between columns. Widths count characters, so `é` and `€` take one column.
struct Table {
    enum Alignment { case left, right }

    var columns: [(title: String, alignment: Alignment)]
    var rows: [[String]] = []

    init(_ columns: [(String, Alignment)]) {
        self.columns = columns.map { (title: $0.0, alignment: $0.1) }
    }

    /// Cells often hold text from peers and files: made safe here (`TerminalText`), before
    /// widths are measured, so that an escape cannot break the alignment either. Colour
    /// sequences `Output` made are kept; `Output.line` drops them when colour is off.
    mutating func add(_ row: [String]) {
        rows.append(Self.safe(row))
    }

    /// The cells as a table keeps them: made safe, colour kept.
    static func safe(_ row: [String]) -> [String] {
        row.map { TerminalText.sanitized($0, keepingStyle: true, keepingLeadingBreaks: false) }
    }

    /// The rendered lines; the header in bold when `output` allows colour.
    func render(_ output: Output) -> [String] {
        var widths = columns.map { $0.title.count }
        for row in rows { Self.measure(row, into: &widths) }
        return [Self.line(columns.map(\.title), columns: columns, widths: widths, header: true, output)]
            + rows.map { Self.line($0, columns: columns, widths: widths, header: false, output) }
    }

    /// Widens `widths` to hold `row` (cells already made safe).
    static func measure(_ row: [String], into widths: inout [Int]) {
        for (index, cell) in row.enumerated() where index < widths.count {
            widths[index] = max(widths[index], visibleWidth(cell))
        }
    }

    /// One line of a table whose columns are `widths` wide: what `render` gives for a row,
    /// and what `StreamedTable` prints without keeping the rows.
    static func line(_ cells: [String], columns: [(title: String, alignment: Alignment)], widths: [Int], header: Bool,
                     _ output: Output) -> String {
        var parts: [String] = []
        for (index, column) in columns.enumerated() {
            let cell = index < cells.count ? cells[index] : ""
            let pad = String(repeating: " ", count: max(0, widths[index] - visibleWidth(cell)))
            let isLast = index == columns.count - 1
            switch column.alignment {
            case .left: parts.append(isLast ? cell : cell + pad)
            case .right: parts.append(pad + cell)
            }
        }
        var text = parts.joined(separator: "  ")
        while text.hasSuffix(" ") { text.removeLast() }
        return header ? output.bold(text) : text
    }

    func print(_ output: Output) {
        for line in render(output) { output.line(line) }
    }

    /// Characters, not counting ANSI colour sequences.
    static func visibleWidth(_ text: String) -> Int {
        // Printable ASCII (most cells): one character per byte, no escape to skip.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return text.utf8.count }
        var count = 0
        var inEscape = false
        for character in text {
            if inEscape {
                if character == "m" { inEscape = false }
            } else if character == "\u{1B}" {
                inEscape = true
            } else {
                count += 1
            }
        }
        return count
    }
}
