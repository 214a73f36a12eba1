/// Text put into the HTML page and its inline SVG. Product, party and lot names are typed
/// by people on any device of the ledger and arrive by sync: every one of them goes
/// through `escape` before it touches markup, so a name such as `<script>` or `A & B`
/// shows as written and can neither run nor break the page.
enum HTMLText {
    /// `text` safe in an element's content and in a quoted attribute value, in HTML and in
    /// SVG (XML) alike: `& < > " '` become references, and control characters that HTML
    /// forbids (all C0 controls but tab, line feed and carriage return, and DEL) become
    /// U+FFFD, as a browser would show them.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// At most `limit` characters, the last one an ellipsis when cut: a chart's label has
    /// a fixed room, the table below it holds the whole name.
    static func shortened(_ text: String, to limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }
}
