import CarnetCore
import CarnetTestKit
import CarnetWire
import Testing

private let ledger = LedgerID(bytes: Array(repeating: 7, count: 16))!
private let secret = [UInt8](repeating: 0x5A, count: 32)
private let salt = (0..<32).map { UInt8($0) }

private func signedChain(seed: UInt64, count: Int, note: String = "note") -> (DeviceSigner, [Event]) {
    var generator = SplitMix64(seed: seed)
    let signer = DeviceSigner.generate(using: &generator)
    var replica = Replica(node: signer.node)
    var events = [replica.assign(NodeKey.declarationKey(for: signer.node), .text(signer.nodeKey.declarationText), wallMillis: 5)]
    for i in 0..<count {
        events.append(replica.write(.append(Entry(id: "e\(i)", kind: "sale", fields: [Field("note", .text("\(note) \(i)"))])),
                                    wallMillis: UInt64(10 + i)))
    }
    return (signer, events)
}

private func bundle(_ events: [Event], heads: [SignedHead] = []) -> BundleFormat {
    BundleFormat(ledger: "coop", creator: NodeID.derived(from: "maker"), creatorLabel: "maker", createdMillis: 42,
                 recipient: nil, events: events, heads: heads)
}

/// Bundle format 2 (protocol/SPEC.md §6.4): sealed, chunked with STREAM, cut at signed points.
struct BundleSealTests {
    @Test func aSealedBundleOpensWithItsSecretOnly() throws {
        let (_, events) = signedChain(seed: 1, count: 20)
        let original = bundle(events)
        let file = BundleSeal.seal(original, ledgerID: ledger, secret: secret, salt: salt)
        #expect(Array(file[0..<10]) == Array("CARNETBN".utf8) + [0, 2])
        #expect(BundleSeal.ledgerID(of: file) == ledger)
        #expect(try BundleFormat.decode(file, secret: secret) == original)
        #expect(throws: BundleFormat.Problem.unsealed) { try BundleFormat.decode(file, secret: [UInt8](repeating: 1, count: 32)) }
        #expect(throws: BundleFormat.Problem.unsealed) { try BundleFormat.decode(file) }
        // A format-1 ledger seals under the zero id.
        let unsigned = BundleSeal.seal(original, ledgerID: nil, secret: secret, salt: salt)
        #expect(BundleSeal.ledgerID(of: unsigned) == BundleSeal.noLedgerID)
    }

    @Test func nothingOfTheContentIsInClear() throws {
        let (_, events) = signedChain(seed: 2, count: 5, note: "Zebulon-7731")
        let file = BundleSeal.seal(bundle(events), ledgerID: ledger, secret: secret, salt: salt)
        for word in ["Zebulon-7731", "coop", "maker", "sale"] {
            let needle = Array(word.utf8)
            #expect(!(0...(file.count - needle.count)).contains { Array(file[$0..<($0 + needle.count)]) == needle }, "\(word)")
        }
    }

    /// A bundle of several chunks (over 64 KiB of plaintext): any altered byte, a chunk
    /// dropped, swapped, duplicated or the file cut at a chunk boundary, and nothing opens.
    @Test func everyAlterationIsRefused() throws {
        let (_, events) = signedChain(seed: 3, count: 40_000)
        let file = BundleSeal.seal(bundle(events), ledgerID: ledger, secret: secret, salt: salt)
        let chunk = BundleSeal.segmentSize + 16
        let clear = BundleSeal.clearSize
        #expect(file.count > clear + 2 * chunk, "the test needs three chunks or more: \(file.count)")
        var positions = Array(0..<clear)
        var generator = SplitMix64(seed: 33)
        for _ in 0..<64 { positions.append(Int.random(in: clear..<file.count, using: &generator)) }
        positions += [clear, clear + chunk - 1, clear + chunk, file.count - 1]
        for position in positions {
            var altered = file
            altered[position] ^= 0x01
            if (8..<10).contains(position) {
                #expect(throws: BundleFormat.Problem.self) { try BundleFormat.decode(altered, secret: secret) }
            } else if position < 8 {
                #expect(throws: BundleFormat.Problem.notABundle) { try BundleFormat.decode(altered, secret: secret) }
            } else {
                #expect(throws: BundleFormat.Problem.unsealed, "byte \(position)") { try BundleFormat.decode(altered, secret: secret) }
            }
        }
        let chunks = stride(from: clear, to: file.count, by: chunk).map { Array(file[$0..<min($0 + chunk, file.count)]) }
        let head = Array(file[..<clear])
        let cut = head + chunks.dropLast().joined()
        let dropped = head + chunks[0] + chunks[2...].joined()
        let swapped = head + chunks[1] + chunks[0] + chunks[2...].joined()
        let doubled = head + chunks[0] + chunks[0] + chunks[1...].joined()
        for (name, bytes) in [("cut", cut), ("dropped", dropped), ("swapped", swapped), ("doubled", doubled)] {
            #expect(throws: BundleFormat.Problem.unsealed, "\(name)") { try BundleFormat.decode(bytes, secret: secret) }
        }
    }

    @Test func signedBundlesCarryHeadsAndEveryChunkVerifiesOnItsOwn() throws {
        let (alice, aliceEvents) = signedChain(seed: 4, count: 25_000)
        let (bob, bobEvents) = signedChain(seed: 5, count: 30)
        let signers = [alice.node: alice, bob.node: bob]
        // Bob's events are signed at seq 10 and 31 only (as a node holds another's kept
        // heads); Alice's anywhere (a node signs its own on demand).
        let plan = BundlePlan.signedOrder(bobEvents + aliceEvents) { id in
            if id.dot.node == bob.node, ![10, 31].contains(id.dot.seq) { return nil }
            return signers[id.dot.node]!.signHead(seq: id.dot.seq, hash: id.hash, ledger: ledger)
        }
        #expect(plan.uncovered.isEmpty)
        #expect(Set(plan.events.map(\.id)) == Set((aliceEvents + bobEvents).map(\.id)))
        let file = BundleSeal.seal(bundle(plan.events, heads: plan.heads), ledgerID: ledger, secret: secret, salt: salt)
        let opened = try BundleFormat.decode(file, secret: secret)
        #expect(opened.events.map(\.id) == plan.events.map(\.id))
        #expect(Set(opened.heads) == Set(plan.heads))
        #expect(SignedChains.rejection(of: opened.events, heads: opened.heads, ledger: ledger) == nil)
        let chunks = BundlePlan.chunks(plan.events, heads: plan.heads)
        #expect(chunks.count >= 3)
        for chunk in chunks {
            #expect(chunk.events.count <= BundleFormat.chunkEvents)
            #expect(chunk.heads.contains { $0.eventID == chunk.events.last!.id })
        }
    }

    @Test func eventsPastTheLastSignatureAreLeftOut() {
        let (bob, bobEvents) = signedChain(seed: 6, count: 30)
        let plan = BundlePlan.signedOrder(bobEvents) { id in
            id.dot.seq == 10 ? bob.signHead(seq: 10, hash: id.hash, ledger: ledger) : nil
        }
        #expect(plan.events.count == 10)
        #expect(plan.uncovered.count == 21)
        #expect(plan.heads.count == 1)
    }
}
