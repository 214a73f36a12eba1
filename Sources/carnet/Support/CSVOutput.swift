extension Output {
    /// CSV on stdout as RFC 4180 writes it: records end in CRLF, which `line` and `text`
    /// would show as escapes. The text of each field must already be safe (`csvSafe`):
    /// only the record ends are kept as they are.
    func csv(_ records: [[String]]) {
        var text = ""
        for record in records { text += CSV.record(record.map(Output.csvSafe)) }
        print(text, terminator: "")
    }

    /// A field as `line` would show it: names from peers carry no terminal escapes.
    static func csvSafe(_ field: String) -> String {
        TerminalText.sanitized(field, keepingStyle: false, keepingLeadingBreaks: false)
    }
}
