import CarnetCore
import CarnetTestKit
import CarnetWire
import Foundation
import Testing

/// protocol/vectors/state-digest-v3.txt, made by `tools/conformance/make_digest_vector.py`
/// from SPEC §5 alone: the digest of a small replica (two writers, a fork, an event held
/// aside) after each delivery, as bytes the Swift code did not compute.
struct StateDigestVectorTests {
    static let file = GoldenVectorTests.directory.appendingPathComponent("state-digest-v3.txt")

    struct Step: Sendable {
        var batch: [UInt8]
        var state: [UInt8]
        var digest: String
    }

    static func steps() throws -> [Step] {
        var found: [Step] = []
        for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "batch": found.append(Step(batch: try #require(Hex.decode(parts[1])), state: [], digest: ""))
            case "state": found[found.count - 1].state = try #require(Hex.decode(parts[1]))
            case "digest": found[found.count - 1].digest = parts[1]
            default: continue
            }
        }
        return found
    }

    @Test func eachDeliveryGivesTheStatedDigest() throws {
        let steps = try Self.steps()
        #expect(steps.count == 5)
        var replica = Replica(node: NodeID.derived(from: "vector"))
        for (number, step) in steps.enumerated() {
            replica.admit(contentsOf: try EventBatch.decode(step.batch))
            #expect(SHA256.hash(step.state).hex == step.digest, "delivery \(number + 1): the stated bytes")
            #expect(replica.digest.hex == step.digest, "delivery \(number + 1)")
        }
        #expect(replica.history.pendingCount == 1, "the event whose predecessor is not held")
        #expect(replica.history.heads(of: NodeID(hex: "11111111111111111111111111111111")!).count == 2, "the fork")
    }

    @Test func anyOrderGivesTheLastDigest() throws {
        let seed = testSeed(default: 0x5E3D)
        var rng = SplitMix64(seed: seed)
        let steps = try Self.steps()
        let events = try steps.flatMap { try EventBatch.decode($0.batch) }
        let last = try #require(steps.last).digest
        for round in 0..<30 {
            var replica = Replica(node: NodeID.derived(from: "shuffled"))
            let shuffled = Delivery.withDuplicates(Delivery.shuffled(events, using: &rng), using: &rng)
            for group in Delivery.grouped(shuffled, using: &rng) { replica.admit(contentsOf: group) }
            #expect(replica.digest.hex == last, "seed \(seed) round \(round)")
        }
    }
}
