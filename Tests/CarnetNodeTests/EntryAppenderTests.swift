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
            try LocalNode.create(directory: directory, ledger: "coop", label: "hub", node: NodeID.derived(from: "hub \(seed)"))
            // The hub's wall clock after the history's; two days behind it, so that its
            // entries are not the newest (the others' clocks lie beyond the allowed drift);
            // or an hour behind, so that its clock follows theirs.
            var wall: UInt64 = [1_790_000_000_000, 1_780_000_000_000 - 2 * 86_400_000, 1_780_000_000_000 - 3_600_000][Int(offset % 3)]
            do {
                var node = try LocalNode(directory: directory, wallMillis: wall)
                _ = try node.persist(history.events)
                #expect(node.saveDerivedState().isEmpty, "seed \(seed)")
            }
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
}
