import CarnetCore
import CarnetTestKit
import CarnetWire
import Testing

private let ledger = LedgerID(bytes: Array(repeating: 3, count: 16))!

private func signedChain(seed: UInt64, count: Int) -> (DeviceSigner, [Event]) {
    var generator = SplitMix64(seed: seed)
    let signer = DeviceSigner.generate(using: &generator)
    var replica = Replica(node: signer.node)
    var events = [replica.assign(NodeKey.declarationKey(for: signer.node), .text(signer.nodeKey.declarationText), wallMillis: 5)]
    for i in 0..<count {
        events.append(replica.write(.append(Entry(id: "e\(i)", kind: "sale", fields: [Field("qty", .int(Int64(i)))])), wallMillis: UInt64(10 + i)))
    }
    return (signer, events)
}

struct SignedBatchTests {
    @Test func headsTravelWithTheirEventsAndCutRuns() throws {
        let (alice, aliceEvents) = signedChain(seed: 1, count: 9)
        let (bob, bobEvents) = signedChain(seed: 2, count: 4)
        let heads = [alice.signHead(seq: 4, hash: aliceEvents[3].hash, ledger: ledger),
                     alice.signHead(seq: 10, hash: aliceEvents[9].hash, ledger: ledger),
                     bob.signHead(seq: 5, hash: bobEvents[4].hash, ledger: ledger)]
        let signed = SignedEvents(events: aliceEvents + bobEvents, heads: heads)
        let bytes = EventBatch.encode(signed)
        #expect(bytes[2] == EventBatch.signedVersion)
        let decoded = try EventBatch.decodeSigned(bytes)
        #expect(decoded.events.map(\.id) == signed.events.map(\.id))
        #expect(Set(decoded.heads) == Set(heads))
        #expect(SignedChains.rejection(of: decoded.events, heads: decoded.heads, ledger: ledger) == nil)
        // The plain decoder reads version 2 too, dropping the heads.
        #expect(try EventBatch.decode(bytes).map(\.id) == signed.events.map(\.id))
    }

    @Test func versionOneBatchesAreUnchanged() throws {
        let (_, events) = signedChain(seed: 3, count: 5)
        let plain = EventBatch.encode(events)
        #expect(plain[2] == EventBatch.version)
        let decoded = try EventBatch.decodeSigned(plain)
        #expect(decoded.heads.isEmpty)
        #expect(decoded.events.map(\.id) == events.map(\.id))
        // Version 2 with no heads costs one byte more than version 1.
        #expect(EventBatch.encode(SignedEvents(events: events)).count == plain.count + 1)
    }

    @Test func aPrimedBatchKeepsItsHeads() throws {
        let (alice, events) = signedChain(seed: 4, count: 12)
        let context = Array(events[0..<6])
        let head = alice.signHead(seq: 13, hash: events[12].hash, ledger: ledger)
        let signed = SignedEvents(events: Array(events[6...]), heads: [head])
        let bytes = EventBatch.encode(signed, primedWith: context)
        let decoded = try EventBatch.decodeSigned(bytes, primedWith: context)
        #expect(decoded == signed)
    }

    @Test func malformedHeadSectionsAreRefused() throws {
        let (alice, events) = signedChain(seed: 5, count: 3)
        let head = alice.signHead(seq: 4, hash: events[3].hash, ledger: ledger)
        let good = EventBatch.encode(SignedEvents(events: events, heads: [head]))
        #expect(throws: WireError.self) { try EventBatch.decodeSigned(Array(good.dropLast())) }
        #expect(throws: WireError.self) { try EventBatch.decodeSigned(good + [0]) }
        // The heads section begins 66 bytes from the end: count, run index, signature.
        var beyond = good
        beyond[beyond.count - 65] = 5
        #expect(throws: WireError.self) { try EventBatch.decodeSigned(beyond) }
        var tooMany = good
        tooMany[tooMany.count - 66] = 2
        #expect(throws: WireError.self) { try EventBatch.decodeSigned(tooMany) }
        // A version this code does not know is refused as such.
        var future = good
        future[2] = 3
        #expect(throws: WireError.unsupportedVersion(3)) { try EventBatch.decodeSigned(future) }
    }
}
