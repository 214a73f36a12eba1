import Foundation
import Testing
@testable import CarnetWorkload

private let fixtureURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/ledger-10k.jsonl")

private func fixtureBytes() throws -> [UInt8] {
    [UInt8](try Data(contentsOf: fixtureURL))
}

private let metaLine =
    #"{"t":"meta","schema":"producer-ledger-workload/1","seed":1,"farms":1,"days":2,"products":1,"entries":2,"start":"2026-03-02","hub":"HUB","actors":["HUB","F00"]}"#

/// Reads `text` and returns the error, or nil if it reads cleanly.
private func readError(_ text: String) -> WorkloadError? {
    do throws(WorkloadError) {
        _ = try WorkloadReader.readAll(Array(text.utf8))
        return nil
    } catch {
        return error
    }
}

/// A small seeded generator (SplitMix64) so that the fuzz test replays from its seed.
private struct FuzzRandom {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

@Suite("WorkloadReader")
struct WorkloadReaderTests {
    // MARK: Fixture

    @Test func readsFixture() throws {
        let lines = try WorkloadReader.readAll(try fixtureBytes())
        #expect(lines.count == 10_418)

        var metas = 0, cats = 0, entries = 0, syncs = 0
        var kinds: [String: Int] = [:]
        var days: [Int] = []
        for line in lines {
            switch line {
            case .meta: metas += 1
            case .catalog: cats += 1
            case .entry(let entry):
                entries += 1
                kinds[entry.kind, default: 0] += 1
            case .sync(let day):
                syncs += 1
                days.append(day)
            }
        }
        #expect(metas == 1)
        #expect(cats == 357)
        #expect(entries == 10_000)
        #expect(syncs == 60)
        #expect(days == Array(0..<60))
        #expect(kinds == ["harvest": 3014, "sale": 3398, "delivery": 1755, "payment": 1419, "reversal": 414])

        guard case .meta(let meta) = lines.first else {
            Issue.record("line 1 is not meta")
            return
        }
        #expect(meta.schema == "producer-ledger-workload/1")
        #expect(meta.seed == 42)
        #expect(meta.farms == 20)
        #expect(meta.days == 60)
        #expect(meta.products == 200)
        #expect(meta.entries == 10_000)
        #expect(meta.start == "2026-03-02")
        #expect(meta.hub == "HUB")
        #expect(meta.actors.count == 21)
        #expect(meta.actors.first == "HUB")
        #expect(meta.actors[1] == "F00" && meta.actors[20] == "F19")
        #expect(meta.count(of: "cat") == 357)
        #expect(meta.count(ofKind: "reversal") == 414)
        #expect(meta.conflictGroups == 29)

        guard case .catalog(let first) = lines[1] else {
            Issue.record("line 2 is not cat")
            return
        }
        #expect(first.actor == "HUB" && first.product == "P0000" && first.date == "2026-03-02")
        #expect(first.fields.map(\.name) == ["name", "unit", "price", "category", "vat", "active"])
        #expect(first[field: "price"] == .int(209))
        #expect(first[field: "active"] == .bool(true))
        #expect(first[field: "name"] == .string("Carotte primeur"))

        guard case .entry(let entry) = lines[201] else {
            Issue.record("line 202 is not an entry")
            return
        }
        #expect(entry == WorkloadEntry(
            id: "F00-000001", farm: "F00", date: "2026-03-02", kind: "harvest", product: "P0025",
            qty: 29910, unit: "g", lot: "L00-00001", note: "calibre 2"))
    }

    /// Every fixture line encodes back to its exact bytes (keys in format order).
    @Test func fixtureReencodesByteForByte() throws {
        let bytes = try fixtureBytes()
        let lines = try WorkloadReader.readAll(bytes)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for line in lines {
            line.appendEncoded(to: &out)
            out.append(0x0A)
        }
        #expect(out.count == bytes.count)
        #expect(out == bytes)
    }

    @Test func readerReportsLineNumbersAndOffsets() throws {
        let bytes = try fixtureBytes()
        var reader = WorkloadReader(bytes: bytes)
        var count = 0
        while try reader.next() != nil {
            count += 1
            #expect(reader.lineNumber == count)
        }
        #expect(count == 10_418)
        #expect(reader.offset == bytes.count)
        #expect(try reader.next() == nil)
    }

    // MARK: Handcrafted lines

    @Test func handcraftedLinesRoundTrip() throws {
        let lines: [String] = [
            metaLine,
            #"{"t":"cat","actor":"HUB","date":"2026-03-02","product":"P0000","set":{"name":"Œufs bio","unit":"pc","price":45,"category":"laitier","vat":550,"active":false}}"#,
            #"{"t":"cat","actor":"F00","date":"2026-03-03","product":"P0000","set":{"name":"Œufs \"plein air\" n°2 \\ 🥕"}}"#,
            #"{"t":"entry","id":"F00-000001","farm":"F00","date":"2026-03-02","kind":"harvest","product":"P0000","qty":120,"unit":"pc","lot":"L00-00001","note":"n°2"}"#,
            #"{"t":"entry","id":"F00-000002","farm":"F00","date":"2026-03-02","kind":"sale","product":"P0000","qty":12,"unit":"pc","lot":"L00-00001","party":"épicerie-07","amount":540,"note":"facture n°1234\ttab"}"#,
            #"{"t":"entry","id":"F00-000003","farm":"F00","date":"2026-03-03","kind":"delivery","product":"P0000","qty":60,"unit":"pc","lot":"L00-00001","to":"HUB"}"#,
            #"{"t":"entry","id":"F00-000004","farm":"F00","date":"2026-03-03","kind":"payment","party":"épicerie-07","amount":540,"method":"carte","ref":"F00-000002"}"#,
            #"{"t":"entry","id":"F00-000005","farm":"F00","date":"2026-03-03","kind":"reversal","ref":"F00-000004","ref_kind":"payment","reason":"quantité erronée","amount":-540}"#,
            #"{"t":"entry","id":"F00-000006","farm":"F00","date":"2026-03-03","kind":"reversal","ref":"F00-000001","ref_kind":"harvest","reason":"abîmé","qty":-2147483647}"#,
            #"{"t":"sync","day":0}"#,
        ]
        let text = lines.joined(separator: "\n") + "\n"
        let parsed = try WorkloadReader.readAll(Array(text.utf8))
        #expect(parsed.count == lines.count)
        #expect(parsed.map { $0.encoded() } == lines)

        guard case .catalog(let write) = parsed[2], case .entry(let sale) = parsed[4] else {
            Issue.record("unexpected line types")
            return
        }
        #expect(write[field: "name"] == .string("Œufs \"plein air\" n°2 \\ 🥕"))
        #expect(sale.party == "épicerie-07")
        #expect(sale.note == "facture n°1234\ttab")
        guard case .catalog(let creation) = parsed[1] else { return }
        #expect(creation[field: "name"]?.stringValue == "Œufs bio")
        #expect(creation[field: "active"]?.boolValue == false)
    }

    @Test func escapedFormsDecodeToTheSameValues() throws {
        // \u escapes (including a surrogate pair) and an escaped key name.
        let line = #"{"t":"entry","id":"F00-000001","farm":"F\u0030\u00300","date":"2026-03-02","\u006bind":"harvest","product":"P0000","qty":1,"unit":"g","lot":"L00-00001","note":"\u0152ufs \ud83e\udd55 n\u00b02 \/ \"q\""}"#
        guard case .entry(let entry) = try WorkloadReader.parseLine(Array(line.utf8)) else {
            Issue.record("not an entry")
            return
        }
        #expect(entry.farm == "F000")
        #expect(entry.kind == "harvest")
        #expect(entry.note == "Œufs 🥕 n°2 / \"q\"")
        // Re-encoding writes the literal characters, and reads back equal.
        let again = try WorkloadReader.parseLine(Array(WorkloadLine.entry(entry).encoded().utf8))
        #expect(again == .entry(entry))
    }

    @Test func keyOrderAndUnknownKeysDoNotMatter() throws {
        let reordered = #"{"kind":"harvest","lot":"L00-00001","future":{"x":[1,2,{"y":null}]},"id":"F00-000001","t":"entry","farm":"F00","date":"2026-03-02","product":"P0000","qty":5,"unit":"g","extra":"ignored"}"#
        let canonical = #"{"t":"entry","id":"F00-000001","farm":"F00","date":"2026-03-02","kind":"harvest","product":"P0000","qty":5,"unit":"g","lot":"L00-00001"}"#
        let a = try WorkloadReader.parseLine(Array(reordered.utf8))
        let b = try WorkloadReader.parseLine(Array(canonical.utf8))
        #expect(a == b)
        #expect(a.encoded() == canonical)
        // Whitespace between tokens and CRLF line ends are fine.
        let spaced = "{ \"t\" : \"sync\" , \"day\" : 7 }\r\n"
        #expect(try WorkloadReader.parseLine(Array(spaced.utf8)) == .sync(day: 7))
        let crlf = metaLine + "\r\n" + #"{"t":"sync","day":0}"# + "\r\n"
        #expect(try WorkloadReader.readAll(Array(crlf.utf8)).last == .sync(day: 0))
    }

    @Test func endOfInputHandling() throws {
        // No newline after the last line, or extra blank lines at the end: fine.
        #expect(try WorkloadReader.readAll(Array(metaLine.utf8)).count == 1)
        #expect(try WorkloadReader.readAll(Array((metaLine + "\n\n  \n").utf8)).count == 1)
        #expect(readError("")?.message == "line 1: the input is empty: a workload file starts with a meta line")
        #expect(readError("\n\n")?.line == 1)
    }

    // MARK: Errors

    @Test func errorsCarryLineNumbers() {
        let sync = #"{"t":"sync","day":0}"#
        let entry = #"{"t":"entry","id":"F00-000001","farm":"F00","date":"2026-03-02","kind":"harvest","product":"P0000","qty":1,"unit":"g","lot":"L00-00001"}"#
        let cases: [(text: String, line: Int, reason: String)] = [
            (sync, 1, "the first line must be a meta line, found a \"sync\" line"),
            (metaLine + "\n" + sync + "\n" + metaLine, 3, "a meta line may only appear on line 1"),
            (metaLine + "\n" + sync + "\n" + #"{"t":"bogus"}"#, 3,
             "unknown line type \"bogus\" (expected meta, cat, entry or sync)"),
            (metaLine + "\n" + #"{"day":1}"#, 2, "the line has no field \"t\""),
            (metaLine + "\n" + #"{}"#, 2, "the line's object is empty: missing field \"t\""),
            (metaLine + "\n" + #"{"t":7,"day":1}"#, 2, "field \"t\" must be a string, found a number"),
            (metaLine + "\n" + "[1,2]", 2, "a line must be a JSON object, found an array"),
            (metaLine + "\n" + "\"x\"", 2, "a line must be a JSON object, found a string"),
            (metaLine + "\n" + entry.replacingOccurrences(of: #","kind":"harvest""#, with: ""), 2,
             "entry is missing field \"kind\""),
            (metaLine + "\n" + sync + "\n" + entry.replacingOccurrences(of: #","lot":"L00-00001""#, with: ""), 3,
             "harvest entry is missing field \"lot\""),
            (metaLine + "\n" + entry.replacingOccurrences(of: #""qty":1"#, with: #""qty":"1""#), 2,
             "field \"qty\" must be an integer, found a string"),
            (metaLine + "\n" + entry.replacingOccurrences(of: #""qty":1"#, with: #""qty":1.5"#), 2,
             "invalid JSON at column 106: fractional numbers are not allowed: every number must be an integer"),
            (metaLine + "\n" + entry.replacingOccurrences(of: #""qty":1"#, with: #""qty":2147483648"#), 2,
             "field \"qty\" is out of range: the format requires |value| < 2^31"),
            (metaLine + "\n" + entry.replacingOccurrences(of: #""qty":1"#, with: #""qty":null"#), 2,
             "field \"qty\" must be an integer, found null"),
            (metaLine + "\n" + entry.replacingOccurrences(of: "harvest", with: "gift"), 2,
             "unknown entry kind \"gift\" (expected harvest, delivery, sale, payment or reversal)"),
            (metaLine + "\n" + entry.replacingOccurrences(of: "2026-03-02", with: "2026-3-2"), 2,
             "field \"date\" must be a date \"YYYY-MM-DD\", found \"2026-3-2\""),
            (metaLine + "\n" + entry.replacingOccurrences(of: "2026-03-02", with: "2026-13-02"), 2,
             "field \"date\" must be a date \"YYYY-MM-DD\", found \"2026-13-02\""),
            (metaLine + "\n" + entry.replacingOccurrences(of: #""farm":"F00""#, with: #""farm":"F00","id":"x""#), 2,
             "duplicate field \"id\""),
            (metaLine + "\n" + entry + " x", 2,
             "invalid JSON at column 138: unexpected 'x' after the end of the JSON value"),
            (metaLine + "\n" + #"{"t":"entry","id":"F00-000001""#, 2,
             "invalid JSON at column 31: expected ',' or '}', found the end of the line"),
            (metaLine + "\n\n" + sync, 2, "the line is empty"),
            (metaLine.replacingOccurrences(of: "workload/1", with: "workload/2"), 1,
             "unsupported schema \"producer-ledger-workload/2\" (expected \"producer-ledger-workload/1\")"),
            (metaLine.replacingOccurrences(of: #","hub":"HUB""#, with: ""), 1, "meta line is missing field \"hub\""),
            (metaLine.replacingOccurrences(of: #"["HUB","F00"]"#, with: #"["HUB",3]"#), 1,
             "field \"actors\" must be an array of strings, found a number"),
            (metaLine + "\n" + #"{"t":"sync"}"#, 2, "sync line is missing field \"day\""),
            (metaLine + "\n" + #"{"t":"sync","day":-1}"#, 2, "field \"day\" must not be negative"),
            (metaLine + "\n" + #"{"t":"cat","actor":"HUB","date":"2026-03-02","product":"P0000"}"#, 2,
             "cat line is missing field \"set\""),
            (metaLine + "\n" + #"{"t":"cat","actor":"HUB","date":"2026-03-02","product":"P0000","set":{"price":"9"}}"#, 2,
             "catalog field \"price\" must be a number, found a string"),
            (metaLine + "\n" + #"{"t":"cat","actor":"HUB","date":"2026-03-02","product":"P0000","set":{"x":[1]}}"#, 2,
             "catalog field \"x\" must be a string, an integer or a boolean, found an array"),
            (metaLine + "\n" + #"{"t":"cat","actor":"HUB","date":"2026-03-02","product":"P0000","set":{"vat":1,"vat":2}}"#, 2,
             "duplicate catalog field \"vat\""),
            (metaLine + "\n" + #"{"t":"entry","id":"F00-000009","farm":"F00","date":"2026-03-02","kind":"reversal","ref":"F00-000001","ref_kind":"sale","reason":"doublon"}"#, 2,
             "reversal entry must have exactly one of fields \"amount\" and \"qty\""),
        ]
        for c in cases {
            let error = readError(c.text)
            #expect(error?.line == c.line, "\(c.text)")
            #expect(error?.reason == c.reason, "\(c.text)")
            #expect(error?.message == "line \(c.line): \(c.reason)")
            #expect(error?.description == error?.message)
        }
    }

    @Test func errorColumnsAndBOM() {
        let bom = [0xEF, 0xBB, 0xBF] + Array(metaLine.utf8)
        do throws(WorkloadError) {
            _ = try WorkloadReader.readAll(bom)
            Issue.record("BOM accepted")
        } catch {
            #expect(error.line == 1)
            #expect(error.reason.contains("byte order mark"))
        }
        let error = readError(metaLine + "\n" + #"{"t":"sync","day":"3"}"#)
        #expect(error?.column == 19)
        #expect(readError(metaLine + "\n" + #"{"t":"sync"}"#)?.column == nil)
        // Invalid UTF-8 inside a string is a syntax error with its column.
        let bad = Array((metaLine + "\n").utf8) + Array(#"{"t":"sync","x":""#.utf8) + [0xFF] + Array(#"","day":1}"#.utf8)
        do throws(WorkloadError) {
            _ = try WorkloadReader.readAll(bad)
            Issue.record("invalid UTF-8 accepted")
        } catch {
            #expect(error.line == 2)
            #expect(error.column == 18)
            #expect(error.reason.contains("UTF-8"))
        }
    }

    @Test func readerContinuesAfterAnError() throws {
        let text = [metaLine, #"{"t":"sync","day":0}"#, "{oops", #"{"t":"sync","day":1}"#, #"{"t":"x"}"#, #"{"t":"sync","day":2}"#]
            .joined(separator: "\n") + "\n"
        var reader = WorkloadReader(bytes: Array(text.utf8))
        var good: [WorkloadLine] = []
        var errorLines: [Int] = []
        while true {
            do throws(WorkloadError) {
                guard let line = try reader.next() else { break }
                good.append(line)
            } catch {
                errorLines.append(error.line)
            }
        }
        #expect(errorLines == [3, 5])
        #expect(good.count == 4)
        #expect(good.last == .sync(day: 2))
    }

    @Test func encodeWritesFormatKeyOrder() {
        let meta = WorkloadMeta(
            seed: 7, farms: 1, days: 2, products: 1, entries: 0, start: "2026-03-02", hub: "HUB",
            actors: ["HUB", "F00"], counts: [("entry", 0), ("cat", 1), ("sync", 2)],
            kinds: [("harvest", 0)], conflictGroups: 0)
        #expect(WorkloadLine.meta(meta).encoded() ==
            #"{"t":"meta","schema":"producer-ledger-workload/1","seed":7,"farms":1,"days":2,"products":1,"entries":0,"start":"2026-03-02","hub":"HUB","actors":["HUB","F00"],"counts":{"entry":0,"cat":1,"sync":2},"kinds":{"harvest":0},"conflict_groups":0}"#)
        #expect(WorkloadLine.sync(day: 3).encoded() == #"{"t":"sync","day":3}"#)
        #expect(WorkloadLine.sync(day: 3).typeName == "sync")
    }

    // MARK: Fuzz

    /// Random bytes and mutated fixture lines must either read or throw, never trap; what
    /// reads must re-encode and read back to the same lines.
    @Test func fuzzNeverCrashes() throws {
        let seed: UInt64 = ProcessInfo.processInfo.environment["CARNET_SEED"].flatMap { UInt64($0) } ?? 0x5EED_2026
        print("fuzzNeverCrashes: seed \(seed) (replay with CARNET_SEED=\(seed))")
        var random = FuzzRandom(state: seed)
        let fixture = try fixtureBytes()
        let fixtureLines = fixture.split(separator: 0x0A, omittingEmptySubsequences: true).map(Array.init)
        let meta = fixtureLines[0]
        let alphabet = Array(#"{}[]:,"\\/tnfruel0123456789-+.eEabuDd Œ°"#.utf8) + [0x0A, 0x0D, 0x09, 0x00, 0x7F, 0x80, 0xBF, 0xC3, 0xED, 0xF0, 0xFF]

        var accepted = 0
        var rejected = 0

        func check(_ bytes: [UInt8], _ label: String) {
            // Generic parser: must return or throw.
            do throws(JSONError) {
                let value = try JSONScanner.parse(bytes)
                let again = try JSONScanner.parse(Array(value.encoded().utf8))
                #expect(again == value, "seed \(seed), \(label): JSON re-encoding differs")
            } catch {
                #expect(error.offset >= 0 && error.offset <= bytes.count, "seed \(seed), \(label): offset \(error.offset)")
            }
            // Workload reader, whole file.
            do throws(WorkloadError) {
                let lines = try WorkloadReader.readAll(bytes)
                accepted += 1
                var out: [UInt8] = []
                for line in lines {
                    line.appendEncoded(to: &out)
                    out.append(0x0A)
                }
                let again = try WorkloadReader.readAll(out)
                #expect(again == lines, "seed \(seed), \(label): workload re-encoding differs")
            } catch {
                rejected += 1
                #expect(error.line >= 1, "seed \(seed), \(label): line \(error.line)")
                #expect(error.message.hasPrefix("line \(error.line): "), "seed \(seed), \(label): \(error.message)")
                if let column = error.column {
                    #expect(column >= 1, "seed \(seed), \(label): column \(column)")
                }
            }
            // Workload reader, line by line, going on after errors: must terminate.
            var reader = WorkloadReader(bytes: bytes)
            var steps = 0
            while steps <= bytes.count + 2 {
                steps += 1
                do throws(WorkloadError) {
                    if try reader.next() == nil { break }
                } catch {}
            }
            #expect(steps <= bytes.count + 2, "seed \(seed), \(label): reader does not terminate")
        }

        // Random byte strings.
        for i in 0..<2_000 {
            let length = random.below(96)
            var bytes: [UInt8] = []
            for _ in 0..<length {
                bytes.append(random.below(4) == 0 ? UInt8(truncatingIfNeeded: random.next()) : alphabet[random.below(alphabet.count)])
            }
            if random.below(3) == 0 { bytes = meta + [0x0A] + bytes }
            check(bytes, "random case \(i)")
        }

        // Mutated fixture lines, after the fixture's meta line.
        for i in 0..<3_000 {
            var line = fixtureLines[1 + random.below(fixtureLines.count - 1)]
            for _ in 0...random.below(3) {
                let at = random.below(line.count + 1)
                switch random.below(7) {
                case 0 where at < line.count: line[at] ^= UInt8(1) << UInt8(random.below(8))
                case 1 where at < line.count: line[at] = alphabet[random.below(alphabet.count)]
                case 2 where at < line.count: line.remove(at: at)
                case 3: line.insert(alphabet[random.below(alphabet.count)], at: at)
                case 4: line = Array(line[..<at])
                case 5 where at < line.count:
                    let end = min(line.count, at + 1 + random.below(12))
                    line.insert(contentsOf: line[at..<end], at: at)
                default: line.insert(UInt8(truncatingIfNeeded: random.next()), at: at)
                }
            }
            check(meta + [0x0A] + line + [0x0A], "mutation case \(i)")
        }
        #expect(accepted > 0 && rejected > 0, "seed \(seed): accepted \(accepted), rejected \(rejected)")
    }
}
