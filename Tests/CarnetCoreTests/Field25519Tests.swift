import CarnetCore
import CarnetTestKit
import Testing

/// Arithmetic modulo p = 2^255 − 19 against values computed with Python's big integers,
/// and algebraic laws over seeded random elements.
///
/// How the constants were made (Python 3, while these tests were written):
///
///     p = 2**255 - 19
///     le = lambda v: v.to_bytes(32, "little").hex()
///     h = lambda s: int.from_bytes(hashlib.sha256(s.encode()).digest(), "little") & (2**255 - 1)
///     a, b = h("carnet field a"), h("carnet field b")
///     le((a + b) % p), le((a - b) % p), le(a * b % p), le(a * a % p), le(pow(a, p - 2, p)), ...
///     x = a
///     for i in range(1000):
///         x = (x * x * b + x - (x + b) * a) % p
///         if i % 100 == 99: x = pow(x, p - 2, p)
struct Field25519Tests {
    static let a = "7a7be179bfb23615fa9131b412bbb112c82beb78440c10cf510bc778c9f87c44"
    static let b = "5276952826f0cab225d80a7a4710734885e380d55d821b2bed8b9df091a5cb64"

    static func element(_ hex: String) -> Field25519 {
        Field25519(littleEndian: Hex.decode(hex)!)
    }

    @Test func operationsMatchPythonBigIntegers() {
        let a = Self.element(Self.a), b = Self.element(Self.b)
        #expect(a.description == Self.a)
        #expect((a + b).description == "dff176a2e5a201c81f6a3c2e5acb245b4d0f6c4ea28e2bfa3e9764695b9e4829")
        #expect((a - b).description == "15054c5199c26b62d4b9263acbaa3eca42486aa3e689f4a3647f29883753b15f")
        #expect((b - a).description == "d8fab3ae663d949d2b46d9c53455c135bdb7955c19760b5c9b80d677c8ac4e20")
        #expect((-a).description == "73841e86404dc9ea056ece4bed444eed37d41487bbf3ef30aef438873607833b")
        #expect((a * b).description == "7f6c5c8f947a35567b3f18ebeabc39085f1815efb6951efef7e977a903564b45")
        #expect(a.squared().description == "791bc2257ca2c3c5e105f8cd38f7d2aebc138f9eb77b7f6d1371a953481a7668")
        #expect(a.inverse().description == "256cb111d30be19588bed751681a090ec5a9be3c78f6506f84db04cf77b00052")
        #expect(a.multiplied(bySmall: 121_665).description == "78976e52c3a98ce0db1571ba17343c857c58f20dbf29d659f8aa8afc40fe5845")
        #expect(a.multiplied(bySmall: 121_665) == a * Field25519(121_665))
    }

    @Test func aThousandChainedOperationsMatchPython() {
        // Limbs are carried loosely after each operation; a long chain of every operation
        // checks that no bound is exceeded along the way.
        let a = Self.element(Self.a), b = Self.element(Self.b)
        var x = a
        for i in 0..<1000 {
            x = x.squared() * b + x - (x + b) * a
            if i % 100 == 99 { x = x.inverse() }
        }
        #expect(x.description == "b84c823ce9f17b1f047f0d0d521431a0955d8806a58b8f6c6ad841eb705ea10a")
    }

    @Test func encodingIsCanonical() {
        let pMinusOne = "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"
        let p = "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"
        let pPlusOne = "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"
        let twoTo255MinusOne = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"
        let allOnes = String(repeating: "ff", count: 32)

        #expect(Field25519(canonical: Hex.decode(pMinusOne)!)?.description == pMinusOne)
        #expect(Field25519(canonical: Hex.decode(p)!) == nil)
        #expect(Field25519(canonical: Hex.decode(pPlusOne)!) == nil)
        #expect(Field25519(canonical: Hex.decode(twoTo255MinusOne)!) == nil)
        #expect(Field25519(canonical: Hex.decode(allOnes)!) == nil)
        #expect(Field25519(canonical: [UInt8](repeating: 0, count: 31)) == nil)
        #expect(Field25519(canonical: [UInt8](repeating: 0, count: 33)) == nil)

        // RFC 7748 reading: bit 255 ignored, values from p up taken modulo p.
        #expect(Self.element(p) == .zero)
        #expect(Self.element(p).isZero)
        #expect(Self.element(pPlusOne) == .one)
        #expect(Self.element(twoTo255MinusOne) == Field25519(18))
        #expect(Self.element(allOnes).description == Field25519(18).description)
        #expect(Self.element(pMinusOne) + .one == .zero)
        #expect((Self.element(pMinusOne) + Self.element(pMinusOne)).description
            == "ebffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")

        #expect(Field25519.zero.bytes == [UInt8](repeating: 0, count: 32))
        #expect(Field25519.one.isNegative)
        #expect(!Field25519.zero.isNegative)
        #expect(!Self.element(pMinusOne).isNegative)  // p − 1 is even
        #expect(Field25519.zero.inverse() == .zero)
    }

    @Test func lawsOverRandomElements() {
        let seed = testSeed(default: 25519)
        var rng = SplitMix64(seed: seed)
        func random() -> Field25519 {
            Field25519(littleEndian: (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) })
        }
        for round in 0..<200 {
            let x = random(), y = random(), z = random()
            let note: Comment = "seed \(seed) (CARNET_SEED to replay), round \(round): x \(x) y \(y) z \(z)"
            #expect((x + y) - y == x, note)
            #expect(x - y == -(y - x), note)
            #expect(x * y == y * x, note)
            #expect((x * y) * z == x * (y * z), note)
            #expect(x * (y + z) == x * y + x * z, note)
            #expect(x.squared() == x * x, note)
            #expect(x.squared(times: 3) == x * x * x * x * x * x * x * x, note)
            #expect(x.isZero || x * x.inverse() == .one, note)
            #expect(Field25519(littleEndian: x.bytes) == x, note)
            #expect(Field25519(canonical: x.bytes) == x, note)
            #expect(x.isNegative == (x.bytes[0] & 1 == 1), note)
            #expect((-x).isNegative != x.isNegative || x.isZero, note)
        }
    }

    @Test func selectionAndSwapByMask() {
        let a = Self.element(Self.a), b = Self.element(Self.b)
        #expect(Field25519.select(a, b, mask: 0) == a)
        #expect(Field25519.select(a, b, mask: ~0) == b)
        #expect(Field25519.select(a, b, mask: ConstantTime.mask(bit: 1)) == b)
        #expect(Field25519.select(a, b, mask: ConstantTime.mask(bit: 0)) == a)

        var x = a, y = b
        Field25519.conditionalSwap(&x, &y, mask: 0)
        #expect(x == a && y == b)
        Field25519.conditionalSwap(&x, &y, mask: ~0)
        #expect(x == b && y == a)

        #expect(a.negated(mask: 0) == a)
        #expect(a.negated(mask: ~0) == -a)

        #expect(ConstantTime.equalMask(7, 7) == ~0)
        #expect(ConstantTime.equalMask(7, 8) == 0)
        #expect(ConstantTime.equalMask(0, 1 << 63) == 0)
        #expect(ConstantTime.isZeroMask(0) == ~0)
        #expect(ConstantTime.isZeroMask(UInt64.max) == 0)
    }
}
