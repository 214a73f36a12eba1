import CarnetCore
import CarnetLedger

/// How a conflict looks, in tables and in JSON, for `conflicts` and `conflicts show`.
enum ConflictForms {
    /// Finds a conflict by its id, or by an unambiguous prefix of it.
    static func find(_ id: String, in reports: [ConflictReport]) throws -> ConflictReport {
        if let exact = reports.first(where: { $0.id == id }) { return exact }
        let matches = reports.filter { $0.id.hasPrefix(id) }
        if matches.count == 1 { return matches[0] }
        if matches.count > 1 { throw CLIError.usage("\"\(id)\" names \(matches.count) conflicts; give more of the id") }
        throw CLIError.data(reports.isEmpty ? "no open conflict on this node (\"\(id)\" may have been resolved already)"
                                            : "no open conflict \"\(id)\"; see `carnet conflicts` for their ids")
    }

    /// The unit a field conflict's values are in, so a price shows as euros per kg.
    static func unit(_ report: ConflictReport, catalog: Catalog) -> QuantityUnit? {
        guard report.kind == .field, report.subject.hasPrefix(RecordType.product + "/") else { return nil }
        let rest = report.subject.dropFirst(RecordType.product.count + 1)
        guard let dot = rest.lastIndex(of: ".") else { return nil }
        return catalog.unit(of: String(rest[..<dot]))
    }

    static func field(of report: ConflictReport) -> String {
        report.subject.split(separator: ".").last.map(String.init) ?? ""
    }

    static func sideText(_ side: ConflictSide, report: ConflictReport, views: LedgerViews) -> String {
        guard let value = side.value else { return side.detail }
        return Display.fieldValue(value, field: field(of: report), unit: unit(report, catalog: views.catalog))
    }

    /// Keys in order (`.fields`), as `.object` of the same keys writes them: `conflicts
    /// --json` writes 15,000 of these at 1M events without hashing and sorting each.
    static func json(_ report: ConflictReport, views: LedgerViews) -> JSON {
        let sides: [JSON] = report.sides.enumerated().map { index, side in
            let writer = JSONForms.WriterFields(side.event, clock: side.clock, labels: views)
            var fields = [
                JSON.Field("clock", writer.clock), JSON.Field("clockAhead", writer.clockAhead),
                JSON.Field("clockMillis", writer.clockMillis), JSON.Field("detail", .string(side.detail)),
                JSON.Field("event", writer.event), JSON.Field("index", .int(index + 1)),
                JSON.Field("label", writer.label), JSON.Field("node", writer.node),
            ]
            if let value = side.value { fields.append(JSON.Field("value", JSONForms.value(value))) }
            return .fields(fields)
        }
        let field = report.kind == .field
        var fields: [JSON.Field] = []
        if !field { fields.append(JSON.Field("events", .array(sides))) }
        fields += [
            JSON.Field("id", .string(report.id)), JSON.Field("kind", .string(report.kind.rawValue)),
            JSON.Field("subject", .string(report.subject)), JSON.Field("suggestion", .string(report.suggestion)),
            JSON.Field("summary", .string(report.summary)),
        ]
        if field { fields.append(JSON.Field("values", .array(sides))) }
        return .fields(fields)
    }

    static func print(_ report: ConflictReport, views: LedgerViews, output: Output) {
        lines(report, views: views, output: output) { output.line($0) }
    }

    /// The lines `print` prints, each handed to `line`: `conflicts` gathers them
    /// (`LineStream`) rather than printing 90,000 lines one by one.
    static func lines(_ report: ConflictReport, views: LedgerViews, output: Output, _ line: (String) -> Void) {
        line(output.bold("[\(report.id)]") + " " + output.yellow(report.kind.rawValue) + "  " + report.subject)
        line("   " + report.summary)
        for (index, side) in report.sides.enumerated() {
            let who = Display.node(side.writer, labels: views)
            line("   \(index + 1). \(sideText(side, report: report, views: views))  " + output.dim("by \(who) at \(side.clock.readable)")
                + (ClockMark.isAhead(side.clock) ? " " + output.yellow(ClockMark.text) : ""))
        }
        line("   → " + report.suggestion)
    }
}
