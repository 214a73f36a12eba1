import CarnetCore
import CarnetTestKit
import CarnetWire
import Testing

struct SummaryCodingTests {
    @Test func summariesOfRandomHistoriesRoundTripByteExactly() throws {
        let seed = testSeed(default: 0x5EED_5)
        for round in 0..<40 {
            var replica = Replica(node: NodeID.derived(from: "r"))
            replica.admit(contentsOf: RandomHistory(seed: seed &+ UInt64(round), nodes: 5, steps: 50).events)
            let summary = replica.summary
            let bytes = SummaryCoding.encode(summary)
            let decoded = try SummaryCoding.decode(bytes)
            #expect(decoded == summary, "seed \(seed) round \(round)")
            #expect(SummaryCoding.encode(decoded) == bytes, "seed \(seed) round \(round)")
        }
    }

    @Test func anEmptySummaryIsOneByte() throws {
        let empty = HistorySummary(versionVector: VersionVector(), heads: [:])
        #expect(SummaryCoding.encode(empty) == [0])
        #expect(try SummaryCoding.decode([0]) == empty)
    }

    @Test func badSummariesAreRefused() {
        let a = NodeID.derived(from: "a"), b = NodeID.derived(from: "b")
        let (low, high) = a < b ? (a, b) : (b, a)
        func entry(_ node: NodeID, seq: UInt64, heads: [UInt64]) -> [UInt8] {
            var writer = ByteWriter()
            writer.nodeID(node)
            writer.varint(seq)
            writer.varint(UInt64(heads.count))
            for head in heads {
                writer.varint(head)
                writer.digest(.zero)
            }
            return writer.bytes
        }
        let outOfOrder = [2] + entry(high, seq: 1, heads: [1]) + entry(low, seq: 1, heads: [1])
        let duplicate = [2] + entry(low, seq: 1, heads: [1]) + entry(low, seq: 1, heads: [1])
        let headAtZero = [1] + entry(low, seq: 1, heads: [0])
        let tooManyNodes: [UInt8] = [0x81, 0x80, 0x08]  // 131,073
        let truncated = Array(([1] + entry(low, seq: 3, heads: [3])).dropLast())
        let trailing = [1] + entry(low, seq: 3, heads: [3]) + [0]
        // Heads must come sorted, as the encoder writes them (found by fuzzing: unsorted
        // heads decoded to a summary that re-encoded to other bytes).
        let headsOutOfOrder = [1] + entry(low, seq: 3, heads: [3, 2])
        let headRepeated = [1] + entry(low, seq: 3, heads: [3, 3])
        for bytes in [outOfOrder, duplicate, headAtZero, tooManyNodes, truncated, trailing, headsOutOfOrder, headRepeated] {
            #expect(throws: WireError.self) { try SummaryCoding.decode(bytes) }
        }
    }
}
