/// An accessible HTML table: a caption that says what it holds, column headers with
/// `scope="col"`, the first cell of each row a row header with `scope="row"`, so that a
/// screen reader announces every figure with its row and column. Cells are plain text,
/// escaped here; numbers come already formatted as the command line formats them. A
/// wide table scrolls sideways inside its box on a narrow screen instead of the page.
struct HTMLTable {
    struct Column {
        var title: String
        /// Right-aligned, never wrapped: amounts, shares, quantities, counts.
        var numeric: Bool
    }

    var id: String
    var caption: String
    var columns: [Column]
    var rows: [[String]] = []

    init(id: String, caption: String, columns: [(String, numeric: Bool)]) {
        self.id = id
        self.caption = caption
        self.columns = columns.map { Column(title: $0.0, numeric: $0.numeric) }
    }

    mutating func add(_ row: [String]) {
        precondition(row.count == columns.count, "a row of \(row.count) cells in a table of \(columns.count) columns")
        rows.append(row)
    }

    var html: String {
        var out = "<div class=\"scroll\"><table id=\"\(HTMLText.escape(id))\">\n<caption>\(HTMLText.escape(caption))</caption>\n<thead><tr>"
        for column in columns {
            out += "<th scope=\"col\"\(column.numeric ? " class=\"num\"" : "")>\(HTMLText.escape(column.title))</th>"
        }
        out += "</tr></thead>\n<tbody>\n"
        for row in rows {
            out += "<tr>"
            for (index, (cell, column)) in zip(row, columns).enumerated() {
                let tag = index == 0 ? "th scope=\"row\"" : "td"
                let close = index == 0 ? "th" : "td"
                out += "<\(tag)\(column.numeric ? " class=\"num\"" : "")>\(HTMLText.escape(cell))</\(close)>"
            }
            out += "</tr>\n"
        }
        return out + "</tbody>\n</table></div>\n"
    }
}
