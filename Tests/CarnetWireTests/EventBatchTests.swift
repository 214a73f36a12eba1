import CarnetCore
import CarnetLedger
import CarnetTestKit
import CarnetWire
import Testing

struct EventBatchTests {
    @Test func randomHistoriesRoundTripInAnyGrouping() throws {
        let seed = testSeed(default: 7)
        var rng = SplitMix64(seed: seed)
        for offset in 0..<300 as Range<UInt64> {
            let history = RandomHistory(seed: seed &+ offset, nodes: 3, steps: 40)
            let events = history.events
            let decoded = try EventBatch.decode(EventBatch.encode(events))
            #expect(decoded.map(\.id) == events.map(\.id), "seed \(seed &+ offset)")
            // Cut into random batches, shuffle the batches: the receiver ends in the same state.
            var reference = Replica(node: NodeID.derived(from: "r"))
            reference.admit(contentsOf: events)
            var batched = Replica(node: NodeID.derived(from: "r"))
            var batches: [[UInt8]] = []
            var index = 0
            while index < events.count {
                let size = Int.random(in: 1...10, using: &rng)
                batches.append(EventBatch.encode(events[index..<min(events.count, index + size)]))
                index += size
            }
            for batch in batches.shuffled(using: &rng) {
                batched.admit(contentsOf: try EventBatch.decode(batch))
            }
            #expect(batched.digest == reference.digest, "seed \(seed &+ offset)")
        }
    }

    @Test func everyValueTypeAndAssignmentRoundTrips() throws {
        var replica = Replica(node: NodeID.derived(from: "w"))
        let first = replica.assign(FieldKey("product", "P0001", "name"), .text("Œufs bio n°2"), wallMillis: 1_780_000_000_000)
        replica.assign(FieldKey("product", "P0001", "active"), .bool(false), wallMillis: 1_780_000_000_000)
        replica.assign(FieldKey("product", "P0001", "name"), .text("Œufs"), wallMillis: 1_779_000_000_000)
        replica.write(.append(Entry(id: "F01-000001", kind: "adjust", fields: [
            Field("qty", .int(-42)), Field("when", .day(-3)), Field("big", .int(.min)), Field("max", .int(.max)),
            Field("flag", .bool(true)), Field("empty", .text("")),
            Field("n", .text("000")), Field("huge", .text("x999999999999999999")),
        ])), wallMillis: 0)
        let events = replica.allEvents
        let decoded = try EventBatch.decode(EventBatch.encode(events))
        #expect(decoded.map(\.id) == events.map(\.id))
        #expect(decoded.map(\.operation) == events.map(\.operation))
        #expect(decoded.first?.hash == first.hash)
    }

    @Test func canonicallyEquivalentSpellingsKeepTheirBytes() throws {
        var replica = Replica(node: NodeID.derived(from: "w"))
        for (index, text) in ["Caf\u{E9}", "Cafe\u{301}", "Caf\u{E9}"].enumerated() {
            replica.write(.append(Entry(id: "e\(index)", kind: "harvest", fields: [Field("note", .text(text))])), wallMillis: 1)
        }
        replica.write(.append(Entry(id: "e3", kind: "harvest", fields: [Field("not\u{E9}", .int(1))])), wallMillis: 1)
        replica.write(.append(Entry(id: "e4", kind: "harvest", fields: [Field("note\u{301}", .int(1))])), wallMillis: 1)
        let events = replica.allEvents
        #expect(try EventBatch.decode(EventBatch.encode(events)).map(\.id) == events.map(\.id))
    }

    @Test func oneNodesConsecutiveEntriesAreCompact() {
        var replica = Replica(node: NodeID.derived(from: "farm"))
        var wall: UInt64 = 1_780_000_000_000
        for n in 1...500 {
            wall += 90_000
            let entry = LedgerEntry(
                id: "F18-\(String(repeating: "0", count: 6 - String(n).count))\(n)", kind: .sale, producer: "F18",
                date: CalendarDay(epochMillis: wall), product: "P00\(10 + n % 20)", quantity: Int64(1000 + n * 7),
                unit: .grams, lot: "L18-000\(10 + n % 50)", party: ["cantine-jaures", "epicerie-07"][n % 2],
                amount: Int64(400 + n * 3)
            )
            replica.write(.append(entry.coreEntry), wallMillis: wall)
        }
        let bytes = EventBatch.encode(replica.allEvents)
        let perEntry = Double(bytes.count) / 500
        #expect(perEntry <= 20, "\(perEntry) bytes per entry")
    }

    @Test func rejectsWrongMagicAndVersion() {
        #expect(throws: WireError.badMagic) { try EventBatch.decode([0x00, 0x42, 1, 0]) }
        #expect(throws: WireError.unsupportedVersion(9)) { try EventBatch.decode([0x43, 0x42, 9, 0]) }
        #expect(throws: WireError.truncated(at: 2)) { try EventBatch.decode([0x43, 0x42]) }
        #expect((try? EventBatch.decode([0x43, 0x42, 1, 0])) == [])
    }

    @Test func hugeCountsAreRefusedBeforeAllocating() {
        // run count 2^40
        #expect(throws: WireError.self) { try EventBatch.decode([0x43, 0x42, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20]) }
        // an 11-byte varint
        #expect(throws: WireError.self) { try EventBatch.decode([0x43, 0x42, 1] + [UInt8](repeating: 0xff, count: 11)) }
    }

    @Test func arbitraryBytesNeverCrashTheDecoder() {
        let seed = testSeed(default: 1234)
        var rng = SplitMix64(seed: seed)
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...64, using: &rng)
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if Bool.random(using: &rng) { bytes = [0x43, 0x42, 1] + bytes }
            _ = try? EventBatch.decode(bytes)
        }
    }

    @Test func mutatedValidBatchesNeverCrashTheDecoder() {
        let seed = testSeed(default: 4321)
        var rng = SplitMix64(seed: seed)
        let history = RandomHistory(seed: seed, nodes: 3, steps: 60)
        let valid = EventBatch.encode(history.events)
        var decodedSomething = 0
        for _ in 0..<3_000 {
            var bytes = valid
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
                case 1: bytes.removeLast(Int.random(in: 0...min(8, bytes.count - 1), using: &rng))
                case 2: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 0...bytes.count, using: &rng))
                default: bytes[Int.random(in: 0..<bytes.count, using: &rng)] = 0xff
                }
            }
            if let events = try? EventBatch.decode(bytes) {
                decodedSomething += 1
                // Whatever decodes is safe to hand to a replica: bad chains are held aside.
                var replica = Replica(node: NodeID.derived(from: "fuzz"))
                replica.admit(contentsOf: events)
            }
        }
        #expect(decodedSomething < 3_000, "seed \(seed): mutations should mostly be caught")
    }
}
