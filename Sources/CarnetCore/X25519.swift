/// X25519 Diffie–Hellman, the function of RFC 7748 §5 on Curve25519, written here because
/// Carnet takes no package dependencies. Checked in the tests against RFC 7748 §5.2 (the two
/// single vectors and the iterated one), §6.1 (Alice and Bob) and every test of Project
/// Wycheproof's `x25519_test.json`.
///
/// Constant time: the scalar is clamped, then the Montgomery ladder runs 255 steps, bit 254
/// down to bit 0, whatever the scalar; each step swaps the two working points with
/// `Field25519.conditionalSwap` under a mask made from the scalar bit by arithmetic, so no
/// branch and no memory index depends on the scalar, and the field operations run the same
/// instructions for every value. The final inversion is a fixed exponentiation.
///
/// Input u-coordinates are read as §5 says: the top bit is ignored and values from p to
/// 2^255 − 1 are taken modulo p (Wycheproof's `NonCanonicalPublic` vectors pass so). Points
/// on the twist are not refused: the ladder works on the u-coordinate alone and gives the
/// result §5 defines for them.
///
/// Small-order peers: `sharedSecret(with:)` returns nil when the result is all zeros, the
/// check RFC 7748 §6.1 allows ("MAY"), Noise revision 34 §12.1 permits (while calling it
/// optional), and WireGuard and ring make. A peer key of small order (or one equal to such
/// a key modulo p) forces that result whatever our scalar, so the "shared" secret would
/// hold no secret at all; refusing it costs nothing to honest peers. The scan for zeros
/// reads every byte with no early exit. `scalarMult(scalar:u:)` is the raw function of §5
/// and returns zeros as they come.
public enum X25519 {
    public static let keyByteCount = 32

    /// The base point's u-coordinate, 9, encoded (RFC 7748 §4.1).
    public static let basePoint: [UInt8] = [9] + [UInt8](repeating: 0, count: 31)

    /// A private key: 32 bytes from a cryptographically secure generator. Any 32 bytes will
    /// do; they are clamped (§5 `decodeScalar25519`) each time they are used.
    public struct PrivateKey: Sendable {
        /// The 32 secret bytes as given (not clamped). Swift gives no way to wipe copies of
        /// them from memory.
        public let bytes: [UInt8]
        /// X25519(k, 9): the 32-byte public key to send to the peer.
        public let publicKey: [UInt8]

        /// Nil unless `bytes` holds exactly 32 bytes.
        public init?<Bytes: Collection<UInt8>>(bytes: Bytes) {
            guard bytes.count == X25519.keyByteCount else { return nil }
            self.bytes = Array(bytes)
            publicKey = X25519.scalarMult(scalar: self.bytes, u: X25519.basePoint)
        }

        /// X25519(k, peer): the 32-byte shared secret, or nil when the peer key is not 32
        /// bytes or the result is all zeros (a peer key of small order; see the type's note).
        /// Feed the result to a KDF (HKDF, Noise's HKDF), never use it as a key directly.
        public func sharedSecret(with peerPublicKey: [UInt8]) -> [UInt8]? {
            guard peerPublicKey.count == X25519.keyByteCount else { return nil }
            let shared = X25519.scalarMult(scalar: bytes, u: peerPublicKey)
            var any: UInt8 = 0
            for byte in shared { any |= byte }
            // One public verdict after a scan of every byte (no early exit).
            return any == 0 ? nil : shared
        }
    }

    /// RFC 7748 §5's X25519(k, u): `scalar` is clamped, `u` read with its top bit ignored and
    /// reduced modulo p; the result is the canonical encoding of the u-coordinate of [k]u,
    /// all zeros included.
    ///
    /// - Precondition: `scalar.count == 32` and `u.count == 32`.
    public static func scalarMult(scalar: [UInt8], u: [UInt8]) -> [UInt8] {
        precondition(scalar.count == keyByteCount && u.count == keyByteCount, "X25519 takes 32-byte scalars and u-coordinates")
        // decodeScalar25519: clear the low three bits and bit 255, set bit 254.
        var k = scalar
        k[0] &= 248
        k[31] &= 127
        k[31] |= 64
        let x1 = Field25519(littleEndian: u)
        var x2 = Field25519.one, z2 = Field25519.zero
        var x3 = x1, z3 = Field25519.one
        var swap: UInt64 = 0
        // Bits 254 down to 0: 255 steps for every scalar. The byte and shift depend only on
        // the loop counter, never on the scalar's value.
        for t in stride(from: 254, through: 0, by: -1) {
            let bit = UInt64((k[t >> 3] >> UInt8(t & 7)) & 1)
            swap ^= bit
            let mask = ConstantTime.mask(bit: swap)
            Field25519.conditionalSwap(&x2, &x3, mask: mask)
            Field25519.conditionalSwap(&z2, &z3, mask: mask)
            swap = bit

            let a = x2 + z2
            let aa = a.squared()
            let b = x2 - z2
            let bb = b.squared()
            let e = aa - bb
            let c = x3 + z3
            let d = x3 - z3
            let da = d * a
            let cb = c * b
            x3 = (da + cb).squared()
            z3 = x1 * (da - cb).squared()
            x2 = aa * bb
            // z2 = E · (AA + a24·E) with a24 = 121665 (§5; the same as BB + 121666·E).
            z2 = e * (aa + e.multiplied(bySmall: 121_665))
        }
        let mask = ConstantTime.mask(bit: swap)
        Field25519.conditionalSwap(&x2, &x3, mask: mask)
        Field25519.conditionalSwap(&z2, &z3, mask: mask)
        // z2 = 0 (the point at infinity) inverts to 0 and gives the all-zero encoding.
        return (x2 * z2.inverse()).bytes
    }
}
