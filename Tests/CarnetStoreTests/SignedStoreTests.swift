import CarnetCore
import CarnetStore
import CarnetSystem
import CarnetTestKit
import Foundation
import Testing

private let ledger = LedgerID(bytes: Array(repeating: 0x42, count: 16))!

private func entry(_ id: String) -> CarnetCore.Operation {
    .append(Entry(id: id, kind: "harvest", fields: [Field("qty", .int(1))]))
}

private func device(_ seed: UInt64) -> DeviceSigner {
    var generator = SplitMix64(seed: seed)
    return DeviceSigner.generate(using: &generator)
}

private func makeSignedNode(_ directory: TemporaryDirectory, seed: UInt64, label: String = "farm") throws -> DeviceSigner {
    let signer = device(seed)
    try NodeStore.create(directory: directory.path, ledger: "coop", label: label, node: signer.node,
                         signed: (ledger, signer), wallMillis: 1)
    return signer
}

private func open(_ directory: TemporaryDirectory, fresh: String = "fresh") throws -> NodeStore {
    try NodeStore(directory: directory.path, wallMillis: 5, freshNodeID: { NodeID.derived(from: fresh) })
}

/// Whether every event the store holds lies below a head it keeps: what a peer receiving
/// all of it would check.
private func everythingIsVouchedFor(_ replica: Replica) -> Bool {
    SignedChains.rejection(of: replica.allEvents, heads: replica.signedHeads.all, ledger: ledger) == nil
}

struct SignedStoreTests {
    @Test func aSignedNodeDeclaresItsKeyAndSignsEveryCommit() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let signer = try makeSignedNode(directory, seed: 1)
        do {
            var store = try open(directory)
            #expect(store.identity.node == signer.node)
            #expect(store.identity.ledgerID == ledger)
            #expect(NodeKey.declared(by: store.replica.allEvents[0]) == signer.nodeKey)
            try store.write(entry("a"), wallMillis: 10)
            try store.writeBatch([entry("b"), entry("c")], wallMillis: 11)
            #expect(store.replica.signedHeads.heads(of: signer.node).last?.seq == 4)
            #expect(everythingIsVouchedFor(store.replica))
        }
        // The heads come back from the log on reopening, and through a checkpoint.
        do {
            var store = try open(directory)
            #expect(store.replica.eventCount == 4)
            #expect(everythingIsVouchedFor(store.replica))
            #expect(try store.saveCheckpoint())
        }
        let store = try open(directory)
        #expect(store.opening.checkpointEvents == 4)
        #expect(everythingIsVouchedFor(store.replica))
        #expect(store.replica.signedHeads.heads(of: signer.node).last?.seq == 4)
    }

    @Test func theDeviceKeyIsPrivateAndChecked() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        _ = try makeSignedNode(directory, seed: 2)
        let keyPath = directory.path + "/" + DeviceKeyFile.fileName
        let mode = try FileManager.default.attributesOfItem(atPath: keyPath)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        chmod(keyPath, 0o644)
        #expect {
            _ = try open(directory)
        } throws: { error in
            "\(error)".contains("chmod 600 \(keyPath)")
        }
        chmod(keyPath, 0o600)
        // A key that does not derive the node id is refused: the files do not belong together.
        try Data(DeviceKeyFile.text(of: device(99).privateKey).utf8).write(to: URL(fileURLWithPath: keyPath))
        #expect {
            _ = try open(directory)
        } throws: { error in
            "\(error)".contains("do not belong together")
        }
    }

    @Test func eventsTheirAuthorDidNotSignAreNeverStored() throws {
        let hub = try TemporaryDirectory(), farm = try TemporaryDirectory()
        defer { hub.cleanUp(); farm.cleanUp() }
        _ = try makeSignedNode(hub, seed: 3, label: "hub")
        let farmSigner = try makeSignedNode(farm, seed: 4)
        var farmStore = try open(farm)
        try farmStore.write(entry("sale-1"), wallMillis: 20)
        let farmEvents = farmStore.replica.history.events(of: farmSigner.node)
        let farmHeads = farmStore.replica.signedHeads.heads(of: farmSigner.node)

        var hubStore = try open(hub)
        let before = try Data(contentsOf: URL(fileURLWithPath: hub.logPath))
        #expect(throws: StoreError.unsigned(.unsigned(farmEvents[0].dot))) {
            try hubStore.persist(SignedEvents(events: farmEvents))
        }
        // A forged write in the farm's name: the farm's events plus one more, signed by the hub.
        var forger = Replica(node: farmSigner.node)
        for event in farmEvents { forger.admit(event) }
        let forged = forger.write(entry("payment-forged"), wallMillis: 30)
        let hubDevice = device(3)
        let forgedHead = SignedHead(node: farmSigner.node, seq: forged.dot.seq, hash: forged.hash,
                                    signature: hubDevice.privateKey.sign(SignedHead(node: farmSigner.node, seq: forged.dot.seq, hash: forged.hash, signature: []).signedMessage(ledger: ledger)))
        #expect(throws: StoreError.unsigned(.badSignature(forged.dot))) {
            try hubStore.persist(SignedEvents(events: farmEvents + [forged], heads: farmHeads + [forgedHead]))
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: hub.logPath)) == before)

        // The farm's own, signed, go in; and the hub can vouch for them afterwards.
        let counts = try hubStore.persist(SignedEvents(events: farmEvents, heads: farmHeads))
        #expect(counts.accepted == farmEvents.count)
        #expect(everythingIsVouchedFor(hubStore.replica))
        let reopened = try open(hub)
        #expect(everythingIsVouchedFor(reopened.replica))
        #expect(reopened.replica.history.contains(farmEvents.last!.id))
    }

    @Test func aCopiedSignedNodeContinuesUnderTheSameKeyWithAFreshSalt() throws {
        let original = try TemporaryDirectory()
        defer { original.cleanUp() }
        let signer = try makeSignedNode(original, seed: 5)
        do {
            var store = try open(original)
            try store.write(entry("a"), wallMillis: 10)
        }
        let copy = original.path + "-copy"
        defer { try? FileManager.default.removeItem(atPath: copy) }
        try FileManager.default.copyItem(atPath: original.path, toPath: copy)
        let store = try NodeStore(directory: copy, wallMillis: 50, freshNodeID: { NodeID.derived(from: "salt") })
        #expect(store.opening.continuedFrom == signer.node)
        let continued = DeviceSigner(privateKey: signer.privateKey, salt: NodeID.derived(from: "salt").bytes)
        #expect(store.identity.node == continued.node)
        let own = store.replica.history.events(of: continued.node)
        #expect(NodeKey.declared(by: own[0]) == continued.nodeKey)
        #expect(SignedChains.rejection(of: store.replica.allEvents, heads: store.replica.signedHeads.all, ledger: ledger) == nil)
        #expect(store.replica.predecessors(of: continued.node) == [signer.node])
    }

    @Test func aFormatOneNodeIsUnchanged() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        try NodeStore.create(directory: directory.path, ledger: "coop", label: "old", node: NodeID.derived(from: "old"))
        var store = try open(directory)
        try store.write(entry("a"), wallMillis: 10)
        #expect(store.replica.signedHeads.count == 0)
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/" + DeviceKeyFile.fileName))
        let bytes = try directory.logBytes()
        // The record's batch is of version 1: 16-byte header, 8-byte record header, "CB" 01.
        #expect(Array(bytes[24..<27]) == [0x43, 0x42, 0x01])
        // And unsigned events are taken in as before.
        #expect(try store.persist(RandomHistory(seed: 7, nodes: 2, steps: 10).events).accepted > 0)
    }
}
