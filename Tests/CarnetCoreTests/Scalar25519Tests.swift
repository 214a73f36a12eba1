import CarnetCore
import CarnetTestKit
import Testing

/// Arithmetic modulo L, the order of the base point, against values computed with Python's
/// big integers:
///
///     L = 2**252 + 27742317777372353535851937790883648493
///     le = lambda v: v.to_bytes(32, "little").hex()
///     h = lambda s: hashlib.sha512(s.encode()).digest()
///     le(int.from_bytes(h("carnet scalar wide"), "little") % L), le((2**512 - 1) % L)
///     sa, sb = (int.from_bytes(h(s), "little") % L for s in ("carnet scalar a", "carnet scalar b"))
///     le(sa * sb % L), le((sa + sb) % L), le((2**256 - 1) % L)
struct Scalar25519Tests {
    static let order = "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010"
    static let orderMinusOne = "ecd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010"

    static func scalar(_ hex: String) -> Scalar25519 {
        Scalar25519(reducing: Hex.decode(hex)!)
    }

    @Test func wideReductionMatchesPython() {
        let wide = SHA512.hash(Array("carnet scalar wide".utf8)).bytes
        #expect(Hex.encode(Scalar25519(reducing: wide).bytes)
            == "eafc4068f3f4b90a23df1a0c13e0e82f54dc9bc89c14c1b23a632a634af9f30e")
        #expect(Hex.encode(Scalar25519(reducing: [UInt8](repeating: 0xff, count: 64)).bytes)
            == "000f9c44e31106a447938568a71b0ed065bef517d273ecce3d9a307c1b419903")
        #expect(Hex.encode(Scalar25519(reducing: [UInt8](repeating: 0xff, count: 32)).bytes)
            == "1c95988d7431ecd670cf7d73f45befc6feffffffffffffffffffffffffffff0f")
        #expect(Scalar25519(reducing: Hex.decode(Self.order)!) == .zero)
        #expect(Hex.encode(Scalar25519(reducing: Hex.decode(Self.orderMinusOne)!).bytes) == Self.orderMinusOne)
        #expect(Scalar25519(reducing: [UInt8]()) == .zero)
    }

    @Test func productAndSumMatchPython() {
        let a = Scalar25519(reducing: SHA512.hash(Array("carnet scalar a".utf8)).bytes)
        let b = Scalar25519(reducing: SHA512.hash(Array("carnet scalar b".utf8)).bytes)
        #expect(Hex.encode(a.bytes) == "a1f589ec212887738f0a80815753df8f6587545a7bd80efdf7cd40783531cd0d")
        #expect(Hex.encode(b.bytes) == "267a895cd9c5eeb5a99a863fd9696c57c9d8267b47e65a7f6c5735ab300c080d")
        #expect(Hex.encode((a * b).bytes) == "5e2b57e602134ef63d0a49ed18be356e0bb7fca7d557b823b5bde96028d04109")
        #expect(Hex.encode((a + b).bytes) == "da9b1dece08a63d162080f1e52c36cd22e607bd5c2be697c64257623663dd50a")
        let lMinusOne = Self.scalar(Self.orderMinusOne)
        let one = Scalar25519(reducing: [1])
        #expect(lMinusOne + one == .zero)
        #expect(Hex.encode((lMinusOne * lMinusOne).bytes) == Hex.encode(one.bytes))  // (−1)² = 1
    }

    @Test func canonicalEncodingIsBelowTheOrder() {
        #expect(Scalar25519(canonical: Hex.decode(Self.orderMinusOne)!) != nil)
        #expect(Scalar25519(canonical: Hex.decode(Self.order)!) == nil)
        #expect(Scalar25519(canonical: [UInt8](repeating: 0xff, count: 32)) == nil)
        #expect(Scalar25519(canonical: [UInt8](repeating: 0, count: 32)) == .zero)
        #expect(Scalar25519(canonical: [UInt8](repeating: 0, count: 31)) == nil)
        // L + 1 and 2^253 (a bit just above any scalar).
        var orderPlusOne = Hex.decode(Self.order)!
        orderPlusOne[0] += 1
        #expect(Scalar25519(canonical: orderPlusOne) == nil)
        var twoTo253 = [UInt8](repeating: 0, count: 32)
        twoTo253[31] = 0x20
        #expect(Scalar25519(canonical: twoTo253) == nil)
    }

    @Test func lawsOverRandomScalars() {
        let seed = testSeed(default: 8032)
        var rng = SplitMix64(seed: seed)
        func random() -> Scalar25519 {
            Scalar25519(reducing: (0..<64).map { _ in UInt8.random(in: 0...255, using: &rng) })
        }
        for round in 0..<200 {
            let x = random(), y = random(), z = random()
            let note: Comment = "seed \(seed) (CARNET_SEED to replay), round \(round)"
            #expect(x + y == y + x, note)
            #expect(x * y == y * x, note)
            #expect((x * y) * z == x * (y * z), note)
            #expect(x * (y + z) == x * y + x * z, note)
            #expect(Scalar25519(canonical: x.bytes) == x, note)
            #expect(x.bytes[31] & 0xe0 == 0, note)
            // Reducing a 64-byte value equals reducing its halves: lo + hi·2^256.
            let wide = (0..<64).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let low = Scalar25519(reducing: wide[0..<32]), high = Scalar25519(reducing: wide[32..<64])
            var twoTo256 = [UInt8](repeating: 0, count: 33)
            twoTo256[32] = 1
            #expect(Scalar25519(reducing: wide) == low + high * Scalar25519(reducing: twoTo256), note)
        }
    }
}
