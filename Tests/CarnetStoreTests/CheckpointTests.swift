import CarnetCore
import CarnetStore
import CarnetSystem
import CarnetTestKit
import Foundation
import Testing

/// A node holding a random multi-node history (with forks), a checkpoint of its first part
/// and a log that has grown since: the state every checkpoint test starts from.
private struct CheckpointFixture {
    let directory: TemporaryDirectory
    let seed: UInt64
    let events: [Event]
    var checkpointPath: String { directory.path + "/" + Checkpoint.fileName }

    init(seed: UInt64, checkpointAt fraction: Double = 0.6) throws {
        directory = try TemporaryDirectory()
        self.seed = seed
        events = RandomHistory(seed: seed, nodes: 4, steps: 120).events
        try NodeStore.create(directory: directory.path, ledger: "l", label: "hub", node: NodeID.derived(from: "hub"))
        var store = try open()
        let cut = Int(Double(events.count) * fraction)
        try store.persist(Array(events[..<cut]))
        try store.saveCheckpoint()
        // The rest in small records, as a server receiving batches would write them.
        var start = cut
        while start < events.count {
            try store.persist(Array(events[start..<min(start + 7, events.count)]))
            start += 7
        }
    }

    func open() throws -> NodeStore {
        try NodeStore(directory: directory.path, wallMillis: 1) { NodeID.derived(from: "fresh") }
    }

    /// The digest of a replica that received every event directly: what any open must give.
    var expectedDigest: SHA256Digest {
        var replica = Replica(node: NodeID.derived(from: "hub"))
        replica.admit(contentsOf: events)
        return replica.digest
    }

    func checkpointBytes() throws -> [UInt8] { try [UInt8](Data(contentsOf: URL(fileURLWithPath: checkpointPath))) }
    func writeCheckpoint(_ bytes: [UInt8]) throws { try Data(bytes).write(to: URL(fileURLWithPath: checkpointPath)) }
}

struct CheckpointTests {
    @Test func openingReadsTheCheckpointAndOnlyTheNewerRecords() throws {
        let seed = testSeed(default: 0xC4EC4)
        let fixture = try CheckpointFixture(seed: seed)
        defer { fixture.directory.cleanUp() }
        let store = try fixture.open()
        let cut = Int(Double(fixture.events.count) * 0.6)
        #expect(store.opening.checkpointEvents != nil, "seed \(seed)")
        #expect(store.opening.recovery.resumedAt != nil, "seed \(seed)")
        #expect(store.opening.recovery.events == fixture.events.count - cut, "seed \(seed)")
        #expect(store.replica.digest == fixture.expectedDigest, "seed \(seed)")
    }

    @Test func aMissingCheckpointIsRebuiltFromTheLog() throws {
        let seed = testSeed(default: 0xC4EC4)
        let fixture = try CheckpointFixture(seed: seed)
        defer { fixture.directory.cleanUp() }
        try FileManager.default.removeItem(atPath: fixture.checkpointPath)
        var store = try fixture.open()
        #expect(store.opening.checkpointEvents == nil)
        #expect(store.opening.checkpointProblem == "no checkpoint")
        #expect(store.opening.recovery.events == fixture.events.count, "seed \(seed)")
        #expect(store.replica.digest == fixture.expectedDigest, "seed \(seed)")
        #expect(try store.saveCheckpoint())
        let reopened = try fixture.open()
        #expect(reopened.opening.checkpointEvents == fixture.events.count && reopened.opening.recovery.events == 0)
        #expect(reopened.replica.digest == fixture.expectedDigest, "seed \(seed)")
    }

    @Test func aTruncatedOrFlippedCheckpointIsIgnored() throws {
        let seed = testSeed(default: 0xC4EC4)
        let fixture = try CheckpointFixture(seed: seed)
        defer { fixture.directory.cleanUp() }
        let original = try fixture.checkpointBytes()
        var random = SplitMix64(seed: seed)
        var damaged: [[UInt8]] = [[], Array(original.prefix(10)), Array(original.prefix(original.count / 2)),
                                  Array(original.dropLast())]
        for _ in 0..<6 {
            var flipped = original
            let bit = Int(random.next() % UInt64(original.count * 8))
            flipped[bit / 8] ^= UInt8(1 << (bit % 8))
            damaged.append(flipped)
        }
        for bytes in damaged {
            try fixture.writeCheckpoint(bytes)
            let store = try fixture.open()
            #expect(store.opening.checkpointEvents == nil, "seed \(seed), \(bytes.count) bytes")
            #expect(store.opening.checkpointProblem?.hasPrefix("checkpoint damaged") == true, "seed \(seed)")
            #expect(store.replica.digest == fixture.expectedDigest, "seed \(seed)")
        }
    }

    @Test func aCheckpointNewerThanTheLogIsIgnored() throws {
        // The log was restored from an older backup, but the checkpoint was not: it
        // describes events the log does not hold, and must not bring them back silently.
        let seed = testSeed(default: 0xC4EC4)
        let fixture = try CheckpointFixture(seed: seed, checkpointAt: 0.3)
        defer { fixture.directory.cleanUp() }
        let logAtCheckpoint = try fixture.directory.logBytes()
        var store = try fixture.open()
        #expect(try store.saveCheckpoint())
        _ = consume store
        try fixture.directory.writeLog(Array(logAtCheckpoint.prefix(logAtCheckpoint.count / 2)))
        let reopened = try fixture.open()
        #expect(reopened.opening.checkpointEvents == nil, "seed \(seed)")
        #expect(reopened.opening.checkpointProblem?.contains("does not match the log") == true)
        #expect(reopened.replica.eventCount < fixture.events.count)
    }

    @Test func aCheckpointOfAnotherLogIsIgnored() throws {
        // The log was replaced by another node's log (a wrong copy): the checkpoint's
        // stamp does not name a record of it, so the new log is read whole.
        let seed = testSeed(default: 0xC4EC4)
        let fixture = try CheckpointFixture(seed: seed)
        let other = try CheckpointFixture(seed: seed &+ 1)
        defer {
            fixture.directory.cleanUp()
            other.directory.cleanUp()
        }
        try fixture.directory.writeLog(try other.directory.logBytes())
        let reopened = try fixture.open()
        #expect(reopened.opening.checkpointEvents == nil, "seed \(seed)")
        #expect(reopened.replica.digest == other.expectedDigest, "seed \(seed)")
    }

    #if CARNET_FAULT_INJECTION  // FaultInjection exists in debug builds only (Package.swift)
    @Test func diskFullOrIOErrorWhileCheckpointingLosesNothing() throws {
        let seed = testSeed(default: 0xC4EC4)
        let fixture = try CheckpointFixture(seed: seed)
        defer { fixture.directory.cleanUp() }
        let before = try fixture.checkpointBytes()
        // Temporaries are `checkpoint.<random>.tmp` (Directory.createTemporary).
        let temporary = ".tmp"
        // Only this fixture's temporaries: other suites write `.tmp` files meanwhile.
        let own = fixture.directory.path + "/"
        for rule in [FaultInjection.Rule(.write, pathSuffix: temporary, pathPrefix: own, effect: .fail(ENOSPC)),
                     FaultInjection.Rule(.fsync, pathSuffix: temporary, pathPrefix: own, effect: .fail(EIO)),
                     FaultInjection.Rule(.rename, pathSuffix: fixture.checkpointPath, effect: .fail(EIO))] {
            var store = try fixture.open()
            FaultInjection.with([rule]) {
                #expect(throws: StoreError.self) { try store.saveCheckpoint() }
            }
            let left = try FileManager.default.contentsOfDirectory(atPath: fixture.directory.path).filter { $0.hasSuffix(temporary) }
            #expect(left.isEmpty, "\(rule.operation) left a temporary file")
            #expect(try fixture.checkpointBytes() == before, "\(rule.operation) changed the old checkpoint")
            // The store keeps working, and the next open is whole.
            try store.write(.append(Entry(id: "after-\(rule.operation)", kind: "harvest", fields: [])), wallMillis: 9)
        }
        let reopened = try fixture.open()
        #expect(reopened.opening.checkpointEvents != nil)
        #expect(reopened.replica.eventCount == fixture.events.count + 3, "seed \(seed)")
    }
    #endif

    @Test func checkpointsAreWrittenWhenDue() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let node = NodeID.derived(from: "farm")
        try NodeStore.create(directory: directory.path, ledger: "l", label: "farm", node: node)
        var store = try NodeStore(directory: directory.path, wallMillis: 1) { NodeID.derived(from: "x") }
        var written = 0
        for index in 0..<50 {
            try store.write(.append(Entry(id: "e\(index)", kind: "harvest", fields: [])), wallMillis: UInt64(index + 2))
            if try store.saveCheckpointIfDue(minimum: 10) { written += 1 }
        }
        #expect(written >= 3 && written <= 5)
        #expect(store.eventsSinceCheckpoint < 10)
    }
}

struct StatusFileTests {
    @Test func theStatusFileIsUsedOnlyWhileTheLogIsUnchanged() throws {
        let seed = testSeed(default: 0xC4EC4)
        let fixture = try CheckpointFixture(seed: seed)
        defer { fixture.directory.cleanUp() }
        let path = fixture.directory.path
        #expect(StoreStatus.current(directory: path) == nil, "no status file yet")
        var store = try fixture.open()
        #expect(try store.saveStatus(derived: ["conflicts": 3]))
        let summary = try #require(StoreStatus.current(directory: path))
        #expect(summary == store.statusSummary(derived: ["conflicts": 3]))
        #expect(summary.digest == fixture.expectedDigest && summary.eventCount == store.replica.eventCount)
        #expect(summary.history == store.replica.summary && summary.derived["conflicts"] == 3)
        try store.write(.append(Entry(id: "late", kind: "harvest", fields: [])), wallMillis: 5)
        #expect(StoreStatus.current(directory: path) == nil, "the log grew: stale")
        #expect(try store.saveStatus(derived: [:]))
        #expect(StoreStatus.current(directory: path)?.eventCount == fixture.events.count + 1)
    }

    @Test func aDamagedStatusFileIsNotUsed() throws {
        let fixture = try CheckpointFixture(seed: testSeed(default: 0xC4EC4))
        defer { fixture.directory.cleanUp() }
        var store = try fixture.open()
        try store.saveStatus(derived: [:])
        let path = fixture.directory.path + "/" + StoreStatus.fileName
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count / 2] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(StoreStatus.current(directory: fixture.directory.path) == nil)
        try Data(bytes.prefix(20)).write(to: URL(fileURLWithPath: path))
        #expect(StoreStatus.current(directory: fixture.directory.path) == nil)
    }

    /// A file of an earlier version (SPEC §6.3: version 1 held another digest, version 2
    /// no head clocks), sound in every other way, is not believed, and the next save
    /// writes version 3, whose head clocks and checkpoint count read back as written.
    @Test func aStatusFileOfAnEarlierVersionIsIgnoredAndRewritten() throws {
        let fixture = try CheckpointFixture(seed: testSeed(default: 0xC4EC4))
        defer { fixture.directory.cleanUp() }
        var store = try fixture.open()
        try store.saveStatus(derived: [:])
        let path = fixture.directory.path + "/" + StoreStatus.fileName
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(bytes[8...9] == [0, 3], "written as version 3")
        let end = bytes.count - 4
        func relabel(_ version: UInt8) throws {
            bytes[9] = version
            let crc = CRC32C.checksum(bytes[..<end])
            bytes.replaceSubrange(end..., with: [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)])
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
        for old: UInt8 in [1, 2] {
            try relabel(old)
            #expect(StoreStatus.current(directory: fixture.directory.path) == nil, "version \(old): ignored")
        }
        try relabel(3)
        let read = StoreStatus.current(directory: fixture.directory.path)
        #expect(read != nil, "the same bytes as version 3: used")
        #expect(read == store.statusSummary(derived: [:]), "head clocks and the checkpoint count read back")
        #expect(read?.headClocks.isEmpty == false)
        #expect(read?.headClocks.count == read?.history.heads.count)
        try relabel(2)
        #expect(try store.saveStatus(derived: [:]))
        let rewritten = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(rewritten[8...9] == [0, 3])
        #expect(StoreStatus.current(directory: fixture.directory.path)?.digest == fixture.expectedDigest)
    }

    @Test func anotherWritersAppendMakesThisStoreSkipItsStaleStatus() throws {
        let fixture = try CheckpointFixture(seed: testSeed(default: 0xC4EC4))
        defer { fixture.directory.cleanUp() }
        var server = try fixture.open()
        var cli = try fixture.open()
        try cli.write(.append(Entry(id: "from-cli", kind: "harvest", fields: [])), wallMillis: 5)
        #expect(try server.saveStatus(derived: [:]) == false)
        #expect(try server.saveCheckpoint() == false)
        try server.refresh()
        #expect(try server.saveStatus(derived: [:]))
        #expect(StoreStatus.current(directory: fixture.directory.path)?.eventCount == fixture.events.count + 1)
    }
}
