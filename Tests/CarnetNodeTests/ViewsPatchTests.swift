import CarnetCore
import CarnetLedger
@testable import CarnetNode
import CarnetStore
import CarnetTestKit
import Foundation
import Testing

/// A writer that read a part of the views writes the file again, every 257th write, from
/// the file and the log past it, re-encoding only the groups of lines the entries touch
/// (`LedgerViewsFile.patchedSections`). It must write the very bytes that reading the
/// whole file, adding the log past it and encoding every section writes.
@Suite("Views file written again by patching")
struct ViewsPatchTests {
    private static func entry(_ kind: EntryKind, _ id: String, producer: String, product: String, lot: String, grams: Int64,
                              wall: UInt64, party: String? = nil, amount: Int64? = nil, ref: String? = nil) -> LedgerEntry {
        var entry = LedgerEntry(id: id, kind: kind, producer: producer, date: CalendarDay(epochMillis: wall))
        if kind.movesStock {
            entry.product = product
            entry.quantity = grams
            entry.unit = .grams
            entry.lot = lot
        }
        entry.party = party
        entry.amount = amount
        entry.ref = ref
        return entry
    }

    /// Writes `entries` through an appender that read the part they name; true when it did
    /// (nothing written otherwise). `rewrite`: the views file and index written again after.
    private static func write(_ directory: String, _ entries: [LedgerEntry], wall: UInt64, rewrite: Bool, patch: Bool) throws
        -> (written: Bool, patched: Bool) {
        guard var appender = EntryAppender.open(directory: directory, wallMillis: wall, part: ViewsPart(entries: entries)) else {
            return (false, false)
        }
        appender.rewriteFilesAbove = rewrite ? -1 : 10_000
        appender.patchesViews = patch
        guard try appender.write(wallMillis: wall, { _ in entries.map { .append($0.coreEntry) } }) != nil else { return (false, false) }
        let warnings = appender.saveDerivedState()
        #expect(warnings.isEmpty, "\(warnings)")
        return (true, appender.viewsPatched)
    }

    private static func bytes(_ directory: String, _ name: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))
    }

    /// A hub holding `ViewsBlocksTests.views(seed:)`, then a tail of harvests into new lots of
    /// every group (the long F0/P1 group and the non-ASCII producer's among them), sales from
    /// them, and last payments towards three of those sales, written with the views file
    /// rewritten (`patch` or not). Built the same way twice, the two logs are the same bytes.
    private static func scenario(seed: UInt64, patch: Bool) throws -> (directory: String, patched: Bool) {
        var rng = SplitMix64(seed: seed)
        let directory = try ViewsBlocksTests.node(holding: ViewsBlocksTests.views(seed: seed))
        var wall: UInt64 = 1_790_000_000_000
        var sales: [String] = []
        for step in 0..<12 {
            wall += 60_000
            var batch: [LedgerEntry] = []
            for index in 0..<Int.random(in: 1...4, using: &rng) {
                let producer = ViewsBlocksTests.producers.randomElement(using: &rng)!
                let product = step % 3 == 0 ? "P1" : ViewsBlocksTests.products.randomElement(using: &rng)!
                let lot = "N\(seed % 97)-\(step)-\(index)"
                batch.append(Self.entry(.harvest, "h-\(seed)-\(step)-\(index)", producer: producer, product: product, lot: lot,
                                        grams: 5_000, wall: wall))
                if index == 0 {
                    let sale = String(format: "S%07d", (step * 1_499 + Int(seed % 700) * 2) | 1)  // odd: a new line among the even
                    batch.append(Self.entry(.sale, sale, producer: producer, product: product, lot: lot, grams: 1_000,
                                            wall: wall, party: "cantine", amount: 900))
                    sales.append(sale)
                }
            }
            let (written, _) = try Self.write(directory, batch, wall: wall, rewrite: false, patch: true)
            #expect(written, "seed \(seed), step \(step): the appender declined")
        }
        wall += 60_000
        var last = sales.prefix(3).enumerated().map { index, sale in
            Self.entry(.payment, "p-\(seed)-\(index)", producer: "F1", product: "", lot: "", grams: 0, wall: wall,
                       party: "cantine", amount: 400, ref: sale)
        }
        last.append(Self.entry(.harvest, "h-\(seed)-last", producer: "Fé", product: "P3", lot: "Z", grams: 1, wall: wall))
        let (written, patched) = try Self.write(directory, last, wall: wall, rewrite: true, patch: patch)
        #expect(written, "seed \(seed): the last write was declined")
        return (directory, patched)
    }

    @Test("the patched file is the whole rewrite's, byte for byte, over groups that span several blocks")
    func patchedIsWhole() throws {
        let base = testSeed(default: 0x9A7C_4001)
        for offset in 0..<2 as Range<UInt64> {
            let seed = base &+ offset
            let (directory, patched) = try Self.scenario(seed: seed, patch: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let (whole, read) = try Self.scenario(seed: seed, patch: false)
            defer { try? FileManager.default.removeItem(atPath: whole) }
            #expect(patched && !read, "seed \(seed): patched \(patched), read whole \(read)")
            #expect(try Self.bytes(directory, "events.log") == Self.bytes(whole, "events.log"), "seed \(seed): the logs differ")
            let file = try Self.bytes(directory, LedgerViewsFile.fileName)
            #expect(file == (try Self.bytes(whole, LedgerViewsFile.fileName)), "seed \(seed): the patched views file differs")
            #expect(try Self.bytes(directory, EntryIndexFile.fileName) == Self.bytes(whole, EntryIndexFile.fileName), "seed \(seed)")
            // Written for the log as it is: no tail left, and the tables are their sections'.
            let stamp = try #require(StampedSections.current(LedgerViewsFile.fileName, as: .views, directory: directory, wanted: []))
            #expect(stamp.stamp.isCurrent(directory: directory), "seed \(seed): the file is not current")
            let decoded = try #require(StampedSections.decode([UInt8](file), as: .views))
            #expect(LedgerViewsFile.blockTablesDiffering(decoded).isEmpty, "seed \(seed)")
        }
    }

    @Test("a file without block tables is read whole instead, and gets them")
    func withoutTablesReadWhole() throws {
        let seed = testSeed(default: 0x9A7C_4002)
        let directory = try ViewsBlocksTests.node(holding: ViewsBlocksTests.views(seed: seed), blocks: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let wall: UInt64 = 1_790_000_060_000
        let harvest = Self.entry(.harvest, "h-\(seed)", producer: "F2", product: "P2", lot: "new", grams: 10, wall: wall)
        let result = try Self.write(directory, [harvest], wall: wall, rewrite: true, patch: true)
        #expect(result == (true, false), "seed \(seed): \(result)")
        let file = try #require(StampedSections.current(LedgerViewsFile.fileName, as: .views, directory: directory,
                                                        wanted: Set(LedgerViewsFile.Part.blockTables.map(\.rawValue))))
        #expect(LedgerViewsFile.Part.blockTables.allSatisfy { file.sections[$0.rawValue] != nil }, "seed \(seed)")
    }
}
