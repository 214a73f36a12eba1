import CarnetCore
import CarnetNode
import CarnetTestKit
import CarnetWire
import Foundation
import Testing

/// Issue 17, item 7: a bundle of 60,000 one-event nodes, applied in half a second, made a
/// hub's summary larger than the 1 MiB frame, so every later sync with that hub failed,
/// for good. A summary too large for one frame now travels in parts (SPEC 8.1): the same
/// bundle applied to a hub served by `carnet serve`, a farm's `carnet sync` with it works
/// and converges, each event crossing once.
@Suite(.serialized)
struct ManyNodesTests {
    typealias Node = SyncProcessTests.ServedNode

    /// A format-1 bundle (SPEC 6.4) of `count` nodes that each wrote one event, in chunks
    /// of 10,000 events as a writer cuts them: what any member of a format-1 ledger can make.
    static func manyNodesBundle(ledger: String, count: Int) -> [UInt8] {
        var events: [Event] = []
        events.reserveCapacity(count)
        for index in 0..<count {
            var one = Replica(node: NodeID.derived(from: "mallory-\(index)"))
            events.append(one.assign(FieldKey("note", "n\(index)", "v"), .int(Int64(index)), wallMillis: 1_780_000_000_000))
        }
        let chunks = stride(from: 0, to: count, by: 10_000).map { events[$0..<min($0 + 10_000, count)] }
        var writer = ByteWriter()
        writer.raw(Array("CARNETBN".utf8) + [0, 1, 0, 0, 0, 0, 0, 0])
        writer.string(ledger)
        writer.nodeID(NodeID.derived(from: "mallory"))
        writer.string("mallory")
        writer.uint64BigEndian(1_780_000_000_000)
        writer.byte(0)
        writer.varint(UInt64(chunks.count))
        for chunk in chunks {
            let batch = EventBatch.encode(chunk)
            writer.varint(UInt64(chunk.count))
            writer.varint(UInt64(batch.count))
            writer.raw(batch)
        }
        return writer.bytes + SHA256.hash(writer.bytes).bytes
    }

    @Test func aHubGivenSixtyThousandNodesStaysReachable() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("carnet-many-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let secret = root + "/ledger.key"
        #expect(try CommandLineTests.carnet(["secret", "new", "--out", secret]).status == 0)
        let hub = try Node(root: root, label: "hub", secretFile: secret)
        let farm = try Node(root: root, label: "farm", secretFile: secret)
        #expect(try farm.carnet(["product", "set", "tomme", "--name", "Tomme", "--unit", "g", "--price", "24"]).status == 0)

        let file = root + "/many.bundle"
        try Data(Self.manyNodesBundle(ledger: "plateau", count: 60_000)).write(to: URL(fileURLWithPath: file))
        let applied = try hub.carnet(["bundle", "apply", file])
        #expect(applied.status == 0, "\(applied.stderr)")
        #expect(applied.stdout.contains("added 60000 new events"), "\(applied.stdout)")

        try hub.start()
        var stopped = false
        defer { if !stopped { _ = hub.stop() } }
        let started = ContinuousClock.now
        let first = try farm.carnet(["sync", "127.0.0.1:\(hub.port)"])
        let firstTook = ContinuousClock.now - started
        if first.status != 0 {
            // The hub's log says why. Under a loaded machine the hub once cut the farm at its
            // 5 s handshake deadline, the farm still taking the summary's parts before its
            // first SEALED frame; a member's message 1 now ends the deadline (SPEC 8.4,
            // HandshakeDeadlineTests).
            stopped = true
            let (status, log) = hub.stop()
            Issue.record("the farm's sync with the hub: \(first.stderr)\nthe hub (exit \(status)) logged:\n\(log)")
            return
        }
        // The hub's 60,000 and its own declaration; the farm's declaration and product.
        #expect(first.stdout.contains("received  60001 events (60001 new here)"), "\(first.stdout)")
        #expect(first.stdout.contains("sent      4 events (4 new to the peer)"), "\(first.stdout)")
        #expect(try farm.digest() == hub.digest(), "the farm took the hub's 60,000 nodes and the hub the farm's product")
        print("ManyNodesTests: the farm's sync with the hub of 60,000 nodes took \(firstTook)")
        stopped = true
        let (status, log) = hub.stop()
        #expect(status == 0, "\(log)")
    }

    /// A sealed bundle of the ledger `file` names, as any member holding the ledger file can
    /// make one: `events` vouched for by `heads`.
    static func sealed(_ file: LedgerFile, events: [Event], heads: [SignedHead]) -> [UInt8] {
        let bundle = BundleFormat(ledger: file.name, creator: NodeID.derived(from: "mallory"), creatorLabel: "mallory",
                                  createdMillis: 1_780_000_000_000, recipient: nil, events: events, heads: heads)
        return BundleSeal.seal(bundle, ledgerID: file.id, secret: file.secret.bytes, salt: Array(repeating: 7, count: 32))
    }

    /// Issue 17, item 7, in a ledger with members (SPEC 9.5, "Bounds"): the same flood, now
    /// of 60,000 nodes that are no enrolled device, and of 300 devices whose every head is
    /// validly signed, is refused whole by `bundle apply` with the reason; the hub stores
    /// nothing of it and a member's sync goes on as before.
    @Test func aLedgerWithMembersRefusesAFloodOfNodes() throws {
        let sandbox = try Sandbox()
        let file = sandbox.path("coop.ledger")
        try sandbox.ok(["ledger", "create", "--ledger", "coop", "--label", "hub", "--out", file], node: "hub")
        try sandbox.ok(["init", "--ledger-file", file, "--label", "farm"], node: "farm")
        let ledger = try #require(LedgerFile.parse(SealedBundleTests.bytes(file)))
        let eventsBefore = try SealedBundleTests.events(sandbox, "hub")

        var unsigned: [Event] = []
        unsigned.reserveCapacity(60_000)
        for index in 0..<60_000 {
            var one = Replica(node: NodeID.derived(from: "mallory-\(index)"))
            unsigned.append(one.assign(FieldKey("note", "n\(index)", "v"), .int(Int64(index)), wallMillis: 1_780_000_000_000))
        }
        var rng = SplitMix64(seed: 17_060)
        var signed: [Event] = []
        var heads: [SignedHead] = []
        for _ in 0..<300 {
            let device = DeviceSigner.generate(using: &rng)
            var replica = Replica(node: device.node, ledger: ledger.id)
            let declaration = replica.assign(NodeKey.declarationKey(for: device.node), .text(device.nodeKey.declarationText),
                                             wallMillis: 1_780_000_000_000)
            signed.append(declaration)
            heads.append(device.signHead(seq: 1, hash: declaration.hash, ledger: ledger.id))
        }
        for (name, bytes) in [("unsigned", Self.sealed(ledger, events: unsigned, heads: [])),
                              ("signed", Self.sealed(ledger, events: signed, heads: heads))] {
            let path = sandbox.path("\(name).bundle")
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let applied = try sandbox.run(["bundle", "apply", path], node: "hub")
            #expect(applied.status != 0 && applied.stderr.contains("devices not enrolled would wait here"),
                    "\(name): \(applied.status) \(applied.stderr)")
            #expect(try SealedBundleTests.events(sandbox, "hub") == eventsBefore, "\(name): nothing of it is stored")
        }
        let hub = try ServeProcess(directory: sandbox.path("hub"))
        defer { hub.stop() }
        let synced = try sandbox.run(["sync", "127.0.0.1:\(try #require(hub.port))"], node: "farm")
        #expect(synced.status == 0, "\(synced.stderr)")
    }
}
