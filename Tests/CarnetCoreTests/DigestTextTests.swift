import CarnetCore
import Testing

/// The digests' and node ids' text forms, written from the words, are the bytes' hexadecimal as
/// `Hex.encode` writes it (the one form ids and digests take on screen and in JSON).
struct DigestTextTests {
    @Test func hexAndShortAreTheBytesInHexadecimal() {
        let seed: UInt64 = 0xD16E57
        var rng = SplitMix64(seed: seed)
        var digests = [SHA256Digest.zero, SHA256Digest(.max, .max, .max, .max), SHA256.hash(Array("carnet".utf8))]
        for _ in 0..<2_000 { digests.append(SHA256Digest(rng.next(), rng.next(), rng.next(), rng.next())) }
        for digest in digests {
            let expected = Hex.encode(digest.bytes)
            #expect(digest.hex == expected, "seed \(seed)")
            #expect(digest.short == String(expected.prefix(8)), "seed \(seed)")
        }
        var nodes = [NodeID(high: 0, low: 0), NodeID(high: .max, low: .max), NodeID.derived(from: "farm")]
        for _ in 0..<2_000 { nodes.append(NodeID(high: rng.next(), low: rng.next())) }
        for node in nodes {
            let expected = Hex.encode(node.bytes)
            #expect(node.hex == expected, "seed \(seed)")
            #expect(node.short == String(expected.prefix(8)), "seed \(seed)")
            #expect(NodeID(hex: node.hex) == node, "seed \(seed)")
        }
    }
}
