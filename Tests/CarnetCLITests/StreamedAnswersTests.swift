@testable import carnet
import CarnetCore
import CarnetLedger
import CarnetTestKit
import Foundation
import Testing

/// `conflicts` and `stock --by-lot` write their answer as they make it (`LineStream`,
/// `StreamedTable.print(_:into:)`, `JSONArrayStream`, `ConflictForms.json` as `.fields`):
/// the bytes must be those of the whole-answer forms they replaced, which are still here
/// (`Table.print`, `Output.line`, `.object`).
@Suite("Streamed answers")
struct StreamedAnswersTests {
    /// Cells a table may meet: plain, accented, a euro sign, an arrow, a peer's escapes and
    /// bidi controls, C1 controls, colour sequences made by `Output`, trailing spaces.
    static let cells = ["", "F07", "P0001", "Pomme de terre primeur", "Tomme de brebis Aurillac", "é", "e\u{301}",
                        "18,87 €", "→ suivant", "lot  ", " ", "(none)", "\u{1B}[31m-3 kg\u{1B}[0m", "\u{1B}]0;pwned\u{07}",
                        "x\u{202E}gnp", "a\u{2066}b\u{2069}", "\u{85}c1", "\u{9B}31m", "line\nbreak", "tab\there", "\u{7F}",
                        "\u{2014}dash", "\u{2030}", "日本", "😀"]

    /// What `Table.print` then `Output.line` write for `rows`, line by line.
    static func tableBytes(_ columns: [(String, Table.Alignment)], _ rows: [[String]], colour: Bool) -> [UInt8] {
        var output = Output(environment: [:])
        output.colour = colour
        var table = Table(columns)
        for row in rows { table.add(row) }
        return table.render(output).flatMap { Array(TerminalText.sanitized($0, keepingStyle: colour, keepingLeadingBreaks: true).utf8) + [10] }
    }

    @Test("a streamed table writes the bytes Table.print writes", arguments: [false, true])
    func streamedTableIsTable(colour: Bool) {
        var rng = SplitMix64(seed: testSeed(default: 0x57AB_1E01) &+ (colour ? 1 : 0))
        var output = Output(environment: [:])
        output.colour = colour
        for round in 0..<200 {
            let alignments: [Table.Alignment] = (0..<(1 + round % 5)).map { _ in Bool.random(using: &rng) ? .left : .right }
            let columns = alignments.enumerated().map { ("c\($0.offset)", $0.element) }
            let rows = (0..<Int.random(in: 0...12, using: &rng)).map { _ in
                // Sometimes a short row: the missing cells are empty.
                (0..<Int.random(in: max(0, columns.count - 1)...columns.count, using: &rng)).map { _ in
                    Self.cells.randomElement(using: &rng)! + (Bool.random(using: &rng) ? "" : Self.cells.randomElement(using: &rng)!)
                }
            }
            var streamed = StreamedTable(columns)
            for (index, row) in rows.enumerated() {
                // Both ways of measuring: a row whole, or cell by cell.
                if index % 2 == 0 { streamed.measure(row) } else { for (column, cell) in row.enumerated() { streamed.measure(cell, column: column) } }
            }
            var written: [UInt8] = []
            var stream = LineStream(colour: colour, write: { written += $0 })
            streamed.printHeader(into: &stream, output)
            for row in rows { streamed.print(row, into: &stream) }
            stream.finish()
            let expected = Self.tableBytes(columns, rows, colour: colour)
            #expect(written == expected, "round \(round): \(String(decoding: written, as: UTF8.self).debugDescription) is not \(String(decoding: expected, as: UTF8.self).debugDescription)")
        }
    }

    @Test("the byte scan finds an unsafe scalar exactly where the scalar scan does")
    func byteScanIsTheScalarScan() {
        // Every scalar below U+3000 (the C1 and bidi ranges among them), then a few above.
        let scalars = (0..<0x3000).compactMap(Unicode.Scalar.init) + ["\u{FEFF}", "\u{1F600}", "\u{10FFFF}"]
        for scalar in scalars {
            for text in ["\(scalar)", "ab\(scalar)", "\(scalar)é€", "\u{2014}\(scalar)\u{202F}"] {
                let unsafe = text.unicodeScalars.contains(where: TerminalText.isUnsafe)
                #expect(TerminalText.containsUnsafe(text) == unsafe, "U+\(String(scalar.value, radix: 16)) in \(text.debugDescription)")
                #expect(TerminalText.containsUnsafe(utf8: Array(text.utf8)[...]) == unsafe)
            }
        }
    }

    /// `JSON.quote` as it was: printable ASCII as it is, anything else scalar by scalar.
    static func quotedBefore(_ text: String) -> [UInt8] {
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
            return Array("\"\(text)\"".utf8)
        }
        var out = Array("\"".utf8)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += Array("\\\"".utf8)
            case "\\": out += Array("\\\\".utf8)
            case "\n": out += Array("\\n".utf8)
            case "\r": out += Array("\\r".utf8)
            case "\t": out += Array("\\t".utf8)
            default:
                if TerminalText.isUnsafe(scalar) {
                    let hex = String(scalar.value, radix: 16)
                    out += ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8
                } else {
                    out += UTF8.encode(scalar)!
                }
            }
        }
        return out + Array("\"".utf8)
    }

    @Test("JSON strings are quoted as they were, accented text taken whole")
    func jsonQuoteIsAsBefore() {
        var rng = SplitMix64(seed: testSeed(default: 0x57AB_1E05))
        for _ in 0..<3_000 {
            let text = (0..<Int.random(in: 0...5, using: &rng)).map { _ in
                (Self.cells + ["\"", "\\", "a\"b", "c:\\d"]).randomElement(using: &rng)!
            }.joined()
            var quoted: [UInt8] = []
            JSON.quote(text, into: &quoted)
            #expect(quoted == Self.quotedBefore(text), "\(text.debugDescription)")
        }
    }

    @Test("JSON integers are written as String(number) writes them")
    func jsonIntegersAreTheirDescription() {
        var rng = SplitMix64(seed: testSeed(default: 0x57AB_1E06))
        var numbers: [Int64] = [0, 1, 9, 10, 99, 100, 1_790_000_000_000, Int64.max, -1, -9, -10, Int64.min, Int64.min + 1]
        for digits in 1...18 {
            let bound = (0..<digits).reduce(Int64(1)) { product, _ in product * 10 }
            for _ in 0..<50 { numbers.append(Int64.random(in: -bound...bound, using: &rng)) }
        }
        for number in numbers {
            #expect(JSON.int(number).rendered() == String(number), "\(number)")
        }
    }

    @Test("an element written apart (on another core) is appended as the element itself")
    func writtenElementIsTheElement() {
        let elements: [JSON] = [.null, .int(-42), .string("é\u{202E}\"x"), .array([]), .object([:]),
                                .fields([JSON.Field("a", .array([.int(1), .bool(false)])), JSON.Field("b", .object(["z": .null, "y": .string("→")]))])]
        // Written apart one after the other into one buffer, as `log` writes a piece's.
        var written: [UInt8] = []
        var ends: [Int] = []
        for element in elements {
            JSONArrayStream.write(element, into: &written)
            ends.append(written.count)
        }
        for (index, element) in elements.enumerated() {
            let text = written[(index == 0 ? 0 : ends[index - 1])..<ends[index]]
            #expect(Array("[\n  ".utf8) + text + Array("\n]".utf8) == Array(JSON.array([element]).rendered().utf8), "\(element)")
        }
        // And all of them, as the array they make.
        var streamed = Array("[\n  ".utf8) + written[0..<ends[0]]
        for index in 1..<elements.count { streamed += Array(",\n  ".utf8) + written[ends[index - 1]..<ends[index]] }
        streamed += Array("\n]".utf8)
        #expect(streamed == Array(JSON.array(elements).rendered().utf8))
    }

    @Test("quantities are written as Quantity.description writes them")
    func quantityTextIsTheDescription() {
        var rng = SplitMix64(seed: testSeed(default: 0x57AB_1E04))
        var amounts: [Int64] = [0, 1, 9, 10, 99, 100, 999, 1_000, 1_001, 1_010, 1_100, 1_234, 9_999, 10_000, 12_345, 100_000,
                                999_999, 1_000_000, 1_000_001, 12_345_678, 123_456_789_012, Int64.max]
        amounts += amounts.map { -$0 } + [Int64.min]
        for digits in 1...18 {
            let bound = (0..<digits).reduce(Int64(1)) { product, _ in product * 10 }
            for _ in 0..<50 { amounts.append(Int64.random(in: -bound...bound, using: &rng)) }
        }
        for amount in amounts {
            for unit in QuantityUnit.allCases {
                #expect(QuantityText.format(amount, unit) == Quantity(amount, unit).description, "\(amount) \(unit)")
            }
        }
    }

    @Test("a line stream writes what Output.line writes, across its 64 KB writes", arguments: [false, true])
    func lineStreamIsOutputLine(colour: Bool) {
        var rng = SplitMix64(seed: testSeed(default: 0x57AB_1E02))
        var writes = 0
        var written: [UInt8] = []
        var stream = LineStream(colour: colour, write: { written += $0; writes += 1 })
        var expected: [UInt8] = []
        while expected.count < 3 * LineStream.flushAt {
            let text = (0..<Int.random(in: 0...6, using: &rng)).map { _ in Self.cells.randomElement(using: &rng)! }.joined()
            let leading = Bool.random(using: &rng) ? "\n" : ""
            expected += Array(TerminalText.sanitized(leading + text, keepingStyle: colour, keepingLeadingBreaks: true).utf8) + [10]
            if leading.isEmpty, Bool.random(using: &rng) { stream.line(bytes: Array(text.utf8)) } else { stream.line(leading + text) }
        }
        stream.finish()
        #expect(written == expected)
        #expect(writes >= 3, "written in pieces, not whole")
    }

    /// The object `ConflictForms.json` wrote before it wrote `.fields`.
    static func conflictAsObject(_ report: ConflictReport, views: LedgerViews) -> JSON {
        let sides: [JSON] = report.sides.enumerated().map { index, side in
            var object = JSONForms.writer(side.event, clock: side.clock, labels: views)
            object["index"] = .int(index + 1)
            object["detail"] = .string(side.detail)
            if let value = side.value { object["value"] = JSONForms.value(value) }
            return .object(object)
        }
        return .object([
            "id": .string(report.id), "kind": .string(report.kind.rawValue), "subject": .string(report.subject),
            "summary": .string(report.summary), "suggestion": .string(report.suggestion),
            report.kind == .field ? "values" : "events": .array(sides),
        ])
    }

    @Test("each conflict's JSON has the bytes of the object it was before")
    func conflictJSONIsTheObjects() {
        let base = testSeed(default: 0x57AB_1E03)
        var kinds = Set<ConflictKind>()
        for offset in 0..<40 as Range<UInt64> {
            let history = RandomHistory(seed: base &+ offset, nodes: 2 + Int(offset % 3), steps: 40 + Int(offset % 50))
            var replica = Replica(node: NodeID.derived(from: "reader"))
            replica.admit(contentsOf: history.events)
            let views = LedgerViews(replica: replica)
            for report in views.conflicts {
                kinds.insert(report.kind)
                let fields = ConflictForms.json(report, views: views).rendered()
                let object = Self.conflictAsObject(report, views: views).rendered()
                #expect(fields == object, "seed \(base &+ offset), \(report.kind): \(fields) is not \(object)")
            }
        }
        #expect(kinds.contains(.field) && kinds.count >= 3, "the histories exercise field and other conflicts: \(kinds)")
    }
}
