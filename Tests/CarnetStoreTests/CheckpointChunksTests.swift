@testable import CarnetStore
import CarnetCore
import CarnetSystem
import Testing

/// The checkpoint's chunks are encoded and decoded on every core: the file must hold them,
/// and give them back, in the order of the events, whatever thread finished first.
struct CheckpointChunksTests {
    @Test func aCheckpointOfManyChunksKeepsEveryEventInOrder() throws {
        let seed: UInt64 = 0xC4E1
        var random = SplitMix64(seed: seed)
        var replicas = (0..<3).map { Replica(node: NodeID.derived(from: "chunk-writer-\($0)")) }
        var events: [Event] = []
        // Three chunks and a part (16,384 events each), from three interleaved writers.
        for index in 0..<(Checkpoint.chunkEvents * 3 + 917) {
            let writer = Int(random.next() % 3)
            let entry = Entry(id: "e\(index)", kind: "harvest", fields: [Field("qty", .int(Int64(index)))])
            events.append(replicas[writer].write(.append(entry), wallMillis: UInt64(index)))
        }
        let stamp = LogStamp(size: 1_234, lastRecordOffset: 1_000, lastRecordCRC: 7)
        let bytes = Checkpoint.encode(events, stamp: stamp)
        #expect(bytes == Checkpoint.encode(events, stamp: stamp), "seed \(seed): encoding is deterministic")
        let contents = try Checkpoint.decode(bytes)
        #expect(contents.stamp == stamp)
        #expect(contents.events.map(\.id) == events.map(\.id), "seed \(seed): the events come back in their order")
        #expect(contents.events.map(\.operation) == events.map(\.operation), "seed \(seed)")
    }

    @Test func aDamagedLaterChunkRefusesTheWholeCheckpoint() throws {
        var replica = Replica(node: NodeID.derived(from: "chunk-damage"))
        let events = (0..<(Checkpoint.chunkEvents + 10)).map { index in
            replica.write(.append(Entry(id: "d\(index)", kind: "harvest", fields: [])), wallMillis: UInt64(index))
        }
        var bytes = Checkpoint.encode(events, stamp: LogStamp(size: 10, lastRecordOffset: 0, lastRecordCRC: 0))
        // The second chunk's batch: damage it and fix the trailer, so that only decoding finds it.
        bytes[bytes.count - 4 - 10 * 32 - 3] ^= 0xFF
        let body = bytes.count - 4
        let crc = CRC32C.checksum(bytes[..<body])
        bytes.replaceSubrange(body..., with: LogFormat.bigEndian(crc))
        #expect(throws: Checkpoint.Problem.self) { try Checkpoint.decode(bytes) }
    }

    @Test func parallelPiecesComeBackInOrderAndTheFirstErrorWins() throws {
        struct Failure: Error, Equatable { let index: Int }
        let squares = ParallelMap.map(count: 200) { $0 * $0 }
        #expect(squares == (0..<200).map { $0 * $0 })
        #expect(throws: Failure(index: 3)) {
            try ParallelMap.map(count: 50) { (index: Int) throws(Failure) -> Int in
                if index == 3 || index == 40 { throw Failure(index: index) }
                return index
            }
        }
        #expect(ParallelMap.map(count: 0) { $0 }.isEmpty)
    }
}
