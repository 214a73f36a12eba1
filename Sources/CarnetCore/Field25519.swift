/// An element of the field of integers modulo p = 2^255 − 19, the field of Curve25519 and
/// edwards25519 (RFC 7748, RFC 8032).
///
/// Held as five 64-bit limbs in radix 2^51: the value is `l0 + l1·2^51 + l2·2^102 +
/// l3·2^153 + l4·2^204`. Invariant: every limb is below 2^52 after every public operation,
/// which leaves each multiplication's column sums far below 2^128. The value is reduced
/// modulo p only loosely (it may be a little above p); `bytes`, `==`, `isZero` and
/// `isNegative` work on the canonical value.
///
/// Constant time: every operation runs the same instructions whatever the values; there is
/// no branch and no memory index that depends on them. Choose between values with `select`
/// and `conditionalSwap` and a mask from `ConstantTime`, never with `if`. Inversion is an
/// exponentiation by p − 2 with a fixed chain of squarings and multiplications.
public struct Field25519: Sendable {
    var l0: UInt64, l1: UInt64, l2: UInt64, l3: UInt64, l4: UInt64

    /// 2^51 − 1: the bits of one limb.
    static let limbMask: UInt64 = (1 << 51) - 1

    /// Limbs as given; the caller keeps each below 2^52.
    @inline(__always)
    init(_ l0: UInt64, _ l1: UInt64, _ l2: UInt64, _ l3: UInt64, _ l4: UInt64) {
        (self.l0, self.l1, self.l2, self.l3, self.l4) = (l0, l1, l2, l3, l4)
    }

    public static let zero = Field25519(0, 0, 0, 0, 0)
    public static let one = Field25519(1, 0, 0, 0, 0)

    /// A small integer as a field element (any `UInt64`, e.g. RFC 7748's a24 = 121665).
    public init(_ value: UInt64) {
        self.init(value & Self.limbMask, value >> 51, 0, 0, 0)
    }

    /// Decodes 32 little-endian bytes the way RFC 7748 §5 reads a u-coordinate: the top bit
    /// (bit 255) is ignored and values from p to 2^255 − 1 are taken modulo p.
    ///
    /// - Precondition: `bytes.count == 32`.
    public init<Bytes: Collection<UInt8>>(littleEndian bytes: Bytes) {
        precondition(bytes.count == 32, "a field element is 32 bytes")
        // Four little-endian words, then 51-bit limbs; the last limb drops bit 255.
        var words: [UInt64] = [0, 0, 0, 0]
        for (index, byte) in bytes.enumerated() {
            words[index / 8] |= UInt64(byte) << UInt64(8 * (index % 8))
        }
        let mask = Self.limbMask
        self.init(
            words[0] & mask,
            (words[0] >> 51 | words[1] << 13) & mask,
            (words[1] >> 38 | words[2] << 26) & mask,
            (words[2] >> 25 | words[3] << 39) & mask,
            (words[3] >> 12) & mask
        )
    }

    /// Decodes the canonical encoding of an element: 32 little-endian bytes of a value below
    /// p with bit 255 clear (RFC 8032 §5.1.3 reads a y-coordinate so). Nil for any other
    /// length or value. The check takes the same time for every 32-byte input.
    public init?<Bytes: Collection<UInt8>>(canonical bytes: Bytes) {
        guard bytes.count == 32 else { return nil }
        let input = Array(bytes)
        let element = Field25519(littleEndian: input)
        // Bit 255 set, or a value of p or more, re-encodes differently.
        guard ConstantTime.equals(element.bytes, input) else { return nil }
        self = element
    }

    /// The canonical encoding: the value reduced below p, as 32 little-endian bytes (bit 255 clear).
    public var bytes: [UInt8] {
        let c = canonicalLimbs()
        let words = [
            c.0 | c.1 << 51,
            c.1 >> 13 | c.2 << 38,
            c.2 >> 26 | c.3 << 25,
            c.3 >> 39 | c.4 << 12,
        ]
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for word in words {
            for shift in stride(from: 0, to: 64, by: 8) {
                out.append(UInt8(truncatingIfNeeded: word >> UInt64(shift)))
            }
        }
        return out
    }

    /// True when the element is 0 modulo p.
    public var isZero: Bool {
        let c = canonicalLimbs()
        return (c.0 | c.1 | c.2 | c.3 | c.4) == 0
    }

    /// RFC 8032's sign of x: the lowest bit of the canonical value ("negative" when odd).
    public var isNegative: Bool {
        canonicalLimbs().0 & 1 == 1
    }

    /// The lowest bit of the canonical value, as 0 or 1, for building masks.
    var lowBit: UInt64 { canonicalLimbs().0 & 1 }

    /// The value reduced below p, limb by limb (each below 2^51).
    func canonicalLimbs() -> (UInt64, UInt64, UInt64, UInt64, UInt64) {
        // One carry pass leaves every limb below 2^51 + 2^13 and the value below 2p.
        let f = Self.carried(l0, l1, l2, l3, l4)
        // q = 1 exactly when value + 19 ≥ 2^255, that is value ≥ p: the carry out of the top.
        var q = (f.l0 &+ 19) >> 51
        q = (f.l1 &+ q) >> 51
        q = (f.l2 &+ q) >> 51
        q = (f.l3 &+ q) >> 51
        q = (f.l4 &+ q) >> 51
        // value − q·p = value + 19q − q·2^255: add 19q, carry, and drop bit 255.
        let mask = Self.limbMask
        var r0 = f.l0 &+ 19 &* q
        var r1 = f.l1 &+ (r0 >> 51)
        r0 &= mask
        var r2 = f.l2 &+ (r1 >> 51)
        r1 &= mask
        var r3 = f.l3 &+ (r2 >> 51)
        r2 &= mask
        var r4 = f.l4 &+ (r3 >> 51)
        r3 &= mask
        r4 &= mask
        return (r0, r1, r2, r3, r4)
    }

    /// One carry pass: limbs of up to 2^63 become limbs below 2^52 (the carry out of the top
    /// limb comes back in times 19, since 2^255 ≡ 19).
    @inline(__always)
    static func carried(_ a0: UInt64, _ a1: UInt64, _ a2: UInt64, _ a3: UInt64, _ a4: UInt64) -> Field25519 {
        let mask = limbMask
        let c0 = a0 >> 51
        let b1 = a1 &+ c0
        let c1 = b1 >> 51
        let b2 = a2 &+ c1
        let c2 = b2 >> 51
        let b3 = a3 &+ c2
        let c3 = b3 >> 51
        let b4 = a4 &+ c3
        let c4 = b4 >> 51
        return Field25519((a0 & mask) &+ c4 &* 19, b1 & mask, b2 & mask, b3 & mask, b4 & mask)
    }

    public static func + (a: Field25519, b: Field25519) -> Field25519 {
        carried(a.l0 &+ b.l0, a.l1 &+ b.l1, a.l2 &+ b.l2, a.l3 &+ b.l3, a.l4 &+ b.l4)
    }

    /// a − b computed as a + 4p − b: 4p's limbs exceed any limb of b (below 2^52), so no
    /// limb borrows.
    public static func - (a: Field25519, b: Field25519) -> Field25519 {
        carried(
            (a.l0 &+ 0x1f_ffff_ffff_ffb4) &- b.l0,
            (a.l1 &+ 0x1f_ffff_ffff_fffc) &- b.l1,
            (a.l2 &+ 0x1f_ffff_ffff_fffc) &- b.l2,
            (a.l3 &+ 0x1f_ffff_ffff_fffc) &- b.l3,
            (a.l4 &+ 0x1f_ffff_ffff_fffc) &- b.l4
        )
    }

    public static prefix func - (a: Field25519) -> Field25519 {
        zero - a
    }

    public static func += (a: inout Field25519, b: Field25519) { a = a + b }
    public static func -= (a: inout Field25519, b: Field25519) { a = a - b }
    public static func *= (a: inout Field25519, b: Field25519) { a = a * b }

    /// Schoolbook product of the limbs, with the columns above 2^255 folded back times 19.
    /// Limbs below 2^52 make each column below 5 · 19 · 2^104 < 2^111.
    public static func * (a: Field25519, b: Field25519) -> Field25519 {
        let b1x19 = b.l1 &* 19, b2x19 = b.l2 &* 19, b3x19 = b.l3 &* 19, b4x19 = b.l4 &* 19
        var r0 = DoubleWord(a.l0, times: b.l0)
        r0.add(a.l1, times: b4x19)
        r0.add(a.l2, times: b3x19)
        r0.add(a.l3, times: b2x19)
        r0.add(a.l4, times: b1x19)
        var r1 = DoubleWord(a.l0, times: b.l1)
        r1.add(a.l1, times: b.l0)
        r1.add(a.l2, times: b4x19)
        r1.add(a.l3, times: b3x19)
        r1.add(a.l4, times: b2x19)
        var r2 = DoubleWord(a.l0, times: b.l2)
        r2.add(a.l1, times: b.l1)
        r2.add(a.l2, times: b.l0)
        r2.add(a.l3, times: b4x19)
        r2.add(a.l4, times: b3x19)
        var r3 = DoubleWord(a.l0, times: b.l3)
        r3.add(a.l1, times: b.l2)
        r3.add(a.l2, times: b.l1)
        r3.add(a.l3, times: b.l0)
        r3.add(a.l4, times: b4x19)
        var r4 = DoubleWord(a.l0, times: b.l4)
        r4.add(a.l1, times: b.l3)
        r4.add(a.l2, times: b.l2)
        r4.add(a.l3, times: b.l1)
        r4.add(a.l4, times: b.l0)
        return reduced(r0, r1, r2, r3, r4)
    }

    /// The square, with the symmetric products computed once and doubled.
    public func squared() -> Field25519 {
        let a0x2 = l0 &* 2, a1x2 = l1 &* 2, a2x2 = l2 &* 2, a3x2 = l3 &* 2
        let a3x19 = l3 &* 19, a4x19 = l4 &* 19
        var r0 = DoubleWord(l0, times: l0)
        r0.add(a1x2, times: a4x19)
        r0.add(a2x2, times: a3x19)
        var r1 = DoubleWord(a0x2, times: l1)
        r1.add(a2x2, times: a4x19)
        r1.add(l3, times: a3x19)
        var r2 = DoubleWord(a0x2, times: l2)
        r2.add(l1, times: l1)
        r2.add(a3x2, times: a4x19)
        var r3 = DoubleWord(a0x2, times: l3)
        r3.add(a1x2, times: l2)
        r3.add(l4, times: a4x19)
        var r4 = DoubleWord(a0x2, times: l4)
        r4.add(a1x2, times: l3)
        r4.add(l2, times: l2)
        return Self.reduced(r0, r1, r2, r3, r4)
    }

    /// `squared()` applied `count` times: self^(2^count).
    public func squared(times count: Int) -> Field25519 {
        var result = self
        for _ in 0..<count { result = result.squared() }
        return result
    }

    /// The product with a small constant, such as RFC 7748's a24 = 121665.
    public func multiplied(bySmall factor: UInt32) -> Field25519 {
        let k = UInt64(factor)
        return Self.reduced(
            DoubleWord(l0, times: k), DoubleWord(l1, times: k), DoubleWord(l2, times: k),
            DoubleWord(l3, times: k), DoubleWord(l4, times: k)
        )
    }

    /// Carries five column sums (each below 2^115) into limbs below 2^52.
    @inline(__always)
    static func reduced(_ r0: DoubleWord, _ r1: DoubleWord, _ r2: DoubleWord, _ r3: DoubleWord, _ r4: DoubleWord) -> Field25519 {
        let mask = limbMask
        var r1 = r1, r2 = r2, r3 = r3, r4 = r4
        r1.add(r0.shiftedDown(51))
        r2.add(r1.shiftedDown(51))
        r3.add(r2.shiftedDown(51))
        r4.add(r3.shiftedDown(51))
        // The carry out of the top column is below 2^60, so times 19 it fits in a word.
        var c0 = (r0.low & mask) &+ r4.shiftedDown(51) &* 19
        let c1 = (r1.low & mask) &+ (c0 >> 51)
        c0 &= mask
        return Field25519(c0, c1, r2.low & mask, r3.low & mask, r4.low & mask)
    }

    /// The multiplicative inverse, as self^(p − 2) (Fermat); zero maps to zero.
    public func inverse() -> Field25519 {
        let (power250, power11) = powers250()
        // (z^(2^250 − 1))^(2^5) · z^11 = z^(2^255 − 21) = z^(p − 2).
        return power250.squared(times: 5) * power11
    }

    /// self^((p − 5) / 8) = self^(2^252 − 3), the exponent of the square root of a ratio.
    func power22523() -> Field25519 {
        let (power250, _) = powers250()
        return power250.squared(times: 2) * self
    }

    /// z^(2^250 − 1) and z^11 by the addition chain of the ref10 implementation
    /// (254 squarings and 11 multiplications, the same for every z).
    private func powers250() -> (Field25519, Field25519) {
        let z2 = squared()
        let z9 = z2.squared(times: 2) * self
        let z11 = z9 * z2
        let z2_5_0 = z11.squared() * z9            // z^(2^5 − 1)
        let z2_10_0 = z2_5_0.squared(times: 5) * z2_5_0
        let z2_20_0 = z2_10_0.squared(times: 10) * z2_10_0
        let z2_40_0 = z2_20_0.squared(times: 20) * z2_20_0
        let z2_50_0 = z2_40_0.squared(times: 10) * z2_10_0
        let z2_100_0 = z2_50_0.squared(times: 50) * z2_50_0
        let z2_200_0 = z2_100_0.squared(times: 100) * z2_100_0
        let z2_250_0 = z2_200_0.squared(times: 50) * z2_50_0
        return (z2_250_0, z11)
    }

    /// `b` where `mask` is all ones, `a` where it is zero; `mask` must be one or the other.
    @inline(__always)
    public static func select(_ a: Field25519, _ b: Field25519, mask: UInt64) -> Field25519 {
        Field25519(
            a.l0 ^ (mask & (a.l0 ^ b.l0)),
            a.l1 ^ (mask & (a.l1 ^ b.l1)),
            a.l2 ^ (mask & (a.l2 ^ b.l2)),
            a.l3 ^ (mask & (a.l3 ^ b.l3)),
            a.l4 ^ (mask & (a.l4 ^ b.l4))
        )
    }

    /// Swaps `a` and `b` where `mask` is all ones, leaves them where it is zero.
    @inline(__always)
    public static func conditionalSwap(_ a: inout Field25519, _ b: inout Field25519, mask: UInt64) {
        let t0 = mask & (a.l0 ^ b.l0), t1 = mask & (a.l1 ^ b.l1), t2 = mask & (a.l2 ^ b.l2)
        let t3 = mask & (a.l3 ^ b.l3), t4 = mask & (a.l4 ^ b.l4)
        a = Field25519(a.l0 ^ t0, a.l1 ^ t1, a.l2 ^ t2, a.l3 ^ t3, a.l4 ^ t4)
        b = Field25519(b.l0 ^ t0, b.l1 ^ t1, b.l2 ^ t2, b.l3 ^ t3, b.l4 ^ t4)
    }

    /// −self where `mask` is all ones, self where it is zero.
    @inline(__always)
    public func negated(mask: UInt64) -> Field25519 {
        Self.select(self, -self, mask: mask)
    }
}

extension Field25519: Equatable {
    /// Equality of the values modulo p, compared without an early exit.
    public static func == (a: Field25519, b: Field25519) -> Bool {
        let x = a.canonicalLimbs(), y = b.canonicalLimbs()
        return ((x.0 ^ y.0) | (x.1 ^ y.1) | (x.2 ^ y.2) | (x.3 ^ y.3) | (x.4 ^ y.4)) == 0
    }
}

extension Field25519: CustomStringConvertible {
    /// The canonical encoding in hex (little-endian, as RFC 7748 and RFC 8032 write it).
    public var description: String { Hex.encode(bytes) }
}

extension Field25519 {
    /// The curve constant d = −121665/121666 of edwards25519 (RFC 8032 §5.1).
    static let edwardsD = Field25519(0x34dca135978a3, 0x1a8283b156ebd, 0x5e7a26001c029, 0x739c663a03cbb, 0x52036cee2b6ff)
    /// 2d, the factor of the cached points' T coordinate.
    static let edwardsD2 = Field25519(0x69b9426b2f159, 0x35050762add7a, 0x3cf44c0038052, 0x6738cc7407977, 0x2406d9dc56dff)
    /// A square root of −1: 2^((p − 1) / 4).
    static let squareRootOfMinusOne = Field25519(0x61b274a0ea0b0, 0xd5a5fc8f189d, 0x7ef5e9cbd0c60, 0x78595a6804c9e, 0x2b8324804fc1d)

    /// The square root of u/v when there is one (RFC 8032 §5.1.3 step 2–3), with one
    /// exponentiation and no inversion: x = u·v³·(u·v⁷)^((p − 5)/8), then checked. Nil when
    /// u/v is not a square. Used on public data (point decoding), so it may branch.
    static func squareRoot(ratio u: Field25519, _ v: Field25519) -> Field25519? {
        let v3 = v.squared() * v
        let v7 = v3.squared() * v
        var x = u * v3 * (u * v7).power22523()
        let check = v * x.squared()
        if check == u {
            return x
        }
        if check == -u {
            x = x * squareRootOfMinusOne
            return x
        }
        return nil
    }
}
