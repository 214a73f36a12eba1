import CarnetCore
import CarnetTestKit
import Testing

private let ledger = LedgerID(bytes: Array(repeating: 7, count: 16))!
private let otherLedger = LedgerID(bytes: Array(repeating: 8, count: 16))!

/// A device that writes a signed chain: its first event declares its key.
private struct SignedWriter {
    var signer: DeviceSigner
    var replica: Replica
    var events: [Event] = []

    init(seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        signer = DeviceSigner.generate(using: &generator)
        replica = Replica(node: signer.node)
        events.append(replica.assign(NodeKey.declarationKey(for: signer.node), .text(signer.nodeKey.declarationText), wallMillis: 1))
    }

    mutating func write(_ count: Int) {
        for i in 0..<count {
            let entry = Entry(id: "\(signer.node.short)-\(events.count)", kind: "harvest", fields: [Field("qty", .int(Int64(i)))])
            events.append(replica.write(.append(entry), wallMillis: UInt64(10 + events.count)))
        }
    }

    func head(at seq: Int, ledger: LedgerID = ledger) -> SignedHead {
        let event = events[seq - 1]
        return signer.signHead(seq: event.dot.seq, hash: event.hash, ledger: ledger)
    }
}

private func held(_ events: [Event]) -> SignedChains.Held {
    var previous: [EventID: SHA256Digest] = [:]
    var keys: [NodeID: NodeKey] = [:]
    for event in events {
        previous[event.id] = event.previous
        if let key = NodeKey.declared(by: event) { keys[event.dot.node] = key }
    }
    return SignedChains.Held(key: { keys[$0] }, previousHash: { previous[$0] })
}

struct NodeKeyTests {
    @Test func theNodeIDIsDerivedFromTheKeyAndTheSalt() {
        var generator = SplitMix64(seed: 1)
        let device = DeviceSigner.generate(using: &generator)
        let again = DeviceSigner(privateKey: device.privateKey, salt: device.nodeKey.salt)
        let reincarnated = device.reincarnated(using: &generator)
        #expect(again.node == device.node)
        #expect(reincarnated.node != device.node)
        #expect(reincarnated.nodeKey.publicKey == device.nodeKey.publicKey)
        #expect(NodeKey(declarationText: device.nodeKey.declarationText) == device.nodeKey)
    }

    @Test func onlyTheAuthorsFirstEventDeclaresItsKey() {
        var writer = SignedWriter(seed: 2)
        writer.write(1)
        #expect(NodeKey.declared(by: writer.events[0]) == writer.signer.nodeKey)
        #expect(NodeKey.declared(by: writer.events[1]) == nil)

        // Another node writing a declaration in the victim's name declares nothing.
        var forger = Replica(node: NodeID.derived(from: "forger"))
        let planted = forger.assign(NodeKey.declarationKey(for: writer.signer.node), .text(writer.signer.nodeKey.declarationText), wallMillis: 1)
        #expect(NodeKey.declared(by: planted) == nil)

        // A node whose first event states a key that does not derive its id declares nothing.
        var generator = SplitMix64(seed: 3)
        let stranger = DeviceSigner.generate(using: &generator)
        var liar = Replica(node: stranger.node)
        let lie = liar.assign(NodeKey.declarationKey(for: stranger.node), .text(writer.signer.nodeKey.declarationText), wallMillis: 1)
        #expect(NodeKey.declared(by: lie) == nil)
    }

    @Test func malformedDeclarationsAreRefused() {
        #expect(NodeKey(declarationText: "") == nil)
        #expect(NodeKey(declarationText: String(repeating: "zz", count: 48)) == nil)
        // y = p (not below p) is not a valid public key encoding.
        let nonCanonical = "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f" + String(repeating: "00", count: 16)
        #expect(NodeKey(declarationText: nonCanonical) == nil)
    }
}

struct SignedChainsTests {
    @Test func aChainEndingInItsAuthorsSignatureIsAccepted() {
        var writer = SignedWriter(seed: 10)
        writer.write(9)
        let result = SignedChains.rejection(of: writer.events, heads: [writer.head(at: 10)], ledger: ledger)
        #expect(result == nil)
    }

    @Test func eventsPastTheLastSignedHeadAreRefused() {
        var writer = SignedWriter(seed: 11)
        writer.write(9)
        let result = SignedChains.rejection(of: writer.events, heads: [writer.head(at: 7)], ledger: ledger)
        #expect(result == .unsigned(writer.events[7].dot))
        #expect(SignedChains.rejection(of: writer.events, heads: [], ledger: ledger) == .unsigned(writer.events[0].dot))
    }

    @Test func aWriterCannotSignUnderAnotherNodesID() {
        var victim = SignedWriter(seed: 12)
        victim.write(3)
        var forger = SignedWriter(seed: 13)
        // The forger writes seq 5 onto the victim's chain (it holds the victim's events, as
        // a copied directory with a rewritten `node` file would) and signs with its own key.
        var copy = Replica(node: victim.signer.node)
        for event in victim.events { _ = copy.admit(event) }
        let forged = copy.write(.append(Entry(id: "pay-1", kind: "payment", fields: [Field("amount", .int(100))])), wallMillis: 99)
        let forgedHead = SignedHead(node: victim.signer.node, seq: forged.dot.seq, hash: forged.hash,
                                    signature: forger.signer.privateKey.sign(SignedHead(node: victim.signer.node, seq: forged.dot.seq, hash: forged.hash, signature: []).signedMessage(ledger: ledger)))
        let result = SignedChains.rejection(of: [forged], heads: [forgedHead], ledger: ledger, held: held(victim.events))
        #expect(result == .badSignature(forged.dot))
        // Without a head it is simply unsigned.
        #expect(SignedChains.rejection(of: [forged], heads: [], ledger: ledger, held: held(victim.events)) == .unsigned(forged.dot))
        forger.write(1)
    }

    @Test func aSignatureOfAnotherLedgerIsWorthlessHere() {
        var writer = SignedWriter(seed: 14)
        writer.write(2)
        let result = SignedChains.rejection(of: writer.events, heads: [writer.head(at: 3, ledger: otherLedger)], ledger: ledger)
        #expect(result == .badSignature(writer.events[2].dot))
    }

    @Test func anAlteredEventFallsOffTheSignedChain() {
        var writer = SignedWriter(seed: 15)
        writer.write(4)
        var events = writer.events
        let original = events[2]
        events[2] = Event(dot: original.dot, clock: original.clock, previous: original.previous,
                          operation: .append(Entry(id: "altered", kind: "harvest", fields: [])))
        // The chain from the head breaks at the altered event: it and everything below it
        // are vouched for by nothing.
        let result = SignedChains.rejection(of: events, heads: [writer.head(at: 5)], ledger: ledger)
        #expect(result == .unsigned(events[0].dot))
        let fromTheAltered = SignedChains.rejection(of: Array(events[2...]), heads: [writer.head(at: 5)], ledger: ledger,
                                                    held: held(Array(writer.events[0..<2])))
        #expect(fromTheAltered == .unsigned(events[2].dot))
    }

    @Test func anUnknownNodeIsRefusedByName() {
        var writer = SignedWriter(seed: 16)
        writer.write(4)
        let tail = Array(writer.events[2...])
        #expect(SignedChains.rejection(of: tail, heads: [writer.head(at: 5)], ledger: ledger)
                == .unknownKey(writer.signer.node))
    }

    @Test func theWalkContinuesThroughEventsTheReceiverHolds() {
        var writer = SignedWriter(seed: 17)
        writer.write(9)
        // The receiver holds 1–6; the batch repeats 2–3 (say, a retransmission) and adds 7–10.
        let batch = Array(writer.events[1...2]) + Array(writer.events[6...])
        let result = SignedChains.rejection(of: batch, heads: [writer.head(at: 10)], ledger: ledger,
                                               held: held(Array(writer.events[0..<6])))
        #expect(result == nil)
    }

    /// However a signed history is cut into batches and in whatever order the batches
    /// arrive, each batch that carries the heads at its ranges' ends is accepted once the
    /// receiver holds what comes before; a flipped bit in any signature is refused.
    @Test(arguments: 0..<40) func anyCutOfASignedHistoryAuthenticates(round: Int) {
        let seed = testSeed(default: 0x51C4ED) &+ UInt64(round)
        var random = SplitMix64(seed: seed)
        var writers = (0..<3).map { SignedWriter(seed: seed &* 31 &+ UInt64($0)) }
        for index in writers.indices { writers[index].write(Int(random.next() % 30)) }

        var accepted: [Event] = []
        var progress = Array(repeating: 0, count: writers.count)
        while progress.enumerated().contains(where: { $0.element < writers[$0.offset].events.count }) {
            var events: [Event] = []
            var heads: [SignedHead] = []
            for index in writers.indices.shuffled(using: &random) where progress[index] < writers[index].events.count {
                let remaining = writers[index].events.count - progress[index]
                let take = 1 + Int(random.next() % UInt64(remaining))
                events += writers[index].events[progress[index]..<(progress[index] + take)]
                progress[index] += take
                heads.append(writers[index].head(at: progress[index]))
            }
            events.shuffle(using: &random)
            if let victim = heads.indices.randomElement(using: &random), random.next() % 4 == 0 {
                var signature = heads[victim].signature
                signature[Int(random.next() % 64)] ^= 1 << UInt8(random.next() % 8)
                let tampered = SignedHead(node: heads[victim].node, seq: heads[victim].seq, hash: heads[victim].hash, signature: signature)
                var bad = heads
                bad[victim] = tampered
                let verdict = SignedChains.rejection(of: events, heads: bad, ledger: ledger, held: held(accepted))
                #expect(verdict == .badSignature(tampered.dot), "seed \(seed)")
            }
            let verdict = SignedChains.rejection(of: events, heads: heads, ledger: ledger, held: held(accepted))
            #expect(verdict == nil, "seed \(seed)")
            accepted += events
        }
    }
}
