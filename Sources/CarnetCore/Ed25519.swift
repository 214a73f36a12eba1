/// Ed25519 signatures, PureEd25519 of RFC 8032 §5.1, written here because Carnet takes no
/// package dependencies. Checked in the tests against the RFC's §7.1 vectors and every test
/// group of Project Wycheproof's `ed25519_test.json`.
///
/// Signing is constant time: SHA-512, reduction modulo L, the scalar multiplication of the
/// base point (fixed windows, tables read whole and chosen by mask) and the encoding of R
/// run the same instructions on the same memory for every key and message of a length.
///
/// Verification works on public data and may branch. It accepts a signature exactly when
/// 1. the signature is 64 bytes and the public key 32 bytes (§5.1.7);
/// 2. the public key decodes (§5.1.3): y below p, x² = (y² − 1)/(d·y² + 1) has a root, and
///    not x = 0 with the sign bit set — checked once, in `PublicKey(bytes:)`;
/// 3. S, the second half, is below L (§5.1.7; no other encoding of the same scalar passes,
///    so signatures are not malleable);
/// 4. the canonical encoding of [S]B − [k]A, k = SHA-512(R ‖ A ‖ M) mod L, equals the first
///    half R byte for byte. That is the RFC's decoding of R with its equation
///    [S]B = R + [k]A: every R that fails to decode (y ≥ p, off the curve, x = 0 with the sign
///    bit) differs from every canonical encoding, and a decodable R is equal to the point
///    exactly when its bytes are that point's encoding.
///
/// The equation is the cofactorless one, which §5.1.7 names as sufficient (Go's
/// crypto/ed25519 and libsodium check the same equation; libsodium also refuses R and A of
/// small order). A signature whose R or A has a component of small order may verify under
/// one equation and not the other, but honest signers never make one, and every Carnet
/// replica runs this code, so all of them reach the same verdict. Public keys of small
/// order are accepted here as the RFC accepts them; `isOfSmallOrder` lets a caller that
/// enrols keys refuse them (no honest key has small order).
///
/// Wycheproof marks some vectors `acceptable` where implementations may differ; the
/// committed file has none (88 valid, 63 invalid), and its test fails if one appears, so
/// the verdict for it gets decided and written down rather than taken silently.
public enum Ed25519 {
    public static let seedByteCount = 32
    public static let publicKeyByteCount = 32
    public static let signatureByteCount = 64

    /// A signing key: the 32-byte seed of RFC 8032 §5.1.5 and what it expands to. The seed
    /// is the secret; Swift gives no way to wipe its copies from memory, so keep private keys
    /// few and long-lived rather than re-created per use.
    public struct PrivateKey: Sendable {
        /// The 32-byte secret from which everything else derives.
        public let seed: [UInt8]
        /// The secret scalar s: the low half of SHA-512(seed), clamped, modulo L.
        let scalar: Scalar25519
        /// The high half of SHA-512(seed), hashed with each message into its nonce.
        let prefix: [UInt8]
        public let publicKey: PublicKey

        /// Expands a 32-byte seed (RFC 8032 §5.1.5); nil for any other length. Any 32 bytes
        /// are a valid seed: generate them with a cryptographically secure generator.
        public init?<Seed: Collection<UInt8>>(seed: Seed) {
            guard seed.count == Ed25519.seedByteCount else { return nil }
            self.seed = Array(seed)
            let hash = SHA512.hash(self.seed).bytes
            var clamped = Array(hash[0..<32])
            clamped[0] &= 248
            clamped[31] &= 127
            clamped[31] |= 64
            scalar = Scalar25519(reducing: clamped)
            prefix = Array(hash[32..<64])
            let point = EdwardsPoint.baseMultiple(scalar)
            // Computed, not decoded: the point is on the curve and its encoding canonical.
            publicKey = PublicKey(trustedBytes: point.encoded, point: point)
        }

        /// The 64-byte signature R ‖ S of `message` (RFC 8032 §5.1.6). Deterministic: the
        /// same key and message always give the same signature.
        public func sign<Message: Collection<UInt8>>(_ message: Message) -> [UInt8] {
            var nonceHash = SHA512()
            nonceHash.update(prefix)
            nonceHash.update(message)
            let r = Scalar25519(reducing: nonceHash.finalize().bytes)
            let encodedR = EdwardsPoint.baseMultiple(r).encoded
            let k = Ed25519.challenge(encodedR: encodedR, publicKey: publicKey.bytes, message: message)
            let s = r + k * scalar
            return encodedR + s.bytes
        }
    }

    /// A verifying key: the 32-byte encoding of the point A, decoded once.
    public struct PublicKey: Sendable, Hashable {
        /// The 32-byte encoding, as it travels.
        public let bytes: [UInt8]
        let point: EdwardsPoint

        /// Decodes a public key (RFC 8032 §5.1.3); nil when it is not 32 bytes, when y is
        /// not below p, when the point is not on the curve, or when x = 0 with the sign bit set.
        public init?<Bytes: Collection<UInt8>>(bytes: Bytes) {
            guard let point = EdwardsPoint(encoded: bytes) else { return nil }
            self.bytes = Array(bytes)
            self.point = point
        }

        init(trustedBytes: [UInt8], point: EdwardsPoint) {
            self.bytes = trustedBytes
            self.point = point
        }

        /// Whether `signature` is a valid Ed25519 signature of `message` by this key (RFC
        /// 8032 §5.1.7; the rules are listed on `Ed25519`). Wrong lengths, S ≥ L and
        /// non-canonical or invalid R are refused.
        public func isValidSignature<Signature: Collection<UInt8>, Message: Collection<UInt8>>(
            _ signature: Signature, for message: Message
        ) -> Bool {
            guard signature.count == Ed25519.signatureByteCount else { return false }
            let bytes = Array(signature)
            let encodedR = Array(bytes[0..<32])
            guard let s = Scalar25519(canonical: bytes[32..<64]) else { return false }
            let k = Ed25519.challenge(encodedR: encodedR, publicKey: self.bytes, message: message)
            let recovered = EdwardsPoint.baseMultiple(s) - point.multiple(k)
            return recovered.encoded == encodedR
        }

        /// True when A has small order (8A is the identity). No key made by `PrivateKey`
        /// has; such a key lets one signature verify for many messages, so a caller that
        /// enrols keys may refuse them.
        public var isOfSmallOrder: Bool { point.isOfSmallOrder }

        public static func == (a: PublicKey, b: PublicKey) -> Bool { a.bytes == b.bytes }
        public func hash(into hasher: inout Hasher) { hasher.combine(bytes) }
    }

    /// k = SHA-512(R ‖ A ‖ M) mod L.
    static func challenge<Message: Collection<UInt8>>(encodedR: [UInt8], publicKey: [UInt8], message: Message) -> Scalar25519 {
        var hash = SHA512()
        hash.update(encodedR)
        hash.update(publicKey)
        hash.update(message)
        return Scalar25519(reducing: hash.finalize().bytes)
    }
}

extension Ed25519.PrivateKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Names the key by its public half: printing, interpolating or dumping a private key
    /// never shows the seed.
    public var description: String { "Ed25519.PrivateKey(public key \(Hex.encode(publicKey.bytes)))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["publicKey": publicKey]) }
}

extension Ed25519.PublicKey: CustomStringConvertible {
    public var description: String { Hex.encode(bytes) }
}
