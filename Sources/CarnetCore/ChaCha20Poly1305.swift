/// The AEAD construction AEAD_CHACHA20_POLY1305 of RFC 8439 §2.8: ChaCha20 encryption
/// (from block counter 1) with a Poly1305 tag over the additional data and the ciphertext,
/// under a one-time key drawn from block 0 (§2.6).
///
/// This is the cipher of Noise's `ChaChaPoly` suite and of WireGuard; Carnet's sealed links
/// and bundles (issue 18) are built on it. `seal` returns ciphertext ‖ tag; `open` checks the
/// tag *before* decrypting and returns nothing at all, not even a partial plaintext, when it
/// does not match.
///
/// **Constant time.** ChaCha20 and Poly1305 are constant-time (see their files); the tag
/// comparison reads all 16 bytes and ORs their differences, with no early exit. Whether the
/// tag matched is the one bit the function reveals, as it must.
///
/// **Nonces.** A nonce must never repeat under one key: a repeat reveals the XOR of two
/// plaintexts and lets a forger compute tags. The caller's protocol owns that rule (Noise
/// uses a message counter).
public struct ChaCha20Poly1305: Sendable {
    public static let keySize = 32
    public static let nonceSize = 12
    public static let tagSize = 16

    /// A 96-bit nonce: only a value of this type can reach `seal` and `open`, so a nonce of
    /// any other length is refused where it is made.
    public struct Nonce: Sendable, Equatable {
        public let bytes: [UInt8]

        /// Nil unless exactly 12 bytes (RFC 8439 allows no other size).
        public init?<Bytes: Collection<UInt8>>(_ bytes: Bytes) {
            guard bytes.count == ChaCha20Poly1305.nonceSize else { return nil }
            self.bytes = Array(bytes)
        }
    }

    private let key: [UInt8]

    /// Nil unless the key is exactly 32 bytes.
    public init?<Key: Collection<UInt8>>(key: Key) {
        guard key.count == Self.keySize else { return nil }
        self.key = Array(key)
    }

    /// Encrypts `plaintext` and authenticates it with `aad`; returns ciphertext ‖ 16-byte tag.
    /// Precondition: the plaintext fits the 32-bit block counter (under 256 GiB).
    public func seal(_ plaintext: [UInt8], nonce: Nonce, aad: [UInt8] = []) -> [UInt8] {
        let cipher = ChaCha20.State(key: key, nonce: nonce.bytes)
        var sealed: [UInt8] = []
        sealed.reserveCapacity(plaintext.count + Self.tagSize)
        sealed.append(contentsOf: plaintext)
        sealed.withUnsafeMutableBytes { cipher.xor(counter: 1, in: $0) }
        let tag = sealed.withUnsafeBytes { Self.tag(ciphertext: $0, aad: aad, cipher: cipher) }
        sealed.append(contentsOf: tag)
        return sealed
    }

    /// Checks the tag of ciphertext ‖ tag with `aad`; returns the plaintext when it matches,
    /// nil otherwise (and for input shorter than a tag). Nothing is decrypted before the
    /// tag has been checked.
    public func open(_ sealed: [UInt8], nonce: Nonce, aad: [UInt8] = []) -> [UInt8]? {
        guard sealed.count >= Self.tagSize else { return nil }
        let cipher = ChaCha20.State(key: key, nonce: nonce.bytes)
        let length = sealed.count - Self.tagSize
        let matches = sealed.withUnsafeBytes { bytes in
            let expected = Self.tag(ciphertext: UnsafeRawBufferPointer(rebasing: bytes[..<length]), aad: aad, cipher: cipher)
            return ConstantTime.equals(expected, Array(bytes[length...]))
        }
        guard matches else { return nil }
        var plaintext = Array(sealed[..<length])
        plaintext.withUnsafeMutableBytes { cipher.xor(counter: 1, in: $0) }
        return plaintext
    }

    /// The tag of §2.8: Poly1305, under the one-time key of block 0 (§2.6), over aad, zero
    /// padding to 16, ciphertext, zero padding to 16, then both lengths as 64-bit
    /// little-endian numbers.
    private static func tag(ciphertext: UnsafeRawBufferPointer, aad: [UInt8], cipher: ChaCha20.State) -> [UInt8] {
        var mac = Poly1305(key: cipher.oneTimeKey())
        let zeros = [UInt8](repeating: 0, count: 16)
        mac.update(aad)
        mac.update(Array(zeros.prefix((16 - aad.count % 16) % 16)))
        mac.update(ciphertext)
        mac.update(Array(zeros.prefix((16 - ciphertext.count % 16) % 16)))
        var lengths = [UInt8](repeating: 0, count: 16)
        for byte in 0..<8 {
            lengths[byte] = UInt8(truncatingIfNeeded: UInt64(aad.count) >> (8 * UInt64(byte)))
            lengths[8 + byte] = UInt8(truncatingIfNeeded: UInt64(ciphertext.count) >> (8 * UInt64(byte)))
        }
        mac.update(lengths)
        return mac.finalize()
    }
}
