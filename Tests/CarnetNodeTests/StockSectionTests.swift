import CarnetCore
import CarnetLedger
@testable import CarnetNode
import CarnetTestKit
import CarnetWire
import Testing

/// Section 2 of the views file (SPEC §6.5), read in place (`LedgerViewsFile.readStock`,
/// `SectionReader`) rather than through `ByteReader`: it must read what the format says
/// and refuse exactly what `ByteReader` refused.
@Suite("Views file: the stock section")
struct StockSectionTests {
    static let texts = ["", "F07", "P0001", "L00-00050", "Lé-2", "L-œ", "a much longer lot name than fifteen bytes",
                        "日本", "😀", "\u{0}", "\u{7F}x"]

    static func randomLines(_ rng: inout SplitMix64, count: Int) -> [StockLine] {
        (0..<count).map { _ in
            StockLine(producer: texts.randomElement(using: &rng)!, product: texts.randomElement(using: &rng)!,
                      lot: texts.randomElement(using: &rng)!,
                      quantity: [0, 1, -1, 127, -129, Int64.max, Int64.min, Int64.random(in: -1_000_000...1_000_000, using: &rng)]
                          .randomElement(using: &rng)!,
                      unit: ([nil] + QuantityUnit.allCases.map(Optional.some)).randomElement(using: &rng)!)
        }
    }

    /// The section as the format writes it, field by field (not through `writeStock`).
    static func formatBytes(_ lines: [StockLine]) -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        writer.varint(UInt64(lines.count))
        for line in lines {
            for text in [line.producer, line.product, line.lot] { writer.string(text) }
            writer.signed(line.quantity)
            writer.string(line.unit?.rawValue ?? "")
        }
        return writer.bytes
    }

    /// The reader this one replaced: `ByteReader`, line by line.
    static func referenceRead(_ bytes: [UInt8]) -> [StockLine]? {
        var reader = ByteReader(bytes)
        var lines: [StockLine] = []
        do throws(WireError) {
            for _ in 0..<(try reader.count(limit: bytes.count, "stock lines")) {
                let producer = try reader.string(), product = try reader.string(), lot = try reader.string()
                let quantity = try reader.signed(), unitText = try reader.string()
                let unit = QuantityUnit(rawValue: unitText)
                guard unitText.isEmpty || unit != nil else { return nil }
                lines.append(StockLine(producer: producer, product: product, lot: lot, quantity: quantity, unit: unit))
            }
        } catch {
            return nil
        }
        return reader.isAtEnd ? lines : nil
    }

    static func read(_ bytes: [UInt8]) -> [StockLine]? {
        var lines: [StockLine] = []
        do throws(WireError) {
            return try LedgerViewsFile.readStock(bytes, into: &lines) ? lines : nil
        } catch {
            return nil
        }
    }

    @Test("random stock lines are written as the format says and read back")
    func roundTrip() {
        var rng = SplitMix64(seed: testSeed(default: 0x5700_C001))
        for count in [0, 1, 2, 17, 300] {
            let lines = Self.randomLines(&rng, count: count)
            var writer = ByteWriter(capacity: 64)
            LedgerViewsFile.writeStock(lines, into: &writer)
            #expect(writer.bytes == Self.formatBytes(lines), "\(count) lines")
            #expect(Self.read(writer.bytes) == lines, "\(count) lines")
        }
    }

    @Test("cut, altered or padded sections are refused where ByteReader refused them, and read alike where it read")
    func damageIsRefusedAsBefore() {
        var rng = SplitMix64(seed: testSeed(default: 0x5700_C002))
        var refused = 0
        for round in 0..<60 {
            let bytes = Self.formatBytes(Self.randomLines(&rng, count: 1 + round % 7))
            var damaged: [[UInt8]] = (0..<bytes.count).map { Array(bytes[..<$0]) } + [bytes + [0], bytes + [0x80]]
            for _ in 0..<40 {
                var altered = bytes
                let at = Int.random(in: 0..<altered.count, using: &rng)
                altered[at] = [0xFF, 0x80, 0xC3, 0x00, 0x7F, UInt8.random(in: 0...255, using: &rng)].randomElement(using: &rng)!
                damaged.append(altered)
            }
            for candidate in damaged {
                let expected = Self.referenceRead(candidate)
                #expect(Self.read(candidate) == expected, "\(candidate) read otherwise than ByteReader reads it")
                if expected == nil { refused += 1 }
            }
        }
        #expect(refused > 1_000, "the damage exercised refusals: \(refused)")
        // And the cases by name: a string that is not UTF-8, a unit this version does not know,
        // a count beyond the bytes, an overlong varint.
        #expect(Self.read([1, 1, 0xFF, 0, 0, 0, 0]) == nil)
        #expect(Self.read([1, 0, 0, 0, 0, 2] + Array("kg".utf8)) == nil)
        #expect(Self.read([1, 0, 0, 0, 0, 1] + Array("g".utf8)) == [StockLine(producer: "", product: "", lot: "", quantity: 0, unit: .grams)])
        #expect(Self.read([200, 1]) == nil)
        #expect(Self.read([1] + [UInt8](repeating: 0xFF, count: 11)) == nil)
    }

    @Test("a damaged stock section refuses the file for stock, and only for stock")
    func damagedSectionInTheFile() throws {
        let mark = "LOT-MARK-XYZ"
        let views = LedgerViews(stock: [StockLine(producer: "col", product: "P1", lot: mark, quantity: 5_000, unit: .grams)],
                                balances: [Balance(producer: "col", party: "cantine", cents: 1_200)], availability: [],
                                conflicts: [], catalog: Catalog(products: [], parties: []), labels: [:], entryCount: 2,
                                unreadableCount: 0)
        var body = LedgerViewsFile.encode(views)
        #expect(LedgerViewsFile.decode(body, parts: [.stock])?.stock == views.stock)
        let at = try #require((0..<body.count).first { Array(body[$0..<min(body.count, $0 + mark.utf8.count)]) == Array(mark.utf8) })
        body[at] = 0xFF
        #expect(LedgerViewsFile.decode(body, parts: [.stock]) == nil, "a lot that is not UTF-8 was read")
        #expect(LedgerViewsFile.decode(body, parts: [.balances])?.balances == views.balances, "balances do not read the stock")
    }
}
