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

    static func json(_ report: ConflictReport, views: LedgerViews) -> JSON {
        let sides: [JSON] = report.sides.enumerated().map { index, side in
            var object = JSONForms.writer(side.event, clock: side.clock, labels: views)
            object["index"] = .int(index + 1)
            object["detail"] = .string(side.detail)
            if let value = side.value { object["value"] = JSONForms.value(value) }
            return .object(object)
        }
        return .object([
            "id": .string(report.id),
            "kind": .string(report.kind.rawValue),
            "subject": .string(report.subject),
            "summary": .string(report.summary),
            "suggestion": .string(report.suggestion),
            report.kind == .field ? "values" : "events": .array(sides),
        ])
    }

    static func print(_ report: ConflictReport, views: LedgerViews, output: Output) {
        output.line(output.bold("[\(report.id)]") + " " + output.yellow(report.kind.rawValue) + "  " + report.subject)
        output.line("   " + report.summary)
        for (index, side) in report.sides.enumerated() {
            let who = Display.node(side.writer, labels: views)
            output.line("   \(index + 1). \(sideText(side, report: report, views: views))  " + output.dim("by \(who) at \(side.clock.readable)")
                + (ClockMark.isAhead(side.clock) ? " " + output.yellow(ClockMark.text) : ""))
        }
        output.line("   → " + report.suggestion)
    }
}
