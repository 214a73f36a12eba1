import CarnetCore
import CarnetLedger
@testable import CarnetNode
import CarnetStore
import CarnetTestKit
import Foundation
import Testing

/// The records a writer leaves past the views file and the entry index (`DerivedTail`,
/// SPEC §6.8): what readers show with them added is what a fold of every event shows, in
/// every part a command decodes alone; a tail no writer vouched for is never added.
@Suite("The log past the views file and the entry index")
struct DerivedTailTests {
    /// Every view a reading command decodes alone, and the entry index's answers, held to a
    /// fold of the store and an index built from scratch.
    private static func expectReadersAgree(_ directory: String, wall: UInt64, ids: [String], _ context: String) throws {
        let store = try NodeStore(directory: directory, wallMillis: wall) { Issue.record("continued"); return NodeID.derived(from: "x") }
        let folded = LedgerViews(replica: store.replica)
        let all = try #require(LedgerViewsFile.current(directory: directory), "\(context): no views")
        #expect(all.differences(from: folded).isEmpty, "\(context): views differ in \(all.differences(from: folded))")
        let sameBytes = LedgerViewsFile.encode(all) == LedgerViewsFile.encode(folded)
        #expect(sameBytes, "\(context): views differ in their bytes")
        let balances = try #require(LedgerViewsFile.current(directory: directory, parts: [.balances]))
        #expect(balances.balances == folded.balances, "\(context): balances")
        let totals = try #require(LedgerViewsFile.current(directory: directory, parts: [.stockTotals]))
        #expect(totals.stock == StockTotals.of(folded.stock, catalog: nil), "\(context): stock totals")
        let available = try #require(LedgerViewsFile.current(directory: directory, parts: [.availability]))
        #expect(available.availability == folded.availability, "\(context): availability")
        let counts = try #require(LedgerViewsFile.current(directory: directory, parts: [.counts]))
        #expect(counts.entryCount == folded.entryCount, "\(context): entries counted")

        // The index as readers take it, against one built from scratch for the same log in a copy.
        let index = try #require(EntryIndex.current(directory: directory), "\(context): no index")
        #expect(index.stamp == store.stamp, "\(context): the index does not describe the log")
        let copy = EntryIndexTests.directory()
        defer { try? FileManager.default.removeItem(atPath: copy) }
        try FileManager.default.copyItem(atPath: directory, toPath: copy)
        let names = index.names
        let scratch = try #require(EntryIndexBuilder.fromScratch(replica: store.replica, names: names, stamp: store.stamp,
                                                                 directory: directory, storage: store.fileStorage))
        let body = EntryIndexFile.encodeBody(scratch, stamp: store.stamp)
        try Data(StampedFile(stamp: store.stamp, body: body).encoded(as: .entries))
            .write(to: URL(fileURLWithPath: copy + "/" + EntryIndexFile.fileName))
        let whole = try #require(EntryIndex.current(directory: copy), "\(context): the index from scratch does not read")
        #expect(whole.tail.isEmpty && index.entryCount == whole.entryCount, "\(context): entries \(index.entryCount) ≠ \(whole.entryCount)")
        let shown = try index.newest(index.entryCount), expected = try whole.newest(whole.entryCount)
        #expect(shown.map(\.record) == expected.map(\.record) && shown.map(\.voidedBy) == expected.map(\.voidedBy),
                "\(context): `log` differs")
        for producer in ["N0", "N1"] {
            var mine: [LedgerRecord] = [], theirs: [LedgerRecord] = []
            try index.forEachNewest(producer: producer, limit: 7) { record, _, _ in mine.append(record) }
            try whole.forEachNewest(producer: producer, limit: 7) { record, _, _ in theirs.append(record) }
            #expect(mine == theirs, "\(context): `log --producer \(producer) --limit 7` differs")
        }
        for id in ids {
            let found = try index.lookUp(id), wanted = try whole.lookUp(id)
            #expect(found.records == wanted.records && found.reversals == wanted.reversals, "\(context): `show \(id)` differs")
        }
    }

    /// An appender reading every part of the views, or (`naming`: the generator the entry
    /// will be made with) only the part its entry's product and producer need, as `record` reads.
    private static func appender(_ directory: String, wall: UInt64, naming rng: SplitMix64?) -> EntryAppender? {
        guard var peek = rng else { return EntryAppender.open(directory: directory, wallMillis: wall) }
        let entry = ViewsFileWithWritesTests.entry("peek", wall: wall, using: &peek)
        return EntryAppender.open(directory: directory, wallMillis: wall, part: ViewsPart(entries: [entry]))
    }

    @Test("readers add the log past the files and show what a fold shows, in every part alone")
    func readersAddTheTail() throws {
        let base = testSeed(default: 0xD7A1_1E00)
        var tails = 0, rewrites = 0, throughTheNode = 0, partialWrites = 0
        for offset in 0..<4 as Range<UInt64> {
            let seed = base &+ offset
            let history = RandomHistory(seed: seed, nodes: 3, steps: 40)
            var rng = SplitMix64(seed: seed ^ 0x7A)
            let directory = EntryIndexTests.directory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            var wall: UInt64 = [1_790_000_000_000, 1_780_000_000_000 - 3_600_000][Int(offset % 2)]
            try ViewsFileWithWritesTests.hub(directory, seed: seed, holding: history, wall: wall)
            var ids: [String] = []
            for step in 0..<24 {
                wall += 60_000
                let context = "seed \(seed), step \(step)"
                let make = { (first: Dot, rng: inout SplitMix64) -> [CarnetCore.Operation] in
                    [.append(ViewsFileWithWritesTests.entry(EntryIDs.make(kind: .harvest, node: first.node, seq: first.seq),
                                                            wall: wall, using: &rng).coreEntry)]
                }
                if step % 7 == 6 {
                    // A write through the node: it reads the files with their tail, and writes them exactly.
                    var node = try LocalNode(directory: directory, wallMillis: wall)
                    let adds = node.addWritesToViewsFile()
                    #expect(adds, "\(context): the node could not read the files with their tail")
                    let written = try node.write(wallMillis: wall) { first, _ in make(first, &rng) }
                    ids += written.compactMap { LedgerRecord(reading: $0)?.entry.id }
                    let warnings = node.saveDerivedState()
                    #expect(warnings.isEmpty, "\(context)")
                    throughTheNode += 1
                } else if var appender = Self.appender(directory, wall: wall, naming: step % 2 == 1 ? rng : nil) {
                    appender.rewriteFilesAbove = 4
                    var copy = rng
                    if let written = try appender.write(wallMillis: wall, { first in make(first, &copy) }) {
                        rng = copy
                        if step % 2 == 1 { partialWrites += 1 }
                        ids += written.compactMap { LedgerRecord(reading: $0)?.entry.id }
                        let warnings = appender.saveDerivedState()
                        #expect(warnings.isEmpty, "\(context)")
                    } else {
                        var node = try LocalNode(directory: directory, wallMillis: wall)
                        let written = try node.write(wallMillis: wall) { first, _ in make(first, &rng) }
                        ids += written.compactMap { LedgerRecord(reading: $0)?.entry.id }
                        let warnings = node.saveDerivedState()
                        #expect(warnings.isEmpty, "\(context)")
                    }
                } else {
                    Issue.record("\(context): the appender declined files a reader takes")
                    return
                }
                let index = try #require(EntryIndex.current(directory: directory), "\(context)")
                if index.tail.isEmpty { rewrites += 1 } else { tails += 1 }
                try Self.expectReadersAgree(directory, wall: wall, ids: ids + ["no-such-entry"], context)
            }
            // `verify` compares the views and the index with the tail added: one is left.
            if var appender = EntryAppender.open(directory: directory, wallMillis: wall + 60_000) {
                _ = try appender.write(wallMillis: wall + 60_000) { first in
                    [.append(LedgerEntry(id: EntryIDs.make(kind: .harvest, node: first.node, seq: first.seq), kind: .harvest,
                                         producer: "N0", date: CalendarDay(epochMillis: wall), product: "P9", quantity: 500,
                                         unit: .grams, lot: "fresh").coreEntry)]
                }
                _ = appender.saveDerivedState()
            }
            #expect(EntryIndex.current(directory: directory)?.tail.isEmpty == false, "seed \(seed): no tail left for verify")
            let audit = try StoreAudit.run(directory: directory)
            #expect(audit.viewsCurrent && audit.viewsMatch == true && audit.entryIndexCurrent && audit.entryIndexMatch == true,
                    "seed \(seed): verify \(audit.problems)")
        }
        #expect(tails > 20 && rewrites > 10 && throughTheNode > 8 && partialWrites > 8,
                "tails \(tails), rewrites \(rewrites), through the node \(throughTheNode), from a part of the views \(partialWrites)")
    }

    /// Writes `entry` (its id made from the first dot) from the files alone when the appender
    /// takes it, else through the node, as `record` does; true when the appender took it.
    private static func record(_ entry: @escaping (Dot) -> LedgerEntry, _ directory: String, wall: UInt64,
                               partial: Bool, _ context: String) throws -> Bool {
        let probe = entry(Dot(node: NodeID.derived(from: "probe"), seq: 1))
        let opened = partial
            ? EntryAppender.open(directory: directory, wallMillis: wall, part: ViewsPart(entries: [probe]))
            : EntryAppender.open(directory: directory, wallMillis: wall)
        if var appender = opened {
            appender.rewriteFilesAbove = 3
            if try appender.write(wallMillis: wall, { first in [.append(entry(first).coreEntry)] }) != nil {
                let warnings = appender.saveDerivedState()
                #expect(warnings.isEmpty, "\(context): \(warnings)")
                return true
            }
        }
        var node = try LocalNode(directory: directory, wallMillis: wall)
        try node.write(wallMillis: wall) { first, _ in [.append(entry(first).coreEntry)] }
        let warnings = node.saveDerivedState()
        #expect(warnings.isEmpty, "\(context): \(warnings)")
        return false
    }

    @Test("payments settling held sales are added from the files while no overpayment can follow; the others are folded")
    func paymentsSettlingSales() throws {
        let seed = testSeed(default: 0xD7A1_1E03)
        let directory = EntryIndexTests.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var wall: UInt64 = 1_790_000_000_000
        try ViewsFileWithWritesTests.hub(directory, seed: seed, holding: RandomHistory(seed: seed, nodes: 3, steps: 30), wall: wall)
        var rng = SplitMix64(seed: seed)
        var taken = 0, folded = 0, ids: [String] = []
        for round in 0..<4 {
            let day = CalendarDay(epochMillis: wall)
            let partial = round % 2 == 1
            func step(_ what: String, expectTaken: Bool?, _ entry: @escaping (Dot) -> LedgerEntry) throws {
                wall += 60_000
                let context = "seed \(seed), round \(round), \(what)"
                let took = try Self.record(entry, directory, wall: wall, partial: partial, context)
                if let expectTaken { #expect(took == expectTaken, "\(context): taken \(took)") }
                if took { taken += 1 } else { folded += 1 }
                ids.append(entry(Dot(node: NodeID.derived(from: "probe"), seq: 1)).id)
                try Self.expectReadersAgree(directory, wall: wall, ids: ids, context)
            }
            let lot = "PAY\(round)", sale = "sale-\(round)-\(rng.next() % 1_000)"
            let worth = Int64.random(in: 1_000...9_000, using: &rng)
            // A product the producer never had: its total is not in the file, and readers of
            // the totals make it from the product's lines.
            try step("a first harvest of a product", expectTaken: true) { _ in
                LedgerEntry(id: "h-new-\(round)", kind: .harvest, producer: "N0", date: day, product: "NEW\(round)", quantity: 700,
                            unit: .grams, lot: "NEWLOT\(round)")
            }
            try step("harvest", expectTaken: true) { _ in
                LedgerEntry(id: "h-\(lot)", kind: .harvest, producer: "N0", date: day, product: "P0", quantity: 5_000, unit: .grams, lot: lot)
            }
            try step("sale", expectTaken: true) { _ in
                LedgerEntry(id: sale, kind: .sale, producer: "N0", date: day, product: "P0", quantity: 1_000, unit: .grams, lot: lot,
                            party: "cantine", amount: worth)
            }
            let first = Int64.random(in: 1...(worth - 1), using: &rng)
            try step("a first payment", expectTaken: true) { _ in
                LedgerEntry(id: "p1-\(sale)", kind: .payment, producer: "N0", date: day, party: "cantine", amount: first, ref: sale)
            }
            try step("the rest", expectTaken: true) { _ in
                LedgerEntry(id: "p2-\(sale)", kind: .payment, producer: "N0", date: day, party: "cantine", amount: worth - first, ref: sale)
            }
            try step("a cent too many: an overpayment, folded", expectTaken: false) { _ in
                LedgerEntry(id: "p3-\(sale)", kind: .payment, producer: "N0", date: day, party: "cantine", amount: 1, ref: sale)
            }
            try step("a payment of an id nobody holds, folded", expectTaken: false) { _ in
                LedgerEntry(id: "p4-\(sale)", kind: .payment, producer: "N0", date: day, party: "cantine", amount: 5, ref: "nobody-\(sale)")
            }
            try step("a payment of nothing towards the overpaid sale, folded", expectTaken: false) { _ in
                LedgerEntry(id: "p5-\(sale)", kind: .payment, producer: "N0", date: day, party: "cantine", amount: 0, ref: sale)
            }
            // A second sale under one id: the two are worth their sum, and payment may go on.
            try step("a second sale carrying the same id: a duplicate, folded", expectTaken: false) { _ in
                LedgerEntry(id: sale, kind: .sale, producer: "N0", date: day, product: "P0", quantity: 100, unit: .grams, lot: lot,
                            party: "cantine", amount: 500)
            }
            try step("a payment within the two sales' worth", expectTaken: true) { _ in
                LedgerEntry(id: "p6-\(sale)", kind: .payment, producer: "N0", date: day, party: "cantine", amount: 400, ref: sale)
            }
        }
        #expect(taken >= 24 && folded >= 16, "taken \(taken), folded \(folded)")
        let audit = try StoreAudit.run(directory: directory)
        #expect(audit.viewsMatch == true && audit.entryIndexMatch != false, "verify: \(audit.problems)")
    }

    @Test("a writer that read the part of the views one product needs refuses an entry of another")
    func partReadRefusesOtherProducts() throws {
        let seed = testSeed(default: 0xD7A1_1E02)
        let directory = EntryIndexTests.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let wall: UInt64 = 1_790_000_000_000
        try ViewsFileWithWritesTests.hub(directory, seed: seed, holding: RandomHistory(seed: seed, nodes: 2, steps: 20), wall: wall)
        let size = try FileManager.default.attributesOfItem(atPath: directory + "/events.log")[.size] as? Int
        guard var appender = EntryAppender.open(directory: directory, wallMillis: wall,
                                                part: ViewsPart(products: ["P9"], lots: [ViewsPart.Lot(producer: "N0", lot: "Z")])) else {
            Issue.record("no appender on a hub just written")
            return
        }
        let written = try appender.write(wallMillis: wall + 1) { first in
            [.append(LedgerEntry(id: EntryIDs.make(kind: .harvest, node: first.node, seq: first.seq), kind: .harvest, producer: "N0",
                                 date: CalendarDay(epochMillis: wall), product: "Q7", quantity: 500, unit: .grams, lot: "Z").coreEntry)]
        }
        #expect(written == nil, "an entry of a product whose lines were not read was written")
        #expect(try FileManager.default.attributesOfItem(atPath: directory + "/events.log")[.size] as? Int == size)
    }

    @Test("a tail the status file does not vouch for is not added, and the node writes the files again")
    func unvouchedTailIsNotAdded() throws {
        let seed = testSeed(default: 0xD7A1_1E01)
        let directory = EntryIndexTests.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var wall: UInt64 = 1_790_000_000_000
        try ViewsFileWithWritesTests.hub(directory, seed: seed, holding: RandomHistory(seed: seed, nodes: 2, steps: 20), wall: wall)
        guard var appender = EntryAppender.open(directory: directory, wallMillis: wall) else {
            Issue.record("no appender on a hub just written")
            return
        }
        wall += 60_000
        let written = try appender.write(wallMillis: wall) { first in
            [EntryIndexMergeTests.harvest(EntryIDs.make(kind: .harvest, node: first.node, seq: first.seq))]
        }
        #expect(written?.count == 1)
        let warnings = appender.saveDerivedState()
        #expect(warnings.isEmpty)
        #expect(LedgerViewsFile.current(directory: directory) != nil && EntryIndex.current(directory: directory)?.tail.count == 1,
                "the tail written is not added")
        // The same log, with a status file that does not name where the tail begins.
        do {
            var store = try NodeStore(directory: directory, wallMillis: wall) { NodeID.derived(from: "x") }
            let conflicts = try #require(StoreStatus.current(directory: directory)?.derived[NodeStatus.conflictsKey])
            try store.saveStatus(derived: [NodeStatus.conflictsKey: conflicts])
        }
        #expect(LedgerViewsFile.current(directory: directory) == nil, "views taken with a tail nobody vouched for")
        #expect(LedgerViewsFile.current(directory: directory, parts: [.balances]) == nil)
        #expect(EntryIndex.current(directory: directory) == nil, "an index taken with a tail nobody vouched for")
        let opens = EntryAppender.open(directory: directory, wallMillis: wall) != nil
        #expect(!opens, "an appender on files it cannot believe")
        var node = try LocalNode(directory: directory, wallMillis: wall)
        let adds = node.addWritesToViewsFile()
        #expect(!adds)
        try node.write([EntryIndexMergeTests.harvest("after")], wallMillis: wall + 1)
        let saved = node.saveDerivedState()
        #expect(saved.isEmpty)
        #expect(EntryIndex.current(directory: directory)?.tail.isEmpty == true)
        try Self.expectReadersAgree(directory, wall: wall, ids: ["after"], "after the node wrote")
    }
}
