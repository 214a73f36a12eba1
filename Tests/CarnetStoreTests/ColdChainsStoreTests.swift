import CarnetCore
@testable import CarnetStore
import CarnetSystem
import CarnetTestKit
import Foundation
import Testing

/// A store that keeps the events its checkpoint holds out of memory (`serve`'s store)
/// reads them back exactly, across new checkpoints, other writers and reopening.
struct ColdChainsStoreTests {
    /// A node holding a random history with forks: the first part checkpointed, the rest in
    /// small records after it.
    struct Fixture {
        let directory: TemporaryDirectory
        let events: [Event]

        init(seed: UInt64) throws {
            directory = try TemporaryDirectory()
            events = RandomHistory(seed: seed, nodes: 4, steps: 160).events
            try NodeStore.create(directory: directory.path, ledger: "l", label: "hub", node: NodeID.derived(from: "hub"))
            var store = try open(cold: false)
            let cut = events.count * 2 / 3
            try store.persist(Array(events[..<cut]))
            try store.saveCheckpoint()
            var start = cut
            while start < events.count {
                try store.persist(Array(events[start..<min(start + 5, events.count)]))
                start += 5
            }
        }

        func open(cold: Bool) throws -> NodeStore {
            try NodeStore(directory: directory.path, wallMillis: 1, keepingChainsCold: cold) { NodeID.derived(from: "fresh") }
        }
    }

    /// Every reading of `cold` equals the same reading of `warm`.
    static func expectSame(_ cold: Replica, _ warm: Replica, seed: UInt64, _ note: String = "") {
        #expect(cold.digest == warm.digest, "seed \(seed) \(note)")
        #expect(cold.allEvents.map(\.id) == warm.allEvents.map(\.id), "seed \(seed) \(note)")
        #expect(cold.allEvents.map(\.operation) == warm.allEvents.map(\.operation), "seed \(seed) \(note)")
        for node in warm.history.nodeIDs {
            let length = warm.history.chainLength(of: node)
            for after in Set([0, length / 3, length / 2, length &- 2].filter { $0 < length }) {
                #expect(cold.history.chainEvents(of: node, after: after, max: 7) == warm.history.chainEvents(of: node, after: after, max: 7),
                        "seed \(seed) \(note)")
            }
        }
    }

    @Test(arguments: [UInt64(0xC01D5), 0xC01D6, 0xC01D7])
    func aColdStoreGivesBackWhatAWarmOneHolds(seed: UInt64) throws {
        let fixture = try Fixture(seed: seed)
        defer { fixture.directory.cleanUp() }
        var cold = try fixture.open(cold: true)
        var warm = try fixture.open(cold: false)
        #expect(cold.opening.checkpointEvents != nil, "seed \(seed)")
        #expect(cold.replica.history.coldCount > 0, "seed \(seed): nothing was kept out of memory")
        #expect(warm.replica.history.coldCount == 0, "seed \(seed)")
        Self.expectSame(cold.replica, warm.replica, seed: seed, "after opening")

        // More events, then a checkpoint that covers them: the cold store cools them too.
        let more = RandomHistory(seed: seed &+ 99, nodes: 3, steps: 60).events
        try cold.persist(more)
        let before = cold.replica.history.coldCount
        #expect(try cold.saveCheckpoint(), "seed \(seed)")
        #expect(cold.replica.history.coldCount > before, "seed \(seed): the new checkpoint did not cool the new events")
        _ = try warm.refresh()
        Self.expectSame(cold.replica, warm.replica, seed: seed, "after a new checkpoint")

        let reopened = try fixture.open(cold: true)
        Self.expectSame(reopened.replica, warm.replica, seed: seed, "after reopening")
    }

    @Test(arguments: [UInt64(0x10C01D), 0x10C01E])
    func whatAColdStoreAppendsLeavesMemoryAtOnceAndReadsBackFromTheLog(seed: UInt64) throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        try NodeStore.create(directory: directory.path, ledger: "l", label: "farm", node: NodeID.derived(from: "farm"))
        // No checkpoint at all: a new farm joining a hub, batch after batch.
        var cold = try NodeStore(directory: directory.path, wallMillis: 1, keepingChainsCold: true) { NodeID.derived(from: "fresh") }
        let events = RandomHistory(seed: seed, nodes: 5, steps: 220).events
        var start = 0, step = 0
        while start < events.count {
            let end = min(start + 9 + step % 13, events.count)
            try cold.persist(Array(events[start..<end]))
            // Every first-branch event but each chain's last is out of memory at once: the
            // batch's own, and those it let join their chain after they waited.
            let history = cold.replica.history
            let expected = history.nodeIDs.reduce(0) { $0 + max(0, Int(history.chainLength(of: $1)) - 1) }
            #expect(history.coldCount == expected, "seed \(seed): after the batch ending at \(end)")
            start = end
            step += 1
            if step % 5 == 0 {
                // Its own writes go cold too.
                try cold.write(.append(Entry(id: "own-\(step)", kind: "harvest", fields: [Field("qty", .int(Int64(step)))])), wallMillis: UInt64(step))
            }
        }
        let warm = try NodeStore(directory: directory.path, wallMillis: 1) { NodeID.derived(from: "fresh") }
        Self.expectSame(cold.replica, warm.replica, seed: seed, "from the log")
        // A checkpoint then takes over, and appending goes on from it.
        #expect(try cold.saveCheckpoint(), "seed \(seed)")
        try cold.persist(RandomHistory(seed: seed &+ 7, nodes: 3, steps: 50).events)
        var again = try NodeStore(directory: directory.path, wallMillis: 1) { NodeID.derived(from: "fresh") }
        _ = try again.refresh()
        Self.expectSame(cold.replica, again.replica, seed: seed, "from the checkpoint and the log")
        let reopened = try NodeStore(directory: directory.path, wallMillis: 1, keepingChainsCold: true) { NodeID.derived(from: "fresh") }
        Self.expectSame(reopened.replica, again.replica, seed: seed, "reopened")
    }

    @Test func eventsThatWaitedForTheirPredecessorLeaveMemoryWhenTheyJoinTheirChain() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        try NodeStore.create(directory: directory.path, ledger: "l", label: "farm", node: NodeID.derived(from: "farm"))
        var writer = Replica(node: NodeID.derived(from: "early-writer"))
        let chain = (0..<30).map { writer.write(.append(Entry(id: "w\($0)", kind: "harvest", fields: [])), wallMillis: UInt64($0)) }
        var cold = try NodeStore(directory: directory.path, wallMillis: 1, keepingChainsCold: true) { NodeID.derived(from: "fresh") }
        try cold.persist(Array(chain[20...]))
        try cold.persist(Array(chain[10..<20]))
        #expect(cold.replica.history.pendingCount == 20)
        try cold.persist(Array(chain[..<10]))
        #expect(cold.replica.history.pendingCount == 0)
        #expect(cold.replica.history.coldCount == 29, "the twenty that waited went cold with the ten that freed them")
        #expect(cold.replica.history.chainEvents(of: writer.node, after: 0, max: 30) == chain)
    }

    @Test func anotherWriterReplacingTheCheckpointLeavesTheOldOneReadable() throws {
        let seed = testSeed(default: 0xC01D8)
        let fixture = try Fixture(seed: seed)
        defer { fixture.directory.cleanUp() }
        let cold = try fixture.open(cold: true)
        let warm = try fixture.open(cold: false)
        #expect(cold.replica.history.coldCount > 0)
        var other = try fixture.open(cold: false)
        try other.persist(RandomHistory(seed: seed &+ 5, nodes: 2, steps: 40).events)
        #expect(try other.saveCheckpoint(), "seed \(seed)")
        // The cold store still reads the checkpoint it opened: renamed over, still open.
        Self.expectSame(cold.replica, warm.replica, seed: seed, "after another writer's checkpoint")
    }

    @Test func eventsAcrossManyChunksComeBackInOrder() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        try NodeStore.create(directory: directory.path, ledger: "l", label: "hub", node: NodeID.derived(from: "hub"))
        var writers = (0..<3).map { Replica(node: NodeID.derived(from: "cold-chunk-\($0)")) }
        var random = SplitMix64(seed: 0xC01D9)
        var events: [Event] = []
        for index in 0..<(Checkpoint.chunkEvents * 2 + 333) {
            let writer = Int(random.next() % 3)
            events.append(writers[writer].write(.append(Entry(id: "c\(index)", kind: "harvest", fields: [Field("qty", .int(Int64(index)))])),
                                                wallMillis: UInt64(index)))
        }
        var store = try NodeStore(directory: directory.path, wallMillis: 1) { NodeID.derived(from: "fresh") }
        try store.persist(events)
        try store.saveCheckpoint()
        let cold = try NodeStore(directory: directory.path, wallMillis: 1, keepingChainsCold: true) { NodeID.derived(from: "fresh") }
        #expect(cold.replica.history.coldCount >= events.count - 3)
        Self.expectSame(cold.replica, store.replica, seed: 0xC01D9)
        var walked = 0
        for node in writers.map(\.node) {
            var seq: UInt64 = 0
            cold.replica.history.forEachChainEvent(of: node, after: 0, max: Int.max) { event in
                seq += 1
                #expect(event.dot.seq == seq)
                walked += 1
            }
        }
        #expect(walked == events.count)
    }

    @Test func aCheckpointDamagedUnderAColdStoreIsReportedNotShown() throws {
        let seed = testSeed(default: 0xC01DA)
        let fixture = try Fixture(seed: seed)
        defer { fixture.directory.cleanUp() }
        let cold = try fixture.open(cold: true)
        let history = cold.replica.history
        // Found by the hash prefix kept in memory: `chainContains` would read the event back,
        // and the chunk then decoded would answer the read below from memory.
        let first = try #require(fixture.events.first { $0.dot.seq == 1 && history.chainHashPrefix(of: $0.dot.node, at: 1) == $0.hash.w0
                && history.chainLength(of: $0.dot.node) >= 3 })
        // Cut in place (the same file, not a new one renamed over it): what a disk fault
        // or a careless hand could do under a running server.
        let handle = try #require(FileHandle(forWritingAtPath: fixture.directory.path + "/" + Checkpoint.fileName))
        handle.truncateFile(atOffset: 40)
        handle.closeFile()
        // Opening read back a fork's predecessor, and kept its chunk decoded.
        cold.coldCheckpoint?.forgetDecodedChunks()
        do {
            let read = try history.readEvent(first.id)
            Issue.record("seed \(seed): read \(String(describing: read)) from a cut checkpoint")
        } catch {
            #expect(error.node == first.dot.node, "seed \(seed)")
            #expect(error.description.contains("cut short") || error.description.contains("cannot be read"), "seed \(seed): \(error)")
        }
        // Warm events (the chain's last) need no file.
        let node = first.dot.node
        #expect(try history.readChainEvents(of: node, after: history.chainLength(of: node) - 1, max: 1).count == 1)
        // Opened again, the damaged checkpoint is not used: nothing goes cold, nothing is lost.
        let reopened = try fixture.open(cold: true)
        #expect(reopened.replica.history.coldCount == 0, "seed \(seed)")
        #expect(reopened.replica.eventCount == cold.replica.eventCount, "seed \(seed)")
    }
}
