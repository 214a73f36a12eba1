import CarnetCore
import CarnetLedger
@testable import CarnetNode
import CarnetStore
import CarnetSystem
import CarnetTestKit
import Foundation
import Testing

/// The entry index merged with what the log gained (`EntryIndexMerge`) against the index
/// made from nothing but the log and the replica: after every write, the same bytes, for
/// stores grown by shuffled deliveries of several nodes' histories (concurrent events,
/// events waiting for their predecessor, forks, voids of an id and of one event, duplicate
/// ids, catalog edits) and by the hub's own entries, voids and edits; and a full rebuild,
/// of the same bytes, wherever the previous file cannot be shown to describe its stamp.
@Suite("Entry index merged with what changed")
struct EntryIndexMergeTests {
    static let noNames = EntryIndexNames(products: [], parties: [], labels: [])

    /// The body a writer makes now for the store of `directory`, how it made it, and the
    /// body made from scratch for the same state.
    static func bodies(_ directory: String, names: EntryIndexNames = noNames)
        throws -> (made: [UInt8]?, how: EntryIndexBuilder.Made, scratch: [UInt8]?) {
        let store = try NodeStore(directory: directory, wallMillis: 1_790_000_000_000) { NodeID.derived(from: "x") }
        let made = EntryIndexBuilder.body(replica: store.replica, names: names, stamp: store.stamp, directory: directory,
                                          storage: store.fileStorage)
        let scratch = EntryIndexBuilder.fromScratch(replica: store.replica, names: names, stamp: store.stamp,
                                                    directory: directory, storage: store.fileStorage)
        return (made.body, made.made, scratch.map { EntryIndexFile.encodeBody($0, stamp: store.stamp) })
    }

    /// The file of `directory` (written by `views()`) is the one made from scratch.
    static func expectFileFromScratch(_ directory: String, _ context: String) throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: directory + "/" + EntryIndexFile.fileName)))
        let file = try #require(StampedFile.decode(bytes, as: .entries), "\(context): the file does not decode")
        let names = try #require(EntryIndexFile.decodeBody(file.body, stamp: file.stamp)?.names, "\(context): no names")
        let store = try NodeStore(directory: directory, wallMillis: 1_790_000_000_000) { NodeID.derived(from: "x") }
        #expect(store.stamp == file.stamp, "\(context): the file is not current")
        let scratch = EntryIndexBuilder.fromScratch(replica: store.replica, names: names, stamp: store.stamp,
                                                    directory: directory, storage: store.fileStorage)
        let same = scratch.map { EntryIndexFile.encodeBody($0, stamp: store.stamp) } == file.body
        #expect(same, "\(context): the file written differs from the index made from scratch")
    }

    static func harvest(_ id: String, producer: String = "hub-farm", day: Int32 = 20_600) -> CarnetCore.Operation {
        .append(LedgerEntry(id: id, kind: .harvest, producer: producer, date: CalendarDay(daysSinceEpoch: day),
                            product: "P1", quantity: 500, unit: .grams, lot: "L1").coreEntry)
    }

    /// One write of the hub itself: a new entry, an entry under an id already held, a void
    /// of an entry (its id, or its event only), or a catalog edit.
    static func localWrite(_ node: inout LocalNode, wall: UInt64, using rng: inout SplitMix64) throws {
        let records = LedgerState(replica: node.replica).records
        let operation: CarnetCore.Operation
        let roll = Int.random(in: 0..<6, using: &rng)
        if roll < 2 || records.isEmpty && roll < 5 {
            operation = harvest("hub-\(rng.next() % 1_000_000)")
        } else if roll == 2 {
            operation = harvest(records.randomElement(using: &rng)!.entry.id)
        } else if roll < 5 {
            let target = records.randomElement(using: &rng)!
            let void = target.entry.reversal(id: "void-\(rng.next() % 1_000_000)", date: target.entry.date,
                                             reason: "erreur", event: Bool.random(using: &rng) ? target.event.hash : nil)
            operation = .append(void.coreEntry)
        } else {
            operation = .assign(Assignment(key: Catalog.productKey("P\(rng.next() % 3)", .name), value: .text("Miel \(rng.next() % 9)")))
        }
        _ = try node.write([operation], wallMillis: wall)
    }

    @Test("after every write, the index merged with what changed is the one made from scratch, byte for byte")
    func mergedEqualsScratch() throws {
        let base = testSeed(default: 0xE171_3E26)
        for offset in 0..<20 as Range<UInt64> {
            let seed = base &+ offset
            let history = RandomHistory(seed: seed, nodes: 2 + Int(offset % 4), steps: 40 + Int(offset % 70))
            var rng = SplitMix64(seed: seed ^ 0x3E26)
            var pending = history.events.shuffled(using: &rng)
            pending += pending.filter { _ in Int.random(in: 0..<6, using: &rng) == 0 }
            let directory = EntryIndexTests.directory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try LocalNode.create(directory: directory, ledger: "coop", label: "hub", node: NodeID.derived(from: "hub \(seed)"))
            var step = 0
            var indexed = false
            var wall: UInt64 = 1_780_000_000_000
            if offset % 2 == 0 {
                // Half the hubs hold a few blocks of their own entries first, some voided,
                // which the deliveries' clocks then interleave: whole blocks are copied,
                // and slots, voids and id lines move across block edges.
                var node = try LocalNode(directory: directory, wallMillis: wall)
                let count = Int.random(in: 300...900, using: &rng)
                _ = try node.write((0..<count).map { Self.harvest("pre-\($0)") }, wallMillis: wall)
                for _ in 0..<4 { try Self.localWrite(&node, wall: wall + 1, using: &rng) }
            }
            while !pending.isEmpty {
                var node = try LocalNode(directory: directory, wallMillis: wall)
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    wall += UInt64.random(in: 1...3_000_000, using: &rng)
                    if Int.random(in: 0..<3, using: &rng) == 0 {
                        try Self.localWrite(&node, wall: wall, using: &rng)
                    } else if !pending.isEmpty {
                        let chunk = Array(pending.prefix(Int.random(in: 1...8, using: &rng)))
                        pending.removeFirst(chunk.count)
                        _ = try node.persist(chunk)
                    }
                }
                step += 1
                let context = "seed \(seed) step \(step)"
                let (made, how, scratch) = try Self.bodies(directory)
                #expect(made != nil && made == scratch, "\(context): the index made differs from the one made from scratch")
                if indexed {
                    #expect(how == .merged, "\(context): not merged: \(how)")
                } else {
                    #expect(how != .merged, "\(context): merged with no previous index")
                }
                // Not every write leaves an index behind: the next merges two writes' worth.
                if Int.random(in: 0..<4, using: &rng) == 0 { continue }
                #expect(node.views().warnings.isEmpty, "\(context)")
                indexed = true
                try Self.expectFileFromScratch(directory, context)
            }
        }
    }

    @Test("entries from a farm older than the hub's go low in the order: merged, the same bytes")
    func olderEntriesMerge() throws {
        let directory = EntryIndexTests.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try LocalNode.create(directory: directory, ledger: "coop", label: "hub", node: NodeID.derived(from: "hub"))
        var node = try LocalNode(directory: directory, wallMillis: 1_790_000_000_000)
        // 700 entries (three blocks), some voided by id.
        for index in 0..<700 {
            _ = try node.write([Self.harvest("h-\(index)")], wallMillis: 1_790_000_000_000 + UInt64(index) * 1_000)
        }
        let records = LedgerState(replica: node.replica).records
        for index in stride(from: 0, to: 700, by: 97) {
            let void = records[index].entry.reversal(id: "v-\(index)", date: records[index].entry.date, reason: "erreur")
            _ = try node.write([.append(void.coreEntry)], wallMillis: 1_790_001_000_000 + UInt64(index))
        }
        _ = node.views()
        // A farm that wrote before most of them: its harvests, an entry under an id the hub
        // holds (voided there by id: so is this one), and a void of the hub's newest entry.
        var farm = Replica(node: NodeID.derived(from: "farm"))
        var events: [Event] = []
        for index in 0..<40 {
            events.append(farm.write(Self.harvest("f-\(index)", producer: "farm"), wallMillis: 1_790_000_300_000 + UInt64(index) * 7_000))
        }
        events.append(farm.write(Self.harvest("h-97"), wallMillis: 1_790_000_400_000))
        let newest = records[699].entry.reversal(id: "farm-void", date: records[699].entry.date, reason: "erreur")
        events.append(farm.write(.append(newest.coreEntry), wallMillis: 1_790_000_500_000))
        _ = try node.persist(events)
        let (made, how, scratch) = try Self.bodies(directory)
        #expect(how == .merged)
        #expect(made != nil && made == scratch)
        _ = node.views()
        try Self.expectFileFromScratch(directory, "farm")
    }

    @Test("no previous file, a damaged one, one of a log rewritten, or one that does not describe its stamp: rebuilt, the same bytes")
    func fallbacks() throws {
        let directory = EntryIndexTests.directory()
        let other = EntryIndexTests.directory()
        defer {
            try? FileManager.default.removeItem(atPath: directory)
            try? FileManager.default.removeItem(atPath: other)
        }
        let path = directory + "/" + EntryIndexFile.fileName
        try LocalNode.create(directory: directory, ledger: "coop", label: "hub", node: NodeID.derived(from: "hub"))
        var node = try LocalNode(directory: directory, wallMillis: 1_790_000_000_000)
        for index in 0..<300 {
            _ = try node.write([Self.harvest("h-\(index)")], wallMillis: 1_790_000_000_000 + UInt64(index) * 1_000)
        }
        func expectRebuilt(_ reason: String, _ context: String) throws {
            let (made, how, scratch) = try Self.bodies(directory)
            guard case let .rebuilt(why) = how else {
                Issue.record("\(context): merged")
                return
            }
            #expect(why.contains(reason), "\(context): \(why)")
            #expect(made != nil && made == scratch, "\(context): the rebuilt index differs from the one made from scratch")
        }
        // No file yet.
        try expectRebuilt("no whole previous index", "no file")
        _ = node.views()
        // A block that fails its CRC under a good trailer (as a writer's bug would leave it).
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        var bytes = original
        bytes[60 + 24 * 5] ^= 0x10
        let trailer = CRC32C.checksum(Array(bytes.dropLast(4)))
        bytes.replaceSubrange((bytes.count - 4)..., with: [UInt8(trailer >> 24), UInt8((trailer >> 16) & 0xFF),
                                                          UInt8((trailer >> 8) & 0xFF), UInt8(trailer & 0xFF)])
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        _ = try node.write([Self.harvest("after-damage")], wallMillis: 1_790_001_000_000)
        try expectRebuilt("does not check", "damaged block")
        // The file of another log (a log rewritten, restored, or another directory's): its
        // stamp does not begin this log.
        try LocalNode.create(directory: other, ledger: "coop", label: "other", node: NodeID.derived(from: "other"))
        var second = try LocalNode(directory: other, wallMillis: 1_790_000_000_000)
        for index in 0..<400 {
            _ = try second.write([Self.harvest("o-\(index)")], wallMillis: 1_790_000_000_000 + UInt64(index))
        }
        _ = second.views()
        try Data(contentsOf: URL(fileURLWithPath: other + "/" + EntryIndexFile.fileName)).write(to: URL(fileURLWithPath: path))
        try expectRebuilt("no whole previous index", "another log's file")
        // A well-formed file of this very log state whose last two entries are swapped:
        // what is added below them shows its order is not the replica's.
        _ = node.views()
        var store = try NodeStore(directory: directory, wallMillis: 1_790_000_000_000) { NodeID.derived(from: "x") }
        var wrong = try #require(EntryIndexFile.current(directory: directory))
        wrong.entries.swapAt(wrong.entries.count - 1, wrong.entries.count - 2)
        #expect(try store.saveStampedFile(EntryIndexFile.fileName, as: .entries, body: EntryIndexFile.encodeBody(wrong, stamp: store.stamp)))
        var farm = Replica(node: NodeID.derived(from: "farm"))
        _ = try node.persist([farm.write(Self.harvest("early", producer: "farm"), wallMillis: 1_790_000_000_500)])
        try expectRebuilt("otherwise than the replica", "swapped tail")
        // A file of this state missing its newest entry (accepted, in the log before the
        // stamp): an entry added below it finds it neither in the file nor added since.
        _ = node.views()
        store = try NodeStore(directory: directory, wallMillis: 1_790_000_000_000) { NodeID.derived(from: "x") }
        var missing = try #require(EntryIndexFile.current(directory: directory))
        missing.entries.removeLast()
        missing.ids.removeAll { $0.slot == missing.entries.count }
        #expect(try store.saveStampedFile(EntryIndexFile.fileName, as: .entries, body: EntryIndexFile.encodeBody(missing, stamp: store.stamp)))
        _ = try node.persist([farm.write(Self.harvest("early-2", producer: "farm"), wallMillis: 1_790_000_000_600)])
        try expectRebuilt("neither in the previous index nor added since", "missing entry")
        // More events gained than the file holds entries (an import into a new hub): a
        // rebuild, cheaper than a merge holding every new entry.
        _ = node.views()
        _ = try node.write((0..<4_200).map { Self.harvest("bulk-\($0)") }, wallMillis: 1_790_001_500_000)
        try expectRebuilt("more than the previous index holds entries", "an import")
        // And after a rebuild the next write merges again.
        _ = node.views()
        _ = try node.write([Self.harvest("last")], wallMillis: 1_790_002_000_000)
        let (made, how, scratch) = try Self.bodies(directory)
        #expect(how == .merged && made == scratch)
    }
}
