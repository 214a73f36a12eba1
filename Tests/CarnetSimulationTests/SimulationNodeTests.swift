import CarnetCore
import CarnetSimulation
import CarnetStore
import CarnetTestKit
import Testing

/// The simulation's node is the product's store on a simulated disk, with nothing kept
/// beside it: what a node holds at the end of a run is what a fresh `NodeStore` opening
/// its disk finds, after crashes (with unsynced loss) and restores from old backups.
struct SimulationNodeTests {
    @Test func eachNodeHoldsWhatItsDiskHolds() throws {
        var faulted = 0
        for offset: UInt64 in 0..<6 where faulted < 2 {
            let configuration = SimConfiguration(seed: testSeed(default: 0x51_D15C) + offset, farms: 4)
            var simulation = Simulation(configuration: configuration, plan: .random(configuration))
            let outcome = simulation.run()
            #expect(outcome.passed, "\(outcome)")
            if outcome.statistics.crashes > 0 { faulted += 1 }
            for node in simulation.nodes {
                // A copy of the disk: the node's own store keeps its log open.
                let disk = SimStorage(seed: 1, image: node.storage.currentImage)
                let store = try NodeStore(directory: SimNode.directory, wallMillis: 1_790_000_000_000, storage: disk) {
                    Issue.record("seed=\(configuration.seed): \(node.label)'s disk holds a history that forked itself")
                    return NodeID(high: 1, low: 1)
                }
                #expect(store.identity.node == node.nodeID, "seed=\(configuration.seed) \(node.label)")
                #expect(store.replica.digest == node.replica.digest, "seed=\(configuration.seed) \(node.label)")
                #expect(store.replica.versionVector == node.replica.versionVector, "seed=\(configuration.seed) \(node.label)")
            }
        }
        #expect(faulted > 0, "no seed tried crashed a node: the test checked no disk after a crash")
    }
}
