import CarnetCore
import CarnetTestKit
import Testing

private let ledger = LedgerID(bytes: Array(repeating: 9, count: 16))!

/// A format-1 history: nodes with random ids and no key, one of them forked.
private func formatOneHistory(seed: UInt64, nodes: Int, events: Int) -> (history: History, all: [Event]) {
    var generator = SplitMix64(seed: seed)
    var all: [Event] = []
    for index in 0..<nodes {
        var replica = Replica(node: NodeID(using: &generator))
        for seq in 0..<events {
            let entry = Entry(id: "e\(index)-\(seq)", kind: "harvest", fields: [Field("qty", .int(Int64(seq)))])
            all.append(replica.write(.append(entry), wallMillis: UInt64(10 + seq)))
        }
        if index == 0 {
            // A restored copy of node 0 wrote on from seq 3: a fork of two branches.
            var copy = Replica(node: replica.node)
            copy.admit(contentsOf: Array(all.prefix(2)))
            for seq in 0..<4 {
                all.append(copy.write(.append(Entry(id: "fork-\(seq)", kind: "harvest", fields: [])), wallMillis: UInt64(500 + seq)))
            }
        }
    }
    var history = History()
    for event in all { _ = history.insert(event) }
    return (history, all)
}

/// SPEC 9.7: the ledger's creator vouches, with adoption heads, for chains that have no key.
struct FormatOneAdoptionTests {
    private static func creator(seed: UInt64) -> DeviceSigner {
        var generator = SplitMix64(seed: seed)
        return DeviceSigner.generate(using: &generator)
    }

    @Test func everyAdoptedBatchIsAcceptedInOrderAndNothingElseIs() throws {
        let (history, all) = formatOneHistory(seed: 1, nodes: 3, events: 2_500)
        let creator = Self.creator(seed: 2)
        let batches = FormatOneAdoption.batches(of: history, nodes: history.nodeIDs, by: creator, ledger: ledger, groupEvents: 3_000)
        #expect(batches.flatMap(\.events).count == all.count)
        #expect(Set(batches.flatMap(\.events).map(\.id)) == Set(all.map(\.id)))
        var receiver = Replica(node: NodeID(high: 1, low: 1), ledger: ledger)
        for batch in batches {
            // Without the creator's key, nothing verifies: the nodes have no key of their own.
            #expect(SignedChains.rejection(of: batch.events, heads: batch.heads, ledger: ledger, held: receiver.heldChains)
                    != nil)
            #expect(SignedChains.rejection(of: batch.events, heads: batch.heads, ledger: ledger,
                                           held: receiver.heldChains(adopter: creator.nodeKey.publicKey)) == nil)
            receiver.admit(batch)
        }
        #expect(receiver.history.count == history.count)
        // A head at the end of each 1,024-seq bucket, and at each branch tip: a sender can
        // cut the adopted chains into batches of the usual size.
        let node = history.nodeIDs[0]
        let kept = receiver.signedHeads.heads(of: node).map(\.seq)
        #expect(kept.contains(1_023) && kept.contains(2_047), "kept: \(kept)")
        for tip in history.heads(of: node) { #expect(receiver.signedHeads.head(at: tip) == receiver.signedHeads.heads(of: node).first { $0.eventID == tip }) }
        // The lookup by seq finds every kept head, one of two at the same seq of a fork, and
        // nothing where no head was kept.
        for kept in receiver.signedHeads.heads(of: node) { #expect(receiver.signedHeads.head(at: kept.eventID) == kept) }
        let unkept = history.events(of: node, at: 1_500)[0].id
        #expect(receiver.signedHeads.head(at: unkept) == nil)
        #expect(receiver.signedHeads.head(at: EventID(dot: Dot(node: node, seq: 1_023), hash: .zero)) == nil)
    }

    @Test func anotherKeyOrAnotherLedgerAdoptsNothing() {
        let (history, _) = formatOneHistory(seed: 3, nodes: 1, events: 10)
        let creator = Self.creator(seed: 4)
        let impostor = Self.creator(seed: 5)
        let batch = FormatOneAdoption.batches(of: history, nodes: history.nodeIDs, by: impostor, ledger: ledger)[0]
        let node = history.nodeIDs[0]
        #expect(SignedChains.rejection(of: batch.events, heads: batch.heads, ledger: ledger,
                                       held: Replica(node: NodeID(high: 1, low: 1)).heldChains(adopter: creator.nodeKey.publicKey))
                == .unknownKey(node))
        let otherLedger = LedgerID(bytes: Array(repeating: 1, count: 16))!
        let elsewhere = FormatOneAdoption.batches(of: history, nodes: history.nodeIDs, by: creator, ledger: otherLedger)[0]
        #expect(SignedChains.rejection(of: elsewhere.events, heads: elsewhere.heads, ledger: ledger,
                                       held: Replica(node: NodeID(high: 1, low: 1)).heldChains(adopter: creator.nodeKey.publicKey))
                == .unknownKey(node))
    }

    /// An adoption head is no signature of the node's own, nor the reverse: the domains differ.
    @Test func aHeadSignedForItselfIsNoAdoptionAndTheReverse() {
        let creator = Self.creator(seed: 6)
        var replica = Replica(node: creator.node)
        let declaration = replica.assign(NodeKey.declarationKey(for: creator.node), .text(creator.nodeKey.declarationText),
                                         wallMillis: 1)
        let own = creator.signHead(seq: 1, hash: declaration.hash, ledger: ledger)
        let adoption = creator.signAdoption(of: declaration.id, ledger: ledger)
        #expect(own.isValid(for: creator.nodeKey, ledger: ledger))
        #expect(!own.isValidAdoption(by: creator.nodeKey.publicKey, ledger: ledger))
        #expect(adoption.isValidAdoption(by: creator.nodeKey.publicKey, ledger: ledger))
        #expect(!adoption.isValid(for: creator.nodeKey, ledger: ledger))
    }

    @Test func anAlteredAdoptedEventIsRefused() throws {
        let (history, _) = formatOneHistory(seed: 7, nodes: 1, events: 6)
        let creator = Self.creator(seed: 8)
        var batch = FormatOneAdoption.batches(of: history, nodes: history.nodeIDs, by: creator, ledger: ledger)[0]
        // Replace event 3 by another event at the same dot: its hash changes, so the chain
        // below the head no longer reaches it.
        var forger = Replica(node: batch.events[2].dot.node)
        forger.admit(contentsOf: Array(batch.events.prefix(2)))
        let forged = forger.write(.append(Entry(id: "forged", kind: "payment", fields: [])), wallMillis: 9)
        batch = SignedEvents(events: batch.events.enumerated().map { $0.offset == 2 ? forged : $0.element }, heads: batch.heads)
        let result = SignedChains.rejection(of: batch.events, heads: batch.heads, ledger: ledger,
                                            held: Replica(node: NodeID(high: 1, low: 1)).heldChains(adopter: creator.nodeKey.publicKey))
        #expect(result == .unknownKey(forged.dot.node))
    }

    @Test func theCreatorLineChecksItself() {
        let creator = Self.creator(seed: 10)
        let salt = Array(repeating: UInt8(3), count: 16)
        let id = LedgerID.derived(creator: creator.nodeKey.publicKey, salt: salt)
        let known = LedgerCreator(publicKey: creator.nodeKey.publicKey, salt: salt, ledger: id)
        #expect(known != nil)
        #expect(LedgerCreator(text: known!.text, ledger: id) == known)
        #expect(LedgerCreator(text: known!.text, ledger: ledger) == nil)
        #expect(LedgerCreator(text: String(known!.text.dropLast(2)), ledger: id) == nil)
    }
}
