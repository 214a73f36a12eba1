import CarnetCore
import CarnetTestKit
import CarnetWire
import Testing

struct PrimedBatchTests {
    @Test func aBatchPrimedWithTheChainBeforeItRoundTripsAndIsSmaller() throws {
        let seed = testSeed(default: 0x9121)
        var smaller = 0, rounds = 0
        for round in 0..<30 {
            var replica = Replica(node: NodeID.derived(from: "r"))
            replica.admit(contentsOf: RandomHistory(seed: seed &+ UInt64(round), nodes: 2, steps: 120).events)
            for node in replica.history.nodeIDs {
                // The first branch only: one hash chain.
                let chain = Array(replica.history.events(of: node).prefix(Int(replica.history.chainLength(of: node))))
                guard chain.count >= 6 else { continue }
                let cut = chain.count / 2
                let context = Array(chain[..<cut]), batch = Array(chain[cut...])
                let primed = EventBatch.encode(batch, primedWith: context)
                let decoded = try EventBatch.decode(primed, primedWith: context)
                #expect(decoded.map(\.id) == batch.map(\.id), "seed \(seed) round \(round)")
                #expect(decoded.first?.previous == context.last?.hash)
                rounds += 1
                if primed.count < EventBatch.encode(batch).count { smaller += 1 }
            }
        }
        #expect(rounds > 20 && smaller * 10 >= rounds * 8, "\(smaller) of \(rounds) primed batches were smaller")
    }

    @Test func anotherContextDoesNotDecodeToTheSameEvents() throws {
        var replica = Replica(node: NodeID.derived(from: "r"))
        replica.admit(contentsOf: RandomHistory(seed: 77, nodes: 2, steps: 120).events)
        let node = replica.history.nodeIDs.max { replica.history.chainLength(of: $0) < replica.history.chainLength(of: $1) }!
        let chain = Array(replica.history.events(of: node).prefix(Int(replica.history.chainLength(of: node))))
        let cut = chain.count / 2
        let primed = EventBatch.encode(Array(chain[cut...]), primedWith: Array(chain[..<cut]))
        let wrongContext = Array(chain[..<(cut - 1)])
        let decoded = try? EventBatch.decode(primed, primedWith: wrongContext)
        #expect(decoded == nil || decoded!.map(\.id) != Array(chain[cut...]).map(\.id))
    }
}
