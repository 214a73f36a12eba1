import CarnetCore
import CarnetLedger
@testable import CarnetNode
import CarnetStore
import CarnetSystem
import CarnetTestKit
import Foundation
import Testing

/// Sections 14 to 16 of the views file (SPEC §6.5): the stock lines, lot products and sale
/// payments cut into blocks, each with its CRC-32C, so that a writer of one entry reads
/// the few lines it checks. What a block reader gives must be what the whole section
/// gives for that key, from a file with tables or without; damage in what it reads makes
/// the file absent to it; `verify` finds a table that is not its section's.
@Suite("Views file blocks")
struct ViewsBlocksTests {
    static let producers = ["F0", "F1", "F2", "Fé"]
    static let products = ["P0", "P1", "P2", "P3", "P4"]

    /// Views with enough lines that one (producer, product), one producer's lots and the
    /// sale payments each span several 64 KiB blocks, and a non-ASCII producer. Names are
    /// padded so that their order as text is their order as bytes.
    static func views(seed: UInt64) -> LedgerViews {
        var rng = SplitMix64(seed: seed)
        var stock: [StockLine] = [], lots: [LotProducts] = [], paid: [SalePayments] = []
        for producer in producers {
            for product in products {
                let count = producer == "F0" && product == "P1" ? 6_000 : Int(rng.next() % 40)
                for lot in 0..<count {
                    stock.append(StockLine(producer: producer, product: product, lot: String(format: "L%06d", lot),
                                           quantity: Int64(rng.next() % 5_000) - 100, unit: rng.next() % 3 == 0 ? nil : .grams))
                }
            }
            let lotCount = producer == "F1" ? 7_000 : Int(rng.next() % 60)
            for lot in 0..<lotCount {
                let made = products.filter { _ in rng.next() % 3 == 0 }
                lots.append(LotProducts(producer: producer, lot: String(format: "L%06d", lot), products: made.isEmpty ? ["P0"] : made))
            }
        }
        for sale in 0..<9_000 { paid.append(SalePayments(sale: String(format: "S%07d", sale * 2), paid: Int64(rng.next() % 90_000))) }
        return LedgerViews(stock: stock, balances: [], availability: [], conflicts: [], catalog: Catalog(products: [], parties: []),
                           labels: [:], entryCount: 1, unreadableCount: 0, lotProducts: lots, salePayments: paid)
    }

    /// A node whose views file holds `views` (with the tables when `blocks`), stamped with
    /// its log's state so that readers take it.
    static func node(holding views: LedgerViews, blocks: Bool = true) throws -> String {
        let (directory, _) = try ViewsFileSectionsTests.hub()
        let stamp = try #require(StampedSections.current(LedgerViewsFile.fileName, as: .views, directory: directory, wanted: [])).stamp
        try write(views, stamp: stamp, directory, blocks: blocks)
        return directory
    }

    static func write(_ views: LedgerViews, stamp: LogStamp, _ directory: String, blocks: Bool = true,
                      changing change: ((inout [(id: UInt8, bytes: [UInt8])]) -> Void)? = nil) throws {
        var sections = LedgerViewsFile.sections(views, conflicts: nil)
        if !blocks { sections.removeAll { LedgerViewsFile.Part.blockTables.contains(LedgerViewsFile.Part(rawValue: $0.id)!) } }
        change?(&sections)
        let file = StampedSections.encoded(stamp: stamp, sections: sections.map { ($0.id, $0.bytes[...]) }, as: .views)
        try ViewsFileSectionsTests.write(file, directory)
    }

    static func opened(_ directory: String, storage: any Storage = PosixStorage()) throws -> (StampedSections, OpenSections) {
        let wanted = Set(LedgerViewsFile.Part.blockTables.map(\.rawValue))
        return try #require(StampedSections.opened(LedgerViewsFile.fileName, as: .views, directory: directory, wanted: wanted,
                                                   storage: storage))
    }

    /// Every product, and lots and sales the views hold (one in 29, and each first and last
    /// of a producer and around the 64 KiB cuts, where a block begins or ends), and some
    /// they do not: before the first, after the last, between two, of a producer without any.
    /// (Every lot and sale, read one by one in a debug build, took a minute.)
    static func probes(_ views: LedgerViews) -> (products: [String], lots: [ViewsPart.Lot], sales: [String]) {
        func sampled<T>(_ all: [T]) -> [T] {
            all.indices.filter { $0 % 29 == 0 || $0 == all.count - 1 || (3_000..<3_400).contains($0) || (5_400..<5_600).contains($0) }
                .map { all[$0] }
        }
        let edges = views.lotProducts.indices.filter { index in
            index == 0 || index == views.lotProducts.count - 1
                || views.lotProducts[index].producer != views.lotProducts[index - 1].producer
                || views.lotProducts[index].producer != views.lotProducts[index + 1].producer
        }.map { views.lotProducts[$0] }
        let lots = (sampled(views.lotProducts) + edges).map { ViewsPart.Lot(producer: $0.producer, lot: $0.lot) }
            + [("F0", "A"), ("F1", "L0000005x"), ("F1", "Z"), ("F9", "L000001"), ("", ""), ("Fé", "L999999")]
            .map { ViewsPart.Lot(producer: $0.0, lot: $0.1) }
        let sales = sampled(views.salePayments).map(\.sale) + ["A", "S0000001", "S9999999", "T", ""]
        return (products + ["PX", "P", ""], lots, sales)
    }

    @Test("each table is the one its section gives, blocks end at a group or past 64 KiB, and readers give the section's lines of their key")
    func readersGiveTheSectionsLines() throws {
        let seed = testSeed(default: 0xB10C_2026)
        let views = Self.views(seed: seed)
        let directory = try Self.node(holding: views)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (file, open) = try Self.opened(directory)
        for kind in ViewsBlocks.Blocked.allCases {
            let section = try #require(open.section(kind.section.rawValue))
            let table = try #require(file.sections[kind.table.rawValue], "seed \(seed): no table for section \(kind.section.rawValue)")
            #expect(ViewsBlocks.table(kind, of: section) == table)
            let blocks = try #require(ViewsBlocks.blocks(kind, table: table, sectionLength: section.count))
            let groups = Set(blocks.map { $0.key.prefix(kind.groupCount).map { String(decoding: $0, as: UTF8.self) } })
            #expect(blocks.count > groups.count, "seed \(seed): a group this large is cut in section \(kind.section.rawValue)")
            #expect(blocks.allSatisfy { $0.length < ViewsBlocks.cutAfter + 64 })
            #expect(blocks.last.map { $0.offset + $0.length } == section.count, "the blocks end the section")
        }
        let (products, lots, sales) = Self.probes(views)
        for product in products {
            let lines = LedgerViewsFile.stockLines(ofProducts: [Array(product.utf8)], in: file, open)
            #expect(lines == views.stock.filter { ExactString($0.product) == ExactString(product) }, "seed \(seed): \(product)")
        }
        let many = LedgerViewsFile.stockLines(ofProducts: [Array("P3".utf8), Array("P1".utf8)], in: file, open)
        #expect(many == views.stock.filter { $0.product == "P1" || $0.product == "P3" }, "seed \(seed): two products, in section order")
        for lot in lots {
            let found = try #require(LedgerViewsFile.lotProducts(of: [lot], in: file, open))
            #expect(LotProducts.products(in: found, producer: lot.producer, lot: lot.lot)
                        == LotProducts.products(in: views.lotProducts, producer: lot.producer, lot: lot.lot),
                    "seed \(seed): lot \(lot.producer)/\(lot.lot)")
        }
        for sale in sales {
            let found = try #require(LedgerViewsFile.salePayments(of: [sale], in: file, open))
            var part = views
            part.salePayments = found
            #expect(part.paid(towards: sale) == views.paid(towards: sale), "seed \(seed): sale \(sale)")
        }
    }

    @Test("a file without the tables (an earlier build's) is read whole and answers the same")
    func withoutTablesTheSectionsAreReadWhole() throws {
        let seed = testSeed(default: 0xB10C_2027)
        let views = Self.views(seed: seed)
        let directory = try Self.node(holding: views, blocks: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(LedgerViewsFile.current(directory: directory) != nil, "thirteen sections are a current file")
        let (file, open) = try Self.opened(directory)
        let (products, lots, sales) = Self.probes(views)
        for product in products {
            #expect(LedgerViewsFile.stockLines(ofProducts: [Array(product.utf8)], in: file, open)
                        == views.stock.filter { ExactString($0.product) == ExactString(product) }, "seed \(seed): \(product)")
        }
        for lot in lots {
            let found = try #require(LedgerViewsFile.lotProducts(of: [lot], in: file, open))
            #expect(LotProducts.products(in: found, producer: lot.producer, lot: lot.lot)
                        == LotProducts.products(in: views.lotProducts, producer: lot.producer, lot: lot.lot))
        }
        for sale in sales.prefix(50) {
            var part = views
            part.salePayments = try #require(LedgerViewsFile.salePayments(of: [sale], in: file, open))
            #expect(part.paid(towards: sale) == views.paid(towards: sale))
        }
    }

    @Test("a reader of one product reads its blocks and the small sections, not the stock section")
    func readsOnlyItsBlocks() throws {
        let views = Self.views(seed: 0xB10C_2028)
        let directory = try Self.node(holding: views)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let storage = RecordingStorage()
        let (file, open) = try Self.opened(directory, storage: storage)
        let lines = try #require(LedgerViewsFile.stockLines(ofProducts: [Array("P3".utf8)], in: file, open))
        #expect(lines == views.stock.filter { $0.product == "P3" })
        let layout = ViewsFileSectionsTests.layout(try ViewsFileSectionsTests.bytes(directory))
        let stock = try #require(layout.sections[LedgerViewsFile.Part.stock.rawValue])
        let read = storage.reads.withLock { $0 }.filter { $0.0.hasSuffix("/" + LedgerViewsFile.fileName) }
            .reduce(0) { $0 + $1.1.clamped(to: stock).count }
        #expect(read > 0 && read * 10 < stock.count, "read \(read) of the stock section's \(stock.count) bytes")
    }

    @Test("damage in a block read, or a table that does not fit, makes the file absent to that reader")
    func damageIsRefused() throws {
        let views = Self.views(seed: 0xB10C_2029)
        let directory = try Self.node(holding: views)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let stamp = try Self.opened(directory).0.stamp
        // A byte of a P2 line flipped in section 2 (its section checksum is not what a block
        // reader checks): the reader of P2 refuses, the reader of P3 does not see it.
        var bytes = try ViewsFileSectionsTests.bytes(directory)
        let stockRange = try #require(ViewsFileSectionsTests.layout(bytes).sections[LedgerViewsFile.Part.stock.rawValue])
        let firstP2 = try #require(LedgerViewsFile.sections(views, conflicts: nil).first { $0.id == 2 }?.bytes
            .firstRange(of: Array("P2".utf8)))
        bytes[stockRange.lowerBound + firstP2.upperBound + 3] ^= 0x01
        try ViewsFileSectionsTests.write(bytes, directory)
        var (file, open) = try Self.opened(directory)
        #expect(LedgerViewsFile.stockLines(ofProducts: [Array("P2".utf8)], in: file, open) == nil)
        #expect(LedgerViewsFile.stockLines(ofProducts: [Array("P3".utf8)], in: file, open) == views.stock.filter { $0.product == "P3" })

        // A table whose first block's CRC is off by one (the file's own checksums made anew).
        var firstLot: ViewsPart.Lot?
        try Self.write(views, stamp: stamp, directory) { sections in
            let at = sections.firstIndex { $0.id == LedgerViewsFile.Part.lotProductBlocks.rawValue }!
            let length = sections.first { $0.id == LedgerViewsFile.Part.lotProducts.rawValue }!.bytes.count
            var blocks = ViewsBlocks.blocks(.lotProducts, table: sections[at].bytes, sectionLength: length)!
            blocks[0].crc &+= 1
            firstLot = ViewsPart.Lot(producer: String(decoding: blocks[0].key[0], as: UTF8.self),
                                     lot: String(decoding: blocks[0].key[1], as: UTF8.self))
            sections[at].bytes = Self.table(blocks)
        }
        (file, open) = try Self.opened(directory)
        #expect(LedgerViewsFile.lotProducts(of: [try #require(firstLot)], in: file, open) == nil)

        // A table whose blocks' lengths do not fit the section (one byte more).
        try Self.write(views, stamp: stamp, directory) { sections in
            let at = sections.firstIndex { $0.id == LedgerViewsFile.Part.salePaymentBlocks.rawValue }!
            let section = sections.first { $0.id == LedgerViewsFile.Part.salePayments.rawValue }!.bytes
            let blocks = ViewsBlocks.blocks(.salePayments, table: sections[at].bytes, sectionLength: section.count)!
            #expect(ViewsBlocks.blocks(.salePayments, table: sections[at].bytes, sectionLength: section.count + 11) == nil)
            // 9,000 lines: a count of two bytes, so the blocks begin two bytes in.
            #expect(ViewsBlocks.blocks(.salePayments, table: sections[at].bytes, sectionLength: section.count - 2) == nil)
            #expect(blocks.count > 1)
            sections[at].bytes += [0]
        }
        (file, open) = try Self.opened(directory)
        #expect(LedgerViewsFile.salePayments(of: ["S0000002"], in: file, open) == nil, "a table with a byte left over")
    }

    /// A table as SPEC §6.5 lays it out, from its blocks.
    static func table(_ blocks: [ViewsBlocks.Block]) -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        writer.varint(UInt64(blocks.count))
        for block in blocks {
            writer.varint(UInt64(block.lines))
            writer.varint(UInt64(block.length))
            writer.raw([UInt8(block.crc >> 24), UInt8(block.crc >> 16 & 0xFF), UInt8(block.crc >> 8 & 0xFF), UInt8(block.crc & 0xFF)])
            for key in block.key {
                writer.varint(UInt64(key.count))
                writer.raw(key)
            }
        }
        return writer.bytes
    }

    @Test("verify reports a table that is not the one its section gives")
    func verifyFindsAWrongTable() throws {
        let (directory, _) = try ViewsFileSectionsTests.hub()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(try StoreAudit.run(directory: directory).problems.isEmpty)
        let stamp = try Self.opened(directory).0.stamp
        let views = try #require(LedgerViewsFile.current(directory: directory))
        // The stock table of another stock: well formed, its checksums right, and wrong.
        var other = views
        other.stock.append(StockLine(producer: "zz", product: "P1", lot: "L9", quantity: 1, unit: nil))
        let wrong = try #require(LedgerViewsFile.sections(other, conflicts: nil).first { $0.id == LedgerViewsFile.Part.stockBlocks.rawValue })
        try Self.write(views, stamp: stamp, directory) { sections in
            sections[sections.firstIndex { $0.id == wrong.id }!].bytes = wrong.bytes
        }
        let problems = try StoreAudit.run(directory: directory).problems
        #expect(problems.contains { $0.contains("section 14") }, "\(problems)")
    }
}
