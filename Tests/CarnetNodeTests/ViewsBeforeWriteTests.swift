import CarnetCore
import CarnetLedger
@testable import CarnetNode
import CarnetTestKit
import Foundation
import Testing

/// A writer that adds its one new entry to the views file it read before writing
/// (`LocalNode.viewsBeforeWrite`, what `carnet record` does) leaves the views file and the
/// entry index as folding every event again would, and folds when another writer's record
/// came in between.
@Suite("A writer adds its entry to the views")
struct ViewsBeforeWriteTests {
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
            try LocalNode.create(directory: directory, ledger: "coop", label: "hub", node: NodeID.derived(from: "hub \(seed)"))
            var wall: UInt64 = 1_790_000_000_000
            do {
                var node = try LocalNode(directory: directory, wallMillis: wall)
                _ = try node.persist(history.events)
                #expect(node.saveDerivedState().isEmpty, "seed \(seed)")
            }
            for step in 0..<12 {
                wall += 60_000
                let context = "seed \(seed), step \(step)"
                // A new process each time, as each `carnet record` is.
                var node = try LocalNode(directory: directory, wallMillis: wall)
                let before = node.viewsBeforeWrite()
                #expect(before != nil, "\(context): the views file or the entry index was not current")
                let written = try node.write(wallMillis: wall) { first, _ in
                    [.append(Self.entry(EntryIDs.make(kind: .harvest, node: first.node, seq: first.seq), wall: wall,
                                        using: &rng).coreEntry)]
                }
                let saved = node.saveDerivedState(afterWriting: written, before: before)
                #expect(saved.warnings.isEmpty, "\(context): \(saved.warnings)")
                if saved.addedToViews { added += 1 } else { folded += 1 }
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
        let before = slow.viewsBeforeWrite()
        #expect(before != nil)
        var quick = try LocalNode(directory: directory, wallMillis: wall + 2_000)
        let quickBefore = quick.viewsBeforeWrite()
        let quickWritten = try quick.write(wallMillis: wall + 2_000) { dot, _ in
            [.append(more(EntryIDs.make(kind: .harvest, node: dot.node, seq: dot.seq)).coreEntry)]
        }
        #expect(quick.saveDerivedState(afterWriting: quickWritten, before: quickBefore).addedToViews)

        let written = try slow.write(wallMillis: wall + 3_000) { dot, _ in
            [.append(more(EntryIDs.make(kind: .harvest, node: dot.node, seq: dot.seq)).coreEntry)]
        }
        let saved = slow.saveDerivedState(afterWriting: written, before: before)
        #expect(!saved.addedToViews, "the views read before the other writer's record were taken as the state before this one")
        let file = try #require(LedgerViewsFile.current(directory: directory))
        #expect(file == LedgerViews(replica: slow.replica))
        #expect(file.entryCount == 3)
    }

    /// A harvest, sale, delivery, loss or payment of a few producers, products and lots, some
    /// drawing a lot below zero.
    private static func entry(_ id: String, wall: UInt64, using rng: inout SplitMix64) -> LedgerEntry {
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
