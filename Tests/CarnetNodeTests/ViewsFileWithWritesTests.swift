import CarnetCore
import CarnetLedger
@testable import CarnetNode
import CarnetTestKit
import Foundation
import Testing

/// A writer that adds what it writes or takes in to the views file it read before
/// (`LocalNode.addWritesToViewsFile`, what `carnet record`, `merge` and `bundle apply` do)
/// leaves the views file and the entry index as folding every event again would, and folds
/// when another writer's record came in between or the views cannot take what came.
@Suite("A writer adds its entries to the views file")
struct ViewsFileWithWritesTests {
    @Test("entries added to the views leave the views file and the entry index as a fold would")
    func addedLikeFolded() throws {
        let base = testSeed(default: 0x7EC0_4D01)
        var added = 0, folded = 0
        for offset in 0..<6 as Range<UInt64> {
            let seed = base &+ offset
            let history = RandomHistory(seed: seed, nodes: 3, steps: 60)
            var rng = SplitMix64(seed: seed ^ 0x4D)
            let directory = EntryIndexTests.directory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            var wall: UInt64 = 1_790_000_000_000
            try Self.hub(directory, seed: seed, holding: history, wall: wall)
            for step in 0..<12 {
                wall += 60_000
                let context = "seed \(seed), step \(step)"
                // A new process each time, as each `carnet record` is.
                var node = try LocalNode(directory: directory, wallMillis: wall, keepingChainsCold: step % 2 == 0)
                let current = node.addWritesToViewsFile()
                #expect(current, "\(context): the views file or the entry index was not current")
                try node.write(wallMillis: wall) { first, _ in
                    [.append(Self.entry(EntryIDs.make(kind: .harvest, node: first.node, seq: first.seq), wall: wall,
                                        using: &rng).coreEntry)]
                }
                if node.addsWritesToViewsFile { added += 1 } else { folded += 1 }
                let warnings = node.saveDerivedState()
                #expect(warnings.isEmpty, "\(context): \(warnings)")
                let full = LedgerViews(replica: node.replica)
                let file = try #require(LedgerViewsFile.current(directory: directory), "\(context): no current views file")
                #expect(file.differences(from: full).isEmpty,
                        "\(context): the views file differs from the views folded again in \(file.differences(from: full))")
                try EntryIndexMergeTests.expectFileFromScratch(directory, context)
            }
        }
        #expect(added > 30, "only \(added) of \(added + folded) entries were added to the views")
        #expect(folded > 0, "no entry was left to the fold (lots below zero are, among others)")
    }

    @Test("another writer's record between the read and the write makes the writer fold")
    func anotherWriterInBetween() throws {
        let directory = EntryIndexTests.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try LocalNode.create(directory: directory, ledger: "coop", label: "hub", node: NodeID.derived(from: "hub"))
        let wall: UInt64 = 1_790_000_000_000
        let day = CalendarDay(epochMillis: wall)
        func more(_ id: String) -> LedgerEntry {
            LedgerEntry(id: id, kind: .harvest, producer: "N0", date: day, product: "P0", quantity: 1_000, unit: .grams, lot: "L0")
        }
        let harvest = LedgerEntry(id: "h-0", kind: .harvest, producer: "N0", date: day, product: "P0", quantity: 9_000,
                                  unit: .grams, lot: "L0")
        var first = try LocalNode(directory: directory, wallMillis: wall)
        try first.write([.append(harvest.coreEntry)], wallMillis: wall)
        #expect(first.saveDerivedState().isEmpty)

        var slow = try LocalNode(directory: directory, wallMillis: wall + 1_000)
        let slowRead = slow.addWritesToViewsFile()
        var quick = try LocalNode(directory: directory, wallMillis: wall + 2_000)
        let quickRead = quick.addWritesToViewsFile()
        #expect(slowRead && quickRead)
        try quick.write(wallMillis: wall + 2_000) { dot, _ in
            [.append(more(EntryIDs.make(kind: .harvest, node: dot.node, seq: dot.seq)).coreEntry)]
        }
        let quickAdds = quick.addsWritesToViewsFile
        #expect(quickAdds)
        #expect(quick.saveDerivedState().isEmpty)

        try slow.write(wallMillis: wall + 3_000) { dot, _ in
            [.append(more(EntryIDs.make(kind: .harvest, node: dot.node, seq: dot.seq)).coreEntry)]
        }
        let slowAdds = slow.addsWritesToViewsFile
        #expect(!slowAdds, "the views read before the other writer's record were taken as the state before this one")
        #expect(slow.saveDerivedState().isEmpty)
        let file = try #require(LedgerViewsFile.current(directory: directory))
        #expect(file == LedgerViews(replica: slow.replica))
        #expect(file.entryCount == 3)
    }

    @Test("a farm's entries and catalog changes taken in are added to the views file; a void among them is folded")
    func mergedEntriesAdded() throws {
        let hub = EntryIndexTests.directory(), farm = EntryIndexTests.directory()
        defer {
            try? FileManager.default.removeItem(atPath: hub)
            try? FileManager.default.removeItem(atPath: farm)
        }
        try LocalNode.create(directory: hub, ledger: "coop", label: "hub", node: NodeID.derived(from: "hub"))
        try LocalNode.create(directory: farm, ledger: "coop", label: "farm", node: NodeID.derived(from: "farm"))
        var rng = SplitMix64(seed: testSeed(default: 0x3E26_ED01))
        var wall: UInt64 = 1_790_000_000_000
        var farmNode = try LocalNode(directory: farm, wallMillis: wall)
        do {
            var node = try LocalNode(directory: hub, wallMillis: wall)
            #expect(node.saveDerivedState().isEmpty)
        }
        for day in 0..<4 {
            wall += 86_400_000
            var written: [Event] = []
            for _ in 0..<5 {
                written += try farmNode.write(wallMillis: wall) { first, _ in
                    [.append(LedgerEntry(id: EntryIDs.make(kind: .harvest, node: first.node, seq: first.seq), kind: .harvest,
                                         producer: "farm", date: CalendarDay(epochMillis: wall),
                                         product: "P\(Int.random(in: 0..<3, using: &rng))",
                                         quantity: Int64.random(in: 1...20, using: &rng) * 100, unit: .grams,
                                         lot: "L\(day)").coreEntry)]
                }
            }
            if day == 2 {
                written += try farmNode.write([.assign(Assignment(key: Catalog.productKey("P0", .name), value: .text("Tomme"),
                                                                  supersedes: []))], wallMillis: wall)
            }
            if day == 3, let first = written.first, let harvest = LedgerRecord(reading: first) {
                let void = LedgerEntry(id: "void-\(day)", kind: .reversal, producer: "farm", date: CalendarDay(epochMillis: wall),
                                       ref: harvest.entry.id)
                written += try farmNode.write([.append(void.coreEntry)], wallMillis: wall)
            }
            var node = try LocalNode(directory: hub, wallMillis: wall, keepingChainsCold: true)
            let current = node.addWritesToViewsFile()
            #expect(current, "day \(day): the views file was not current")
            _ = try node.persist(written)
            // Each day brings harvests; day 2 a catalog change too (added: the catalog is
            // made again from the registers), day 3 a void (which the views cannot take).
            let adds = node.addsWritesToViewsFile
            #expect(adds == (day != 3), "day \(day): added to the views \(adds)")
            #expect(node.saveDerivedState().isEmpty)
            let file = try #require(LedgerViewsFile.current(directory: hub))
            let full = LedgerViews(replica: node.replica)
            #expect(file.differences(from: full).isEmpty, "day \(day): the views file differs in \(file.differences(from: full))")
            try EntryIndexMergeTests.expectFileFromScratch(hub, "day \(day)")
        }
    }

    /// A harvest, sale, delivery, loss or payment of a few producers, products and lots, some
    /// drawing a lot below zero.
    /// A hub at `directory` holding `history`, its derived files written: where the
    /// writers of these tests start.
    static func hub(_ directory: String, seed: UInt64, holding history: RandomHistory, wall: UInt64) throws {
        try LocalNode.create(directory: directory, ledger: "coop", label: "hub", node: NodeID.derived(from: "hub \(seed)"))
        var node = try LocalNode(directory: directory, wallMillis: wall)
        _ = try node.persist(history.events)
        #expect(node.saveDerivedState().isEmpty, "seed \(seed)")
    }

    static func entry(_ id: String, wall: UInt64, using rng: inout SplitMix64) -> LedgerEntry {
        let kinds: [EntryKind] = [.harvest, .harvest, .sale, .delivery, .loss, .payment]
        let kind = kinds.randomElement(using: &rng)!
        var entry = LedgerEntry(id: id, kind: kind, producer: "N\(Int.random(in: 0..<3, using: &rng))",
                                date: CalendarDay(epochMillis: wall))
        if kind.movesStock {
            entry.product = "P\(Int.random(in: 0..<3, using: &rng))"
            entry.quantity = Int64.random(in: 1...20, using: &rng) * 100
            entry.unit = .grams
            entry.lot = "L\(Int.random(in: 0..<4, using: &rng))"
        }
        if kind == .sale || kind == .payment || kind == .delivery { entry.party = "cantine" }
        if kind == .sale || kind == .payment { entry.amount = Int64.random(in: 100...5_000, using: &rng) }
        return entry
    }
}
