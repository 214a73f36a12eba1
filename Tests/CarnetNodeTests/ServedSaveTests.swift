import CarnetCore
import CarnetLedger
@testable import CarnetNode
import CarnetStore
import CarnetTestKit
import Foundation
import Testing

/// `serve`'s saves of the status and views files (`SharedStore.saveServedStatus`): made from
/// the files beside the log when they can take what the sessions brought
/// (`ServedFilesSave`), folded outside the store's lock otherwise, and nothing on stopping
/// that could take long. The files are derived and stamped: whatever is skipped leaves one
/// that readers refuse (and rebuild), never one they believe wrongly.
@Suite("Served saves")
struct ServedSaveTests {
    static let wall: UInt64 = 1_790_000_000_000

    static func harvest(_ id: String) -> CarnetCore.Operation {
        .append(Entry(id: id, kind: "harvest", fields: [Field("producer", .text("col")), Field("product", .text("miel")),
                                                         Field("qty", .int(1)), Field("unit", .text("kg"))]))
    }

    /// A farm's next `count` entries: harvests alone, or (`mixed`) any kind the views'
    /// checks may refuse (a sale below the stock, a payment).
    private static func entries(_ farm: inout Replica, count: Int, mixed: Bool, wall: UInt64,
                                using rng: inout SplitMix64) -> [Event] {
        (0..<count).map { _ in
            let seq = (farm.history.chainHead(of: farm.node)?.dot.seq ?? 0) + 1
            var entry: LedgerEntry
            if mixed {
                entry = ViewsFileWithWritesTests.entry("", wall: wall, using: &rng)
                entry.id = EntryIDs.make(kind: entry.kind, node: farm.node, seq: seq)
            } else {
                // Each lot of one product (a lot of two is a conflict, which the views refuse).
                let product = "P\(Int.random(in: 0..<3, using: &rng))"
                entry = LedgerEntry(id: EntryIDs.make(kind: .harvest, node: farm.node, seq: seq), kind: .harvest,
                                    producer: "N\(Int.random(in: 0..<3, using: &rng))", date: CalendarDay(epochMillis: wall),
                                    product: product, quantity: Int64.random(in: 1...20, using: &rng) * 100, unit: .grams,
                                    lot: "L-\(product)-\(Int.random(in: 0..<4, using: &rng))")
            }
            return farm.write(.append(entry.coreEntry), wallMillis: wall)
        }
    }

    /// Every file beside the log reads as a fold of every event, and `verify` finds them sound.
    /// `audit`: `verify` too (it reports events waiting for their predecessor as a problem).
    private static func expectFilesAreAFold(_ directory: String, _ context: String, audit: Bool = true) throws {
        let store = try NodeStore(directory: directory, wallMillis: wall) { NodeID.derived(from: "x") }
        let fold = LedgerViews(replica: store.replica)
        let file = try #require(LedgerViewsFile.current(directory: directory), "\(context): no current views file")
        #expect(file.differences(from: fold).isEmpty, "\(context): views differ in \(file.differences(from: fold))")
        #expect(StoreStatus.current(directory: directory) != nil, "\(context): the status file is not current")
        let index = try #require(EntryIndex.current(directory: directory), "\(context): no current entry index")
        #expect(index.entryCount == fold.entryCount, "\(context): the index's entries")
        guard audit else { return }
        let found = try StoreAudit.run(directory: directory)
        #expect(found.problems.isEmpty, "\(context): \(found.problems)")
    }

    @Test("farms' entries are saved from the files alone, leaving a tail, then patching both files; no fold is held")
    func entriesFromTheFiles() throws {
        let base = testSeed(default: 0x5E7E_F11E)
        for offset in 0..<2 as Range<UInt64> {
            let seed = base &+ offset
            var rng = SplitMix64(seed: seed)
            let directory = EntryIndexTests.directory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            var wall = Self.wall
            try ViewsFileWithWritesTests.hub(directory, seed: seed, holding: RandomHistory(seed: seed, nodes: 3, steps: 30), wall: wall)
            let served = try SharedStore(directory: directory, wallMillis: wall, keepingChainsCold: true)
            var farms = (0..<3).map { Replica(node: NodeID.derived(from: "farm \(seed) \($0)")) }
            var sawTail = false, sawRewrite = false
            for batch in 0..<14 {
                wall += 60_000
                let context = "seed \(seed), batch \(batch)"
                let which = Int.random(in: 0..<farms.count, using: &rng)
                var events = Self.entries(&farms[which], count: Int.random(in: 1...50, using: &rng), mixed: false, wall: wall,
                                          using: &rng)
                // A session's batch holds events the hub has too: each is taken once.
                if batch > 0, Bool.random(using: &rng) { events.insert(contentsOf: events.prefix(2), at: 0) }
                _ = try served.persist(events, fromSession: 1)
                #expect(served.saveServedStatus(stopping: false) == nil, "\(context)")
                #expect(served.savesMadeFromTheFiles == batch + 1, "\(context): not saved from the files: \(served.whyLastSaveFolded ?? "")")
                #expect(!served.holdsAWarmFold, "\(context): a fold was made")
                let status = try #require(StoreStatus.current(directory: directory), "\(context)")
                if status.derived[DerivedTail.statusFigure] != nil { sawTail = true } else { sawRewrite = true }
                try Self.expectFilesAreAFold(directory, context)
            }
            #expect(sawTail && sawRewrite, "seed \(seed): the tail alone (\(sawTail)), the files rewritten (\(sawRewrite))")
        }
    }

    @Test("what the files cannot take is folded outside the lock; an unused fold is let go, and the files take over again")
    func foldedWhenTheFilesCannotTell() throws {
        let base = testSeed(default: 0x5E7E_F01D)
        for offset in 0..<3 as Range<UInt64> {
            let seed = base &+ offset
            var rng = SplitMix64(seed: seed)
            let directory = EntryIndexTests.directory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            var wall = Self.wall
            try ViewsFileWithWritesTests.hub(directory, seed: seed, holding: RandomHistory(seed: seed, nodes: 3, steps: 30), wall: wall)
            let served = try SharedStore(directory: directory, wallMillis: wall, keepingChainsCold: true)
            var admin = Replica(node: NodeID.derived(from: "admin \(seed)"))
            var farm = Replica(node: NodeID.derived(from: "farm \(seed)"))
            var folds = 0
            for batch in 0..<16 {
                wall += 60_000
                let context = "seed \(seed), batch \(batch)"
                var events = Self.entries(&farm, count: Int.random(in: 1...30, using: &rng), mixed: false, wall: wall, using: &rng)
                switch Int.random(in: 0..<5, using: &rng) {
                case 2:
                    // Sales, losses and payments, which may take a stock below zero or pay no sale.
                    events += Self.entries(&farm, count: Int.random(in: 1...5, using: &rng), mixed: true, wall: wall, using: &rng)
                case 0:
                    // A product's price, which another node wrote: a register the views remake.
                    events.append(admin.assign(Catalog.productKey("P\(batch % 3)", .price), .int(Int64(100 + batch)),
                                               wallMillis: wall))
                case 1:
                    // A reversal of an entry the hub holds: it names another.
                    if let target = events.first, let record = LedgerRecord(reading: target) {
                        let seq = (farm.history.chainHead(of: farm.node)?.dot.seq ?? 0) + 1
                        var void = LedgerEntry(id: EntryIDs.make(kind: .reversal, node: farm.node, seq: seq), kind: .reversal,
                                               producer: record.entry.producer, date: CalendarDay(epochMillis: wall))
                        void.ref = record.entry.id
                        events.append(farm.write(.append(void.coreEntry), wallMillis: wall))
                    }
                default:
                    break
                }
                let fromFiles = served.savesMadeFromTheFiles
                _ = try served.persist(events, fromSession: 1)
                #expect(served.saveServedStatus(stopping: false) == nil, "\(context)")
                if served.savesMadeFromTheFiles == fromFiles {
                    folds += 1
                    #expect(served.holdsAWarmFold, "\(context): folded, and the fold let go at once")
                    // Not yet unused for an hour; unused for no time at all, it goes.
                    #expect(!served.coolFold(unusedFor: .seconds(3_600)), "\(context)")
                    #expect(served.coolFold(unusedFor: .zero) && !served.holdsAWarmFold, "\(context)")
                }
                try Self.expectFilesAreAFold(directory, context)
            }
            #expect(folds > 0 && served.savesMadeFromTheFiles > 0,
                    "seed \(seed): \(folds) folds, \(served.savesMadeFromTheFiles) saves from the files; \(served.whyLastSaveFolded ?? "")")
        }
    }

    @Test("a one-shot sync's save takes the day's entries from the files, and folds what they cannot take")
    func syncSaves() throws {
        let seed = testSeed(default: 0x5E7E_5C01)
        var rng = SplitMix64(seed: seed)
        let directory = EntryIndexTests.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var wall = Self.wall
        try ViewsFileWithWritesTests.hub(directory, seed: seed, holding: RandomHistory(seed: seed, nodes: 3, steps: 30), wall: wall)
        var farm = Replica(node: NodeID.derived(from: "farm \(seed)"))
        var admin = Replica(node: NodeID.derived(from: "admin \(seed)"))
        for day in 0..<6 {
            wall += 86_400_000
            let context = "seed \(seed), day \(day)"
            // Each day a session's store opened afresh, as `carnet sync` opens it.
            let synced = try SharedStore(directory: directory, wallMillis: wall, keepingChainsCold: true)
            var events = Self.entries(&farm, count: Int.random(in: 1...120, using: &rng), mixed: false, wall: wall, using: &rng)
            let priced = day % 3 == 2
            if priced { events.append(admin.assign(Catalog.productKey("P0", .price), .int(Int64(200 + day)), wallMillis: wall)) }
            _ = try synced.persist(events, fromSession: 1)
            #expect(synced.saveStatusIfChanged() == nil, "\(context)")
            #expect(synced.savesMadeFromTheFiles == (priced ? 0 : 1), "\(context): \(synced.whyLastSaveFolded ?? "")")
            try Self.expectFilesAreAFold(directory, context)
        }
    }

    @Test("events released by what a session brings count from then on: folded, not added")
    func releasedEventsAreFolded() throws {
        let seed = testSeed(default: 0x5E7E_0A17)
        var rng = SplitMix64(seed: seed)
        let directory = EntryIndexTests.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try ViewsFileWithWritesTests.hub(directory, seed: seed, holding: RandomHistory(seed: seed, nodes: 2, steps: 20), wall: Self.wall)
        let served = try SharedStore(directory: directory, wallMillis: Self.wall, keepingChainsCold: true)
        var farm = Replica(node: NodeID.derived(from: "farm \(seed)"))
        // Harvests of a product of their own, each in a lot of its own.
        let events = (1...4).map { seq in
            farm.write(.append(LedgerEntry(id: EntryIDs.make(kind: .harvest, node: farm.node, seq: UInt64(seq)), kind: .harvest,
                                           producer: "NZ", date: CalendarDay(epochMillis: Self.wall), product: "ZZ",
                                           quantity: Int64.random(in: 1...9, using: &rng) * 100, unit: .grams,
                                           lot: "LZ-\(seq)").coreEntry), wallMillis: Self.wall + 1)
        }
        // The farm's second to fourth entries come first: they wait for the first.
        _ = try served.persist(Array(events[1...]), fromSession: 1)
        #expect(served.saveServedStatus(stopping: false) == nil)
        #expect(served.savesMadeFromTheFiles == 0, "seed \(seed): saved from the files while events wait")
        try Self.expectFilesAreAFold(directory, "seed \(seed), waiting", audit: false)
        // The first arrives: the others count with it, though their records lie before the status file's stamp.
        _ = try served.persist([events[0]], fromSession: 1)
        #expect(served.saveServedStatus(stopping: false) == nil)
        #expect(served.savesMadeFromTheFiles == 0,
                "seed \(seed): saved from the files, missing the released events (\(served.whyLastSaveFolded ?? ""))")
        try Self.expectFilesAreAFold(directory, "seed \(seed), released")
        #expect(LedgerViewsFile.current(directory: directory)?.entryCount ?? 0 >= 4, "seed \(seed)")
    }

    @Test("the CLI writing beside a served store, from the files or through the node: every save leaves a fold")
    func theCLIWritesBeside() throws {
        let seed = testSeed(default: 0x5E7E_C011)
        var rng = SplitMix64(seed: seed)
        let directory = EntryIndexTests.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var wall = Self.wall
        try ViewsFileWithWritesTests.hub(directory, seed: seed, holding: RandomHistory(seed: seed, nodes: 3, steps: 30), wall: wall)
        let served = try SharedStore(directory: directory, wallMillis: wall, keepingChainsCold: true)
        var farm = Replica(node: NodeID.derived(from: "farm \(seed)"))
        func harvest(_ first: Dot, lot: Int) -> [CarnetCore.Operation] {
            [.append(LedgerEntry(id: EntryIDs.make(kind: .harvest, node: first.node, seq: first.seq), kind: .harvest, producer: "H",
                                 date: CalendarDay(epochMillis: wall), product: "PH", quantity: 500, unit: .grams,
                                 lot: "LH-\(lot)").coreEntry)]
        }
        for round in 0..<6 {
            wall += 60_000
            let context = "seed \(seed), round \(round)"
            _ = try served.persist(Self.entries(&farm, count: Int.random(in: 1...40, using: &rng), mixed: false, wall: wall, using: &rng),
                                   fromSession: 1)
            if round % 2 == 0 {
                // The served save first; then `record` from the files alone, its status file current.
                #expect(served.saveServedStatus(stopping: false) == nil, "\(context)")
                guard var appender = EntryAppender.open(directory: directory, wallMillis: wall) else {
                    Issue.record("\(context): the files beside the log were not current after the served save")
                    return
                }
                let written = try appender.write(wallMillis: wall) { harvest($0, lot: round) }
                #expect(written != nil, "\(context)")
                #expect(appender.saveDerivedState().isEmpty, "\(context)")
            } else {
                // The session's batch not saved yet: `record` opens the node, which folds.
                let opened = EntryAppender.open(directory: directory, wallMillis: wall) != nil
                #expect(!opened, "\(context): the status file was current")
                var node = try LocalNode(directory: directory, wallMillis: wall)
                _ = try node.write(wallMillis: wall) { first, _ in harvest(first, lot: round) }
                #expect(node.saveDerivedState().isEmpty, "\(context)")
                // The served save finds the log moved on: it writes nothing, and the next takes the record in.
                _ = served.saveServedStatus(stopping: false)
            }
            try served.refresh()
            _ = served.saveServedStatus(stopping: false)
            try Self.expectFilesAreAFold(directory, context)
        }
        #expect(!served.holdsAWarmFold, "seed \(seed): the served store folded (\(served.whyLastSaveFolded ?? ""))")
    }

    @Test("a writer half-way through writing the files: the save waits for it, a few times, then folds")
    func aWriterHalfWay() throws {
        let seed = testSeed(default: 0x5E7E_4A1F)
        var rng = SplitMix64(seed: seed)
        let directory = EntryIndexTests.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var wall = Self.wall
        try ViewsFileWithWritesTests.hub(directory, seed: seed, holding: RandomHistory(seed: seed, nodes: 2, steps: 20), wall: wall)
        let served = try SharedStore(directory: directory, wallMillis: wall, keepingChainsCold: true)
        var farm = Replica(node: NodeID.derived(from: "farm \(seed)"))
        for finishes in [true, false] {
            wall += 60_000
            let context = "seed \(seed), the writer finishing: \(finishes)"
            _ = try served.persist(Self.entries(&farm, count: 5, mixed: false, wall: wall, using: &rng), fromSession: 1)
            // Another writer (the CLI, through the node) appends, writes its entry index, and
            // is still folding: its views and status files are not written yet.
            var other = try NodeStore(directory: directory, wallMillis: wall) { NodeID.derived(from: "other") }
            let entry = LedgerEntry(id: "harvest-other-\(finishes)", kind: .harvest, producer: "O", date: CalendarDay(epochMillis: wall),
                                    product: "PO", quantity: 100, unit: .grams, lot: "LO-\(finishes)")
            _ = try other.writeBatch([.append(entry.coreEntry)], wallMillis: wall)
            #expect(other.saveEntryIndex(names: EntryIndexNames(replica: other.replica), appended: [:]) == nil, "\(context)")
            try served.refresh()
            let fromFiles = served.savesMadeFromTheFiles
            #expect(served.saveServedStatus(stopping: false) == nil, "\(context)")
            #expect(served.savesMadeFromTheFiles == fromFiles && !served.holdsAWarmFold, "\(context): it did not wait")
            if finishes {
                var fold = LedgerFold()
                #expect(other.saveStatusAndViews(fold: &fold).warnings.isEmpty, "\(context)")
                #expect(served.saveServedStatus(stopping: false) == nil, "\(context)")
                #expect(!served.holdsAWarmFold, "\(context): folded, though the writer finished")
            } else {
                for _ in 1..<SharedStore.savesWaitingForAWriterAtMost {
                    _ = served.saveServedStatus(stopping: false)
                    #expect(!served.holdsAWarmFold, "\(context): folded before waiting its most")
                }
                // A writer that died half-way: the files are made again from every event.
                _ = served.saveServedStatus(stopping: false)
                #expect(served.holdsAWarmFold, "\(context): never folded")
                _ = served.coolFold(unusedFor: .zero)
            }
            try Self.expectFilesAreAFold(directory, context)
        }
    }

    @Test("stopping skips a fold slower than its budget, saves from the files at once, and no save writes after it")
    func stoppingSkipsASlowFold() throws {
        let node = try TestNode(label: "hub", secret: LedgerSecret.generate())
        defer { try? FileManager.default.removeItem(atPath: node.directory) }
        try node.write(40, prefix: "old")
        let store = try node.open()
        // A price written here: the files cannot take it, the save folds.
        try store.write([.assign(Assignment(key: Catalog.productKey("miel", .price), value: .int(900)))], wallMillis: Self.wall)
        #expect(store.saveServedStatus(stopping: false) == nil)
        #expect(store.savesMadeFromTheFiles == 0 && store.holdsAWarmFold)
        #expect(LedgerViewsFile.current(directory: node.directory)?.catalog.product("miel")?.int("price") == 900)

        // The next price, stopping: every fold takes more than no time at all, so it is
        // skipped, and the file left describes an older log, which readers refuse.
        try store.write([.assign(Assignment(key: Catalog.productKey("miel", .price), value: .int(950)))],
                        wallMillis: Self.wall + 1)
        #expect(store.saveServedStatus(stopping: true, budget: .zero) == nil)
        #expect(LedgerViewsFile.current(directory: node.directory) == nil)
        // A save still building when the server stopped writes nothing after it.
        #expect(store.saveServedStatus(stopping: false) == nil)
        #expect(LedgerViewsFile.current(directory: node.directory) == nil)

        // A harvest, stopping with no budget at all: the files take it, and the save writes.
        let other = try node.open()
        #expect(other.saveStatusIfChanged(force: true) == nil)
        let readable = LedgerEntry(id: "harvest-c", kind: .harvest, producer: "col", date: CalendarDay(epochMillis: Self.wall),
                                   product: "miel", quantity: 1_000, unit: .grams, lot: "L1")
        try other.write([.append(readable.coreEntry)], wallMillis: Self.wall + 2)
        #expect(other.saveServedStatus(stopping: true, budget: .zero) == nil)
        #expect(other.savesMadeFromTheFiles == 1, "\(other.whyLastSaveFolded ?? "")")
        #expect(LedgerViewsFile.current(directory: node.directory).map { $0.entryCount + $0.unreadableCount } == 41)

        // A small ledger never folded: its fold is cheap, and stopping makes it.
        let third = try node.open()
        try third.write([.assign(Assignment(key: Catalog.productKey("miel", .price), value: .int(990)))], wallMillis: Self.wall + 3)
        #expect(third.saveServedStatus(stopping: true, budget: .zero) == nil)
        #expect(LedgerViewsFile.current(directory: node.directory)?.catalog.product("miel")?.int("price") == 990)
    }
}
