import CarnetCore
import CarnetLedger
@testable import CarnetNode
import CarnetStore
import CarnetTestKit
import Foundation
import Testing

/// A writer that never loads the replica (`EntryAppender`, what `carnet record` uses when
/// the files beside the log are current) writes the event a node would, and leaves the
/// status file, the views file and the entry index as opening the store and folding every
/// event would; it declines, writing nothing, wherever those files cannot tell.
@Suite("Entries written without loading the replica")
struct EntryAppenderTests {
    /// What opening the store says of its state, as the files should.
    private struct Opened {
        var status: StoreStatus
        var views: LedgerViews
        /// The next event a write through the node would make (its dot, previous, clock).
        var next: (dot: Dot, previous: SHA256Digest, clock: HLCTimestamp)
    }

    private static func opened(_ directory: String, wall: UInt64) throws -> Opened {
        let store = try NodeStore(directory: directory, wallMillis: wall, freshNodeID: { Issue.record("continued"); return NodeID.derived(from: "x") })
        let views = LedgerViews(replica: store.replica)
        var clock = store.replica.clock
        let head = store.replica.history.chainHead(of: store.identity.node)
        return Opened(status: store.statusSummary(derived: [NodeStatus.conflictsKey: views.conflicts.count]), views: views,
                      next: (Dot(node: store.identity.node, seq: (head?.dot.seq ?? 0) + 1), head?.hash ?? .zero,
                             clock.tick(wallMillis: wall)))
    }

    private static func opens(_ directory: String, _ wall: UInt64) -> Bool {
        guard EntryAppender.open(directory: directory, wallMillis: wall) != nil else { return false }
        return true
    }

    @Test("entries written from the files alone, beside writes through the node, leave every file as a fold would")
    func writtenAsThroughTheNode() throws {
        let base = testSeed(default: 0xA99E_4D01)
        var appended = 0, declined = 0, belowTheNewest = 0
        for offset in 0..<6 as Range<UInt64> {
            let seed = base &+ offset
            let history = RandomHistory(seed: seed, nodes: 3, steps: 50)
            var rng = SplitMix64(seed: seed ^ 0xA9)
            let directory = EntryIndexTests.directory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            // The hub's wall clock after the history's; two days behind it, so that its
            // entries are not the newest (the others' clocks lie beyond the allowed drift);
            // or an hour behind, so that its clock follows theirs.
            var wall: UInt64 = [1_790_000_000_000, 1_780_000_000_000 - 2 * 86_400_000, 1_780_000_000_000 - 3_600_000][Int(offset % 3)]
            try ViewsFileWithWritesTests.hub(directory, seed: seed, holding: history, wall: wall)
            for step in 0..<14 {
                wall += 60_000
                let context = "seed \(seed), step \(step)"
                let make = { (first: Dot, rng: inout SplitMix64) -> [CarnetCore.Operation] in
                    [.append(ViewsFileWithWritesTests.entry(EntryIDs.make(kind: .harvest, node: first.node, seq: first.seq),
                                                            wall: wall, using: &rng).coreEntry)]
                }
                if step % 4 == 3 {
                    // A write through the node in between, as another command's.
                    var node = try LocalNode(directory: directory, wallMillis: wall)
                    node.addWritesToViewsFile()
                    try node.write(wallMillis: wall) { first, _ in make(first, &rng) }
                    #expect(node.saveDerivedState().isEmpty, "\(context)")
                    continue
                }
                let before = try Self.opened(directory, wall: wall)
                guard var appender = EntryAppender.open(directory: directory, wallMillis: wall) else {
                    Issue.record("\(context): the files beside the log were current, and no checkpoint due")
                    return
                }
                // The files written again at every write (the tail readers add: `DerivedTailTests`).
                appender.rewriteFilesAbove = -1
                var copy = rng
                let written = try appender.write(wallMillis: wall) { first in make(first, &copy) }
                guard let written else {
                    // The views could not take it: nothing written, and the node writes it.
                    declined += 1
                    #expect(try Self.opened(directory, wall: wall).status.stamp == before.status.stamp, "\(context): written")
                    var node = try LocalNode(directory: directory, wallMillis: wall)
                    try node.write(wallMillis: wall) { first, _ in make(first, &rng) }
                    #expect(node.saveDerivedState().isEmpty, "\(context)")
                    continue
                }
                rng = copy
                appended += 1
                let event = try #require(written.first)
                #expect(written.count == 1)
                #expect(event.dot == before.next.dot && event.previous == before.next.previous && event.clock == before.next.clock,
                        "\(context): the event is not the one the node would write")
                if event.clock < (before.status.headClocks.values.joined().max() ?? .zero) { belowTheNewest += 1 }
                let warnings = appender.saveDerivedState()
                #expect(warnings.isEmpty, "\(context): \(warnings)")
                let throughTheNode = appender.indexThroughTheNode
                #expect(!throughTheNode, "\(context): the entry index was not merged with the entry written")
                let after = try Self.opened(directory, wall: wall)
                #expect(StoreStatus.current(directory: directory) == after.status,
                        "\(context): the status file is not what opening says")
                let file = try #require(LedgerViewsFile.current(directory: directory), "\(context): no current views file")
                #expect(file.differences(from: after.views).isEmpty,
                        "\(context): the views file differs from the views folded again in \(file.differences(from: after.views))")
                try EntryIndexMergeTests.expectFileFromScratch(directory, context)
            }
        }
        #expect(appended > 25, "only \(appended) entries were written without the replica (\(declined) declined)")
        #expect(declined > 0, "no entry was declined (lots below zero are)")
        #expect(belowTheNewest > 0, "no entry below the newest: the index's order above it was never read from the previous index")
    }

    @Test("the appender declines where the files cannot tell, and writes nothing")
    func declines() throws {
        let directory = EntryIndexTests.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try LocalNode.create(directory: directory, ledger: "coop", label: "hub", node: NodeID.derived(from: "hub"))
        let wall: UInt64 = 1_790_000_000_000
        let day = CalendarDay(epochMillis: wall)
        func harvest(_ first: Dot) -> [CarnetCore.Operation] {
            [.append(LedgerEntry(id: EntryIDs.make(kind: .harvest, node: first.node, seq: first.seq), kind: .harvest,
                                 producer: "N0", date: day, product: "P0", quantity: 1_000, unit: .grams, lot: "L0").coreEntry)]
        }
        do {
            var node = try LocalNode(directory: directory, wallMillis: wall)
            try node.write(wallMillis: wall) { first, _ in harvest(first) }
            #expect(node.saveDerivedState().isEmpty)
        }
        #expect(Self.opens(directory, wall), "current files")

        // Another process's record between opening and writing: nothing written.
        guard var appender = EntryAppender.open(directory: directory, wallMillis: wall) else {
            Issue.record("current files, no appender")
            return
        }
        do {
            var other = try LocalNode(directory: directory, wallMillis: wall + 1)
            try other.write(wallMillis: wall + 1) { first, _ in harvest(first) }
        }
        let size = try FileManager.default.attributesOfItem(atPath: directory + "/events.log")[.size] as? Int
        #expect(try appender.write(wallMillis: wall + 2) { harvest($0) } == nil, "written over another writer's record")
        #expect(try FileManager.default.attributesOfItem(atPath: directory + "/events.log")[.size] as? Int == size)
        // That record left the status file behind the log: not current, declined.
        #expect(!Self.opens(directory, wall + 3), "a status file behind the log")
        do {
            var node = try LocalNode(directory: directory, wallMillis: wall + 3)
            #expect(node.saveDerivedState().isEmpty)
        }
        #expect(Self.opens(directory, wall + 3))

        // A copied directory must continue under a new id: declined.
        let copy = EntryIndexTests.directory()
        defer { try? FileManager.default.removeItem(atPath: copy) }
        try FileManager.default.copyItem(atPath: directory, toPath: copy)
        #expect(!Self.opens(copy, wall + 4), "a copied directory")

        // An event waiting for its predecessor: declined.
        var writer = Replica(node: NodeID.derived(from: "farm"))
        let first = writer.write(harvest(Dot(node: writer.node, seq: 1))[0], wallMillis: wall)
        let second = writer.write(harvest(Dot(node: writer.node, seq: 2))[0], wallMillis: wall)
        _ = first
        do {
            var node = try LocalNode(directory: directory, wallMillis: wall + 5)
            _ = try node.persist([second])
            #expect(node.saveDerivedState().isEmpty)
        }
        #expect(!Self.opens(directory, wall + 5), "an event waits")
    }

    @Test("a farm's entries taken in from the files alone leave every file as a fold would; what they cannot tell is declined")
    func farmsTakenInAsThroughTheNode() throws {
        let base = testSeed(default: 0xA99E_7A4E)
        var taken = 0, declined = 0, duplicates = 0
        for offset in 0..<4 as Range<UInt64> {
            let seed = base &+ offset
            let history = RandomHistory(seed: seed, nodes: 3, steps: 40)
            var rng = SplitMix64(seed: seed ^ 0x7A4E)
            let directory = EntryIndexTests.directory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            var wall: UInt64 = 1_790_000_000_000
            try ViewsFileWithWritesTests.hub(directory, seed: seed, holding: history, wall: wall)
            var farms = (0..<2).map { Replica(node: NodeID.derived(from: "farm \(seed) \($0)")) }
            for step in 0..<10 {
                wall += 3_600_000
                let context = "seed \(seed), step \(step)"
                let index = Int.random(in: 0..<farms.count, using: &rng)
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    let seq = (farms[index].history.chainHead(of: farms[index].node)?.dot.seq ?? 0) + 1
                    let id = EntryIDs.make(kind: .harvest, node: farms[index].node, seq: seq)
                    // Mostly harvests (taken); now and then any kind (a sale below zero is declined).
                    let entry = Int.random(in: 0..<10, using: &rng) < 8
                        ? LedgerEntry(id: id, kind: .harvest, producer: "N\(index)", date: CalendarDay(epochMillis: wall),
                                      product: "P\(Int.random(in: 0..<3, using: &rng))",
                                      quantity: Int64.random(in: 1...20, using: &rng) * 100, unit: .grams, lot: "F\(index)")
                        : ViewsFileWithWritesTests.entry(id, wall: wall, using: &rng)
                    farms[index].write(.append(entry.coreEntry), wallMillis: wall)
                }
                // The farm's whole chain, as its directory holds it: old events are duplicates.
                let events = farms[index].history.events(of: farms[index].node)
                let before = try Self.opened(directory, wall: wall)
                guard var appender = EntryAppender.open(directory: directory, wallMillis: wall) else {
                    Issue.record("\(context): the files beside the log were current")
                    return
                }
                appender.rewriteFilesAbove = -1
                guard let counts = try appender.take(events.shuffled(using: &rng)) else {
                    declined += 1
                    #expect(try Self.opened(directory, wall: wall).status.stamp == before.status.stamp, "\(context): written")
                    var node = try LocalNode(directory: directory, wallMillis: wall)
                    _ = try node.persist(events)
                    #expect(node.saveDerivedState().isEmpty, "\(context)")
                    continue
                }
                taken += 1
                let held = Int(before.status.history.versionVector[farms[index].node])
                #expect(counts == AdmissionCounts(accepted: events.count - held, duplicates: held, pending: 0, rejected: 0),
                        "\(context): \(counts)")
                duplicates += counts.duplicates
                #expect(appender.saveDerivedState().isEmpty, "\(context)")
                let throughTheNode = appender.indexThroughTheNode
                #expect(!throughTheNode, "\(context): the entry index was not merged")
                let after = try Self.opened(directory, wall: wall)
                #expect(after.status.eventCount == before.status.eventCount + counts.accepted)
                #expect(StoreStatus.current(directory: directory) == after.status, "\(context): the status file")
                let file = try #require(LedgerViewsFile.current(directory: directory), "\(context): no current views file")
                #expect(file.differences(from: after.views).isEmpty, "\(context): views differ in \(file.differences(from: after.views))")
                try EntryIndexMergeTests.expectFileFromScratch(directory, context)
            }
        }
        #expect(taken > 15, "only \(taken) takes from the files alone (\(declined) declined)")
        #expect(declined > 0 && duplicates > 0, "declined \(declined), duplicates \(duplicates)")
    }

    @Test("events the files cannot tell from a fork or a gap are declined, with nothing written")
    func takeDeclines() throws {
        var hub = Replica(node: NodeID.derived(from: "hub")), farm = Replica(node: NodeID.derived(from: "farm"))
        let wall: UInt64 = 1_790_000_000_000
        func harvest(_ replica: inout Replica, _ id: String) -> Event {
            replica.write(.append(LedgerEntry(id: id, kind: .harvest, producer: "N0", date: CalendarDay(epochMillis: wall),
                                              product: "P0", quantity: 1_000, unit: .grams, lot: "L0").coreEntry),
                          wallMillis: wall)
        }
        let f1 = harvest(&farm, "f-1"), f2 = harvest(&farm, "f-2"), f3 = harvest(&farm, "f-3")
        let h1 = harvest(&hub, "h-1")
        _ = hub.admit(contentsOf: [f1, f2])
        let summary = hub.summary
        let own = hub.node
        // Held up to f2: f1...f3 pass through the head, f3 alone extends it.
        #expect(EntryAppender.extensions(of: [f1, f2, f3], over: summary, own: own)?.map(\.id) == [f3.id])
        #expect(EntryAppender.extensions(of: [f3], over: summary, own: own)?.map(\.id) == [f3.id])
        #expect(EntryAppender.extensions(of: [f1, f2], over: summary, own: own)?.isEmpty == true)
        // A chain that ends below the head here cannot be told from a fork.
        #expect(EntryAppender.extensions(of: [f1], over: summary, own: own) == nil)
        // A gap: f3 without f2 held nor given is fine (f2 is held); a chain skipping a seq is not.
        var other = Replica(node: NodeID.derived(from: "other"))
        let o1 = harvest(&other, "o-1"), _ = harvest(&other, "o-2"), o3 = harvest(&other, "o-3")
        #expect(EntryAppender.extensions(of: [o1, o3], over: summary, own: own) == nil)
        #expect(EntryAppender.extensions(of: [o3], over: summary, own: own) == nil)
        // A fork: another event at f2's seq.
        var restored = Replica(node: farm.node)
        _ = restored.admit(contentsOf: [f1])
        let fork = harvest(&restored, "f-2-again")
        #expect(EntryAppender.extensions(of: [f1, fork], over: summary, own: own) == nil)
        // The hub's own chain, ahead of it elsewhere (a restored hub): left to the node.
        var ahead = hub
        let h2 = harvest(&ahead, "h-2")
        #expect(EntryAppender.extensions(of: [h1, h2], over: summary, own: own) == nil)
        #expect(EntryAppender.extensions(of: [h1], over: summary, own: own)?.isEmpty == true)
    }
}
