import CarnetCore
@testable import CarnetStore
import CarnetSystem
import CarnetTestKit
import Testing

/// A checkpoint written a chunk at a time from the history is the very file written from
/// every event at once, and says where each first branch went as reading it back would.
struct CheckpointLayoutTests {
    @Test(arguments: [UInt64(0x1A7001), 0x1A7002, 0x1A7003])
    func aCheckpointWrittenByChunksIsTheOneWrittenWhole(seed: UInt64) throws {
        var replica = Replica(node: NodeID.derived(from: "layout"))
        // Some events left out, so that those after them wait for their predecessor.
        var events = RandomHistory(seed: seed, nodes: 5, steps: 300).events
        events = events.enumerated().filter { $0.offset % 37 != 20 }.map(\.element)
        replica.admit(contentsOf: events)
        let stamp = LogStamp(size: 99, lastRecordOffset: 16, lastRecordCRC: 5)
        let whole = Checkpoint.encodeLocated(replica.allEvents + replica.history.pendingEvents, stamp: stamp)
        let layout = CheckpointLayout(history: replica.history)
        let history = replica.history
        let chunked = try Checkpoint.encodeLocated(count: layout.count, heads: nil, stamp: stamp) { (range: Range<Int>) throws(ColdReadError) in
            try layout.events(range, in: history)
        }
        #expect(chunked.bytes == whole.bytes, "seed \(seed)")
        #expect(replica.history.pendingCount > 0, "seed \(seed): nothing is waiting")
        // Small chunks, to cross their boundaries inside chains.
        for chunkEvents in [7, 64] {
            var expected: [NodeID: [ChainRun]] = [:]
            for (position, event) in (replica.allEvents + replica.history.pendingEvents).enumerated()
            where replica.history.chainContains(event.id) {
                let chunk = position / chunkEvents, index = position % chunkEvents
                if let last = expected[event.dot.node]?.last, last.piece == chunk, last.lastSeq + 1 == event.dot.seq {
                    expected[event.dot.node]![expected[event.dot.node]!.count - 1].count += 1
                } else {
                    expected[event.dot.node, default: []].append(ChainRun(firstSeq: event.dot.seq, count: 1, piece: chunk, firstIndex: index))
                }
            }
            let runs = layout.chainRuns(chunkEvents: chunkEvents)
            #expect(runs.mapValues { $0.map { [Int($0.firstSeq), $0.count, $0.piece, $0.firstIndex] } }
                    == expected.mapValues { $0.map { [Int($0.firstSeq), $0.count, $0.piece, $0.firstIndex] } }, "seed \(seed), chunks of \(chunkEvents)")
            for offset in stride(from: 0, to: layout.count, by: chunkEvents) {
                let range = offset..<min(offset + chunkEvents, layout.count)
                #expect(try layout.events(range, in: history).map(\.id)
                        == Array((replica.allEvents + replica.history.pendingEvents)[range]).map(\.id), "seed \(seed)")
            }
        }
    }
}
