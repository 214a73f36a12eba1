/// An integer modulo L = 2^252 + 27742317777372353535851937790883648493, the order of the
/// edwards25519 base point: the scalars of Ed25519 (RFC 8032 §5.1).
///
/// Five limbs in radix 2^52, always fully reduced (value below L). Multiplication is
/// Montgomery's (R = 2^260); the final subtraction of L is done by a mask, so every
/// operation runs the same instructions whatever the values. Signing reduces secret
/// hashes and computes S = r + k·s with it.
package struct Scalar25519: Sendable, Equatable {
    var l0: UInt64, l1: UInt64, l2: UInt64, l3: UInt64, l4: UInt64

    static let limbMask: UInt64 = (1 << 52) - 1

    @inline(__always)
    init(_ l0: UInt64, _ l1: UInt64, _ l2: UInt64, _ l3: UInt64, _ l4: UInt64) {
        (self.l0, self.l1, self.l2, self.l3, self.l4) = (l0, l1, l2, l3, l4)
    }

    package static let zero = Scalar25519(0, 0, 0, 0, 0)

    /// L itself, in radix 2^52.
    static let order = Scalar25519(0x2631a5cf5d3ed, 0xdea2f79cd6581, 0x14def9, 0, 0x100000000000)
    /// −L⁻¹ mod 2^52, the Montgomery factor.
    static let montgomeryFactor: UInt64 = 0x51da312547e1b
    /// R = 2^260 mod L.
    static let montgomeryR = Scalar25519(0xf48bd6721e6ed, 0x3bab5ac67e45a, 0xfffffeb35e51b, 0xfffffffffffff, 0xfffffffffff)
    /// R² mod L: multiplying by it Montgomery-style turns x into x·R.
    static let montgomeryR2 = Scalar25519(0x9d265e952d13b, 0xd63c715bea69f, 0x5be65cb687604, 0x3dceec73d217f, 0x9411b7c309a)

    /// The little-endian integer of up to 64 bytes, reduced modulo L (RFC 8032 reads the
    /// 64-byte SHA-512 outputs so). Constant time.
    ///
    /// - Precondition: `bytes.count <= 64`.
    package init<Bytes: Collection<UInt8>>(reducing bytes: Bytes) {
        precondition(bytes.count <= 64, "at most 512 bits")
        var words = [UInt64](repeating: 0, count: 8)
        for (index, byte) in bytes.enumerated() {
            words[index / 8] |= UInt64(byte) << UInt64(8 * (index % 8))
        }
        let mask = Self.limbMask
        // The low 260 bits and the high 252 bits, each as five 52-bit limbs.
        let low = Scalar25519(
            words[0] & mask,
            (words[0] >> 52 | words[1] << 12) & mask,
            (words[1] >> 40 | words[2] << 24) & mask,
            (words[2] >> 28 | words[3] << 36) & mask,
            (words[3] >> 16 | words[4] << 48) & mask
        )
        let high = Scalar25519(
            (words[4] >> 4) & mask,
            (words[4] >> 56 | words[5] << 8) & mask,
            (words[5] >> 44 | words[6] << 20) & mask,
            (words[6] >> 32 | words[7] << 32) & mask,
            words[7] >> 20
        )
        // value = low + high·2^260. Montgomery products divide by R = 2^260, so
        // low·R / R = low and high·R² / R = high·R ≡ high·2^260 (mod L).
        let lowPart = Self.montgomeryMultiply(low, Self.montgomeryR)
        let highPart = Self.montgomeryMultiply(high, Self.montgomeryR2)
        self = lowPart + highPart
    }

    /// The canonical encoding of a scalar: 32 little-endian bytes of a value below L
    /// (RFC 8032 §5.1.7: S must be so). Nil for any other length or value. Constant time
    /// for 32-byte inputs.
    package init?<Bytes: Collection<UInt8>>(canonical bytes: Bytes) {
        guard bytes.count == 32 else { return nil }
        let input = Array(bytes)
        // The reduced value is below L, so it re-encodes to the input exactly when the
        // input was already below L.
        let reduced = Scalar25519(reducing: input)
        guard ConstantTime.equals(reduced.bytes, input) else { return nil }
        self = reduced
    }

    /// The 32 little-endian bytes of the value (below L, so the top 3 bits are clear).
    package var bytes: [UInt8] {
        let words = [
            l0 | l1 << 52,
            l1 >> 12 | l2 << 40,
            l2 >> 24 | l3 << 28,
            l3 >> 36 | l4 << 16,
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

    /// (a + b) mod L.
    package static func + (a: Scalar25519, b: Scalar25519) -> Scalar25519 {
        let mask = limbMask
        // Both below L < 2^253, so the sum is below 2^254 and needs no fifth-limb overflow.
        var carry: UInt64 = 0
        var sum = Scalar25519.zero
        carry = a.l0 &+ b.l0
        sum.l0 = carry & mask
        carry = a.l1 &+ b.l1 &+ (carry >> 52)
        sum.l1 = carry & mask
        carry = a.l2 &+ b.l2 &+ (carry >> 52)
        sum.l2 = carry & mask
        carry = a.l3 &+ b.l3 &+ (carry >> 52)
        sum.l3 = carry & mask
        carry = a.l4 &+ b.l4 &+ (carry >> 52)
        sum.l4 = carry
        return subtractingOrder(sum)
    }

    /// (a · b) mod L: two Montgomery products, the second by R² to undo the division by R.
    package static func * (a: Scalar25519, b: Scalar25519) -> Scalar25519 {
        montgomeryMultiply(montgomeryMultiply(a, b), montgomeryR2)
    }

    /// value − L when value ≥ L, else value: the subtraction is always done, and L is added
    /// back under the mask of its borrow. Needs value < 2L.
    @inline(__always)
    static func subtractingOrder(_ value: Scalar25519) -> Scalar25519 {
        let mask = limbMask
        let l = order
        var borrow: UInt64 = 0
        var d0 = value.l0 &- l.l0
        borrow = d0 >> 63
        d0 &= mask
        var d1 = value.l1 &- l.l1 &- borrow
        borrow = d1 >> 63
        d1 &= mask
        var d2 = value.l2 &- l.l2 &- borrow
        borrow = d2 >> 63
        d2 &= mask
        var d3 = value.l3 &- l.l3 &- borrow
        borrow = d3 >> 63
        d3 &= mask
        var d4 = value.l4 &- l.l4 &- borrow
        borrow = d4 >> 63
        d4 &= mask
        // Add L back where the whole subtraction borrowed (value < L).
        let addBack = ConstantTime.mask(bit: borrow)
        var carry: UInt64 = 0
        carry = d0 &+ (l.l0 & addBack)
        d0 = carry & mask
        carry = d1 &+ (l.l1 & addBack) &+ (carry >> 52)
        d1 = carry & mask
        carry = d2 &+ (l.l2 & addBack) &+ (carry >> 52)
        d2 = carry & mask
        carry = d3 &+ (l.l3 & addBack) &+ (carry >> 52)
        d3 = carry & mask
        carry = d4 &+ (l.l4 & addBack) &+ (carry >> 52)
        d4 = carry & mask
        return Scalar25519(d0, d1, d2, d3, d4)
    }

    /// a · b / R mod L (R = 2^260) for a, b with limbs below 2^52 and a · b < 2^260 · L.
    static func montgomeryMultiply(_ a: Scalar25519, _ b: Scalar25519) -> Scalar25519 {
        // The nine column sums of the 5 × 5 limb product, each below 5 · 2^104 < 2^107.
        let z0 = DoubleWord(a.l0, times: b.l0)
        var z1 = DoubleWord(a.l0, times: b.l1)
        z1.add(a.l1, times: b.l0)
        var z2 = DoubleWord(a.l0, times: b.l2)
        z2.add(a.l1, times: b.l1)
        z2.add(a.l2, times: b.l0)
        var z3 = DoubleWord(a.l0, times: b.l3)
        z3.add(a.l1, times: b.l2)
        z3.add(a.l2, times: b.l1)
        z3.add(a.l3, times: b.l0)
        var z4 = DoubleWord(a.l0, times: b.l4)
        z4.add(a.l1, times: b.l3)
        z4.add(a.l2, times: b.l2)
        z4.add(a.l3, times: b.l1)
        z4.add(a.l4, times: b.l0)
        var z5 = DoubleWord(a.l1, times: b.l4)
        z5.add(a.l2, times: b.l3)
        z5.add(a.l3, times: b.l2)
        z5.add(a.l4, times: b.l1)
        var z6 = DoubleWord(a.l2, times: b.l4)
        z6.add(a.l3, times: b.l3)
        z6.add(a.l4, times: b.l2)
        var z7 = DoubleWord(a.l3, times: b.l4)
        z7.add(a.l4, times: b.l3)
        let z8 = DoubleWord(a.l4, times: b.l4)
        return montgomeryReduce(z0, z1, z2, z3, z4, z5, z6, z7, z8)
    }

    /// Divides the 9-column value by R = 2^260 modulo L: adds the multiple n·L that clears
    /// the low five limbs (n chosen limb by limb with the Montgomery factor), keeps the high
    /// five, and subtracts L once by mask. L's limb 3 is zero, so its products are left out.
    @inline(__always)
    private static func montgomeryReduce(
        _ z0: DoubleWord, _ z1: DoubleWord, _ z2: DoubleWord, _ z3: DoubleWord,
        _ z4: DoubleWord, _ z5: DoubleWord, _ z6: DoubleWord, _ z7: DoubleWord, _ z8: DoubleWord
    ) -> Scalar25519 {
        var z1 = z1, z2 = z2, z3 = z3, z4 = z4, z5 = z5, z6 = z6, z7 = z7
        let mask = limbMask
        let l = order
        let factor = montgomeryFactor

        /// n = the limb that makes `sum + n·L0` divisible by 2^52; returns the carry and n.
        @inline(__always)
        func clearLimb(_ sum: DoubleWord) -> (DoubleWord, UInt64) {
            let n = (sum.low &* factor) & mask
            var total = sum
            total.add(n, times: l.l0)
            return (DoubleWord(high: 0, low: total.shiftedDown(52)), n)
        }
        /// The low 52 bits of `sum` as a limb, and the carry.
        @inline(__always)
        func keepLimb(_ sum: DoubleWord) -> (DoubleWord, UInt64) {
            (DoubleWord(high: 0, low: sum.shiftedDown(52)), sum.low & mask)
        }

        var (carry, n0) = clearLimb(z0)
        z1.add(carry); z1.add(n0, times: l.l1)
        let n1: UInt64
        (carry, n1) = clearLimb(z1)
        z2.add(carry); z2.add(n0, times: l.l2); z2.add(n1, times: l.l1)
        let n2: UInt64
        (carry, n2) = clearLimb(z2)
        z3.add(carry); z3.add(n1, times: l.l2); z3.add(n2, times: l.l1)
        let n3: UInt64
        (carry, n3) = clearLimb(z3)
        z4.add(carry); z4.add(n0, times: l.l4); z4.add(n2, times: l.l2); z4.add(n3, times: l.l1)
        let n4: UInt64
        (carry, n4) = clearLimb(z4)

        z5.add(carry); z5.add(n1, times: l.l4); z5.add(n3, times: l.l2); z5.add(n4, times: l.l1)
        let r0: UInt64
        (carry, r0) = keepLimb(z5)
        z6.add(carry); z6.add(n2, times: l.l4); z6.add(n4, times: l.l2)
        let r1: UInt64
        (carry, r1) = keepLimb(z6)
        z7.add(carry); z7.add(n3, times: l.l4)
        let r2: UInt64
        (carry, r2) = keepLimb(z7)
        var top = z8
        top.add(carry); top.add(n4, times: l.l4)
        let r3: UInt64
        (carry, r3) = keepLimb(top)
        let r4 = carry.low
        return subtractingOrder(Scalar25519(r0, r1, r2, r3, r4))
    }
}
