import CarnetCore
import CarnetLedger
import CarnetTestKit
import CarnetWire
import CarnetWorkload
import Foundation
import Testing

/// The 10k sample workload (seed 42), replayed one node per actor with the daily syncs.
struct WorkloadReplayTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/ledger-10k.jsonl")

    static func replay(isolated: Bool = false) throws -> WorkloadReplay {
        let bytes = try [UInt8](Data(contentsOf: fixture))
        return try WorkloadReplay.replay(bytes, isolated: isolated)
    }

    /// Replayed once per test process and shared: a replay takes seconds in debug builds.
    static let shared: Result<WorkloadReplay, any Error> = Result { try replay() }

    @Test func theDigestIsTheSameWhateverOrderTheNodesAreMergedIn() throws {
        let replay = try Self.shared.get()
        #expect(replay.entries == 10_000)
        #expect(replay.catalogWrites == 357)
        #expect(replay.syncs == 60)
        let observer = NodeID.derived(from: "observer")
        var reference = Replica(node: observer)
        for replica in replay.replicas { reference.merge(with: replica) }
        // 10,000 entries + 200 products × 6 fields + 157 single-field edits.
        #expect(reference.eventCount == 10_000 + 1_200 + 157)
        #expect(reference.digest == replay.hub.digest, "after the last sync the hub holds everything")
        let seed = testSeed(default: 42)
        var rng = SplitMix64(seed: seed)
        for round in 0..<6 {
            var merged = Replica(node: observer)
            for replica in replay.replicas.shuffled(using: &rng) { merged.merge(with: replica) }
            #expect(merged.digest == reference.digest, "seed \(seed) round \(round)")
        }
        // Isolated replicas (each actor only its own lines) merge to the same state too:
        // the catalog edits then all look concurrent, so only the conflicts may differ.
        let isolated = try Self.replay(isolated: true)
        var first = Replica(node: observer), second = Replica(node: observer)
        for replica in isolated.replicas { first.merge(with: replica) }
        for replica in isolated.replicas.reversed() { second.merge(with: replica) }
        #expect(first.digest == second.digest)
        #expect(first.eventCount == reference.eventCount)
    }

    @Test func theMergedLedgerIsConsistentWithTheFile() throws {
        let replay = try Self.shared.get()
        let hub = replay.hub
        let ledger = LedgerState(replica: hub)
        #expect(ledger.records.count == 10_000)
        #expect(ledger.unreadable.isEmpty)
        #expect(ledger.records.filter { $0.entry.kind == .reversal }.count == 414)
        let catalog = Catalog(replica: hub)
        #expect(catalog.products.count == 200)
        let conflicts = Conflicts.all(replica: hub, ledger: ledger)
        // The file has 29 deliberate concurrent-edit groups; later edits by actors who saw
        // both values settle some of them. No fork, no duplicate id in a clean workload.
        let fieldConflicts = conflicts.filter { $0.kind == .field }
        #expect(!fieldConflicts.isEmpty && fieldConflicts.count <= 40)
        #expect(!conflicts.contains { $0.kind == .fork || $0.kind == .duplicateEntry })
        // Every farm sees the same catalog conflicts as the hub.
        for replica in replay.replicas {
            #expect(replica.fieldConflicts.map(\.id) == hub.fieldConflicts.map(\.id))
        }
    }

    @Test func aFarmsBatchIsCompact() throws {
        let replay = try Self.shared.get()
        let farm = WorkloadReplay.nodeID(forActor: "F18")
        let events = replay.hub.history.events(of: farm)
        let entries = events.filter { if case .append = $0.operation { true } else { false } }
        let bytes = EventBatch.encode(events)
        let perEntry = Double(bytes.count) / Double(entries.count)
        #expect(perEntry <= 20, "\(perEntry) bytes per entry for F18")
        #expect(try EventBatch.decode(bytes).map(\.id) == events.map(\.id))
    }
}
