import CarnetCore
import CarnetStore
import CarnetSystem
import CarnetTestKit
import Testing

/// `StoreRecovery` crashed at each of its disk calls, with each of the three damages a
/// crash does to unsynced bytes, then run again: the second run succeeds, no intact event
/// is lost, the damaged bytes are in an aside file byte for byte, and a node whose damage
/// may have held its own events never ends up under its old id.
struct StoreRecoveryCrashTests {
    enum Damage: String, CaseIterable, CustomStringConvertible {
        /// A new log by rename.
        case middleRecord
        /// Cut in place, with the link record of a new id appended.
        case lastRecord
        var description: String { rawValue }
    }

    static let directory = "/farm"
    static let wallMillis: UInt64 = 1_790_000_000_000

    @Test(arguments: Damage.allCases)
    func recoveryCrashedAtEveryCallLosesNothingWhenRunAgain(_ damage: Damage) throws {
        let seed = testSeed(default: 2_105)
        let farm = NodeID.derived(from: "farm")
        let disk = SimStorage(seed: seed)
        try NodeStore.create(directory: Self.directory, ledger: "plateau", label: "farm", node: farm, storage: disk)
        var random = SplitMix64(seed: seed)
        let original: Set<EventID>
        do {
            var store = try NodeStore(directory: Self.directory, wallMillis: Self.wallMillis, storage: disk) { NodeID.derived(from: "never") }
            for index in 0..<8 {
                try store.write(.append(Entry(id: "e\(index)", kind: "harvest", fields: [Field("qty", .int(Int64(index)))])),
                                wallMillis: Self.wallMillis + UInt64(index))
            }
            original = Set(store.replica.allEvents.map(\.id))
        }
        // Damage one record's payload, durably.
        let path = Self.directory + "/" + EventLog.fileName
        let log = try disk.open(path)
        var bytes = try log.readAll()
        var frames: [Range<Int>] = []
        var offset = 16
        while offset < bytes.count {
            let length = Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            frames.append(offset..<(offset + 8 + length))
            offset += 8 + length
        }
        let hit = damage == .lastRecord ? frames.last! : frames[1 + Int(random.next() % UInt64(frames.count - 2))]
        bytes[hit.lowerBound + 8 + Int(random.next() % UInt64(hit.count - 8))] ^= 0x33
        try log.write(bytes, at: 0)
        try log.sync()
        let image = disk.currentImage
        let lostSeqs = damage == .lastRecord ? [UInt64(frames.count)] : [UInt64(frames.firstIndex(of: hit)! + 1)]
        let intact = original.filter { !lostSeqs.contains($0.dot.seq) }

        func recover(_ storage: SimStorage, _ name: String) throws -> StoreRecovery.Report {
            try StoreRecovery.run(directory: Self.directory, asideSuffix: "T", dropCheckpoint: false,
                                  wallMillis: Self.wallMillis + 1_000, storage: storage) { NodeID.derived(from: name) }
        }
        let dry = SimStorage(seed: seed, image: image)
        _ = try recover(dry, "dry")
        let calls = dry.counts.calls
        #expect(calls > 5, "seed \(seed): \(calls) calls")
        var crashes = 0
        for call in 0..<calls {
            for crash in CrashDamage.allCases {
                let context = "seed \(seed), \(damage), crash at call \(call) of \(calls), \(crash)"
                let crashing = SimStorage(seed: seed &+ UInt64(call), image: image, faults: SimDiskFaults(crashAtCall: call))
                _ = try? recover(crashing, "first")
                guard crashing.hasCrashed else { continue }
                crashes += 1
                let after = crashing.restart(after: crash, seed: seed &+ UInt64(call))
                // Run again: it may find nothing left to do (the crash came after the new log).
                _ = try recover(after, "second")
                let store = try NodeStore(directory: Self.directory, wallMillis: Self.wallMillis + 2_000, storage: after) { NodeID.derived(from: "third") }
                let held = Set((store.replica.allEvents + store.replica.history.pendingEvents).map(\.id))
                #expect(intact.isSubset(of: held), "\(context): \(intact.subtracting(held).count) intact events lost")
                #expect(store.identity.node != farm, "\(context): the node writes under its old id over a log that lost its seqs")
                let asides = after.files(in: Self.directory).filter { $0.hasPrefix(Self.directory + "/events.log.damaged-") && !$0.hasSuffix(".tmp") }
                let contents = try asides.map { try after.open($0).readAll() }
                #expect(contents.contains(Array(bytes[hit])), "\(context): no aside file holds the damaged bytes (\(asides))")
            }
        }
        #expect(crashes >= calls, "seed \(seed): \(crashes) crashes for \(calls) calls")
    }
}
