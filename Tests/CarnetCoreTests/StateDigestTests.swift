import CarnetCore
import CarnetTestKit
import Testing

private let farm = NodeID.derived(from: "farm")
private let hub = NodeID.derived(from: "hub")
private let name = FieldKey("product", "P1", "name")

private func harvest(_ id: String) -> Operation {
    .append(Entry(id: id, kind: "harvest", fields: [Field("qty", .int(5))]))
}

/// SPEC §5, version 3: the digest names the accepted events by each node's seq and heads.
/// (The bytes are pinned against the Python checker's in `StateDigestVectorTests`.)
struct StateDigestTests {
    /// A farm restored from a backup taken after its seq 1 (a fork at seq 2: two branches
    /// of two events, two heads) and a hub writing meanwhile, one name set on both sides.
    struct ForkedHistory {
        var common: [Event] = []
        var beforeRestore: [Event] = []
        var afterRestore: [Event] = []
        var all: [Event] { common + beforeRestore + afterRestore }

        init() {
            var device = Replica(node: farm)
            var center = Replica(node: hub)
            common.append(device.assign(name, .text("Tomme"), wallMillis: 1))
            common.append(center.assign(name, .text("Tome"), wallMillis: 2))
            common.append(center.write(harvest("s-1"), wallMillis: 3))
            var restored = device
            beforeRestore = [device.write(harvest("h-1"), wallMillis: 4), device.write(harvest("h-2"), wallMillis: 5)]
            afterRestore = [restored.write(harvest("h-1"), wallMillis: 6),
                            restored.assign(name, .text("Tomme de brebis"), wallMillis: 7)]
        }
    }

    /// The bytes §5 lists, written out from the summary and hashed.
    static func specDigest(of replica: Replica) -> SHA256Digest {
        var bytes = Array("carnet-state/3".utf8)
        func varint(_ value: UInt64) {
            var rest = value
            while rest >= 0x80 { bytes.append(UInt8(rest & 0x7F) | 0x80); rest >>= 7 }
            bytes.append(UInt8(rest))
        }
        let summary = replica.summary
        let nodes = summary.versionVector.nodes
        varint(UInt64(nodes.count))
        for node in nodes {
            bytes += node.bytes
            varint(summary.versionVector[node])
            let heads = (summary.heads[node] ?? []).sorted()
            varint(UInt64(heads.count))
            for head in heads { bytes += head.dot.node.bytes; varint(head.dot.seq); bytes += head.hash.bytes }
        }
        return SHA256.hash(bytes)
    }

    /// Equal heads, events admitted in different orders, groupings and with duplicates
    /// (the fork included): equal digests, and the same registers materialized.
    @Test func theSameAcceptedEventsInAnyOrderGiveOneDigest() {
        let seed = testSeed(default: 0xD16E57)
        var rng = SplitMix64(seed: seed)
        let history = ForkedHistory()
        var reference = Replica(node: NodeID.derived(from: "reference"))
        reference.admit(contentsOf: history.all)
        #expect(reference.history.heads(of: farm).count == 2, "the fork: two heads")
        #expect(reference.registers[name]?.values.count == 2, "a name from each side")
        #expect(reference.digest == Self.specDigest(of: reference))
        for round in 0..<50 {
            var other = Replica(node: NodeID.derived(from: "other"))
            let delivered = Delivery.withDuplicates(Delivery.shuffled(history.all, using: &rng), using: &rng)
            for group in Delivery.grouped(delivered, using: &rng) { other.admit(contentsOf: group) }
            #expect(other.history.pendingCount == 0, "seed \(seed) round \(round)")
            #expect(other.summary == reference.summary, "seed \(seed) round \(round)")
            #expect(other.digest == reference.digest, "seed \(seed) round \(round)")
            #expect(other.registers == reference.registers, "seed \(seed) round \(round)")
        }
    }

    /// Each accepted event changes the digest; the two branches of a fork, alone, cover the
    /// same seqs (equal version vectors) and still differ.
    @Test func differentAcceptedEventsGiveDifferentDigests() {
        let history = ForkedHistory()
        var growing = Replica(node: NodeID.derived(from: "growing"))
        var digests = [growing.digest]
        for event in history.all {
            growing.admit(event)
            digests.append(growing.digest)
            #expect(growing.digest == Self.specDigest(of: growing), "after \(event.id)")
        }
        #expect(Set(digests).count == digests.count, "every accepted event changed the digest")

        var first = Replica(node: NodeID.derived(from: "first"))
        first.admit(contentsOf: history.common + history.beforeRestore)
        var second = Replica(node: NodeID.derived(from: "second"))
        second.admit(contentsOf: history.common + history.afterRestore)
        #expect(first.versionVector == second.versionVector && first.eventCount == second.eventCount)
        #expect(first.digest != second.digest)
        #expect(first.digest != growing.digest && second.digest != growing.digest)
    }

    /// A chain of 2,000 events is one node item with one head; delivered backwards (every
    /// event waits until seq 1 arrives, then all are accepted), it gives the same digest.
    @Test func aLongChainIsNamedByItsHead() {
        var long = Replica(node: farm)
        for index in 0..<2_000 { long.write(harvest("h-\(index)"), wallMillis: UInt64(index + 1)) }
        #expect(long.digest == Self.specDigest(of: long))
        var copy = Replica(node: hub)
        copy.admit(contentsOf: long.history.events(of: farm).reversed())
        #expect(copy.digest == long.digest && copy.history.pendingCount == 0)
    }
}
