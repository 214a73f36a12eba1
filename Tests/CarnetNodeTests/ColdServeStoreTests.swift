import CarnetCore
import CarnetLedger
import CarnetNode
import CarnetStore
import CarnetTestKit
import Foundation
import Testing

/// The store `serve` opens keeps the checkpoint's events out of memory, folds its views by
/// reading them back, and shows what a store holding them would.
struct ColdServeStoreTests {
    @Test(arguments: [UInt64(0x5E2C01), 0x5E2C02])
    func aServedStoreKeepsItsChainsColdAndShowsTheSameViews(seed: UInt64) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("carnet-cold-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try NodeStore.create(directory: directory, ledger: "l", label: "hub", node: NodeID.derived(from: "hub"))
        let events = RandomHistory(seed: seed, nodes: 4, steps: 200).events
        var writer = try NodeStore(directory: directory, wallMillis: 1) { NodeID.derived(from: "fresh") }
        try writer.persist(Array(events[..<(events.count * 3 / 4)]))
        try writer.saveCheckpoint()
        try writer.persist(Array(events[(events.count * 3 / 4)...]))

        let served = try SharedStore(directory: directory, wallMillis: 1, keepingChainsCold: true)
        #expect(served.replica.history.coldCount > 0, "seed \(seed)")
        served.warmFold()
        let cold = served.replica
        #expect(cold.history.coldCount > 0, "seed \(seed): the fold read the events back without keeping them")
        let warm = try SharedStore(directory: directory, wallMillis: 1).replica
        #expect(LedgerViews(replica: cold) == LedgerViews(replica: warm), "seed \(seed)")
        #expect(cold.digest == warm.digest, "seed \(seed)")
        #expect(served.saveServedStatus(stopping: false) == nil, "seed \(seed)")
    }
}
