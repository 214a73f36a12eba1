/// Noise's CipherState (revision 34 §5.1) for ChaChaPoly: a key `k` (or none yet) and a
/// 64-bit message counter `n` used as the nonce.
///
/// The counter is the whole of Noise's nonce discipline: both sides count the messages
/// they have seen, so a nonce never repeats under a key (a repeat would reveal the XOR of
/// two plaintexts and let a forger make tags) and never travels on the wire. Before a key
/// exists (early handshake messages) encryption is the identity, as the spec says, so the
/// same code path serves every token.
///
/// A value type: a copy is a second counter over the same key, so the owner must keep one
/// copy per direction and drop the others.
public struct NoiseCipherState: Sendable {
    /// Noise's maximum nonce, reserved for `rekey` and never used for a message (§5.1).
    public static let reservedNonce = UInt64.max

    /// `k`, when one has been set. A secret; Swift gives no way to wipe copies of it.
    private var key: [UInt8]?
    /// `n`: the nonce of the next message.
    public private(set) var nonce: UInt64 = 0

    /// `InitializeKey(empty)`: a cipher state that passes text through until it gets a key.
    public init() {}

    /// `InitializeKey(key)`: `key` must be 32 bytes (it comes from Noise's HKDF, never from
    /// a caller, so another length is a programming error).
    init(key: [UInt8]) {
        precondition(key.count == ChaCha20Poly1305.keySize, "Noise cipher keys are 32 bytes")
        self.key = key
    }

    /// `HasKey()`: whether messages are encrypted yet. Public knowledge (it depends only on
    /// the pattern and the position in it), so branching on it leaks nothing.
    public var hasKey: Bool { key != nil }

    /// `SetNonce(nonce)`: for transports that carry an explicit counter and accept messages
    /// out of order (§11.4); a stream such as TCP never needs it. Setting an old value
    /// again reuses nonces, so only a caller that tracks which nonces it has seen may.
    public mutating func setNonce(_ nonce: UInt64) {
        self.nonce = nonce
    }

    /// `EncryptWithAd(ad, plaintext)`: ciphertext ‖ 16-byte tag under the next nonce, or the
    /// plaintext itself while there is no key. Throws `nonceExhausted` at 2^64 − 1.
    public mutating func encrypt(_ plaintext: [UInt8], associatedData: [UInt8] = []) throws(NoiseError) -> [UInt8] {
        guard let key else { return plaintext }
        guard nonce != Self.reservedNonce else { throw .nonceExhausted }
        let aead = Self.aead(key)
        let sealed = aead.seal(plaintext, nonce: Self.chachaNonce(nonce), aad: associatedData)
        nonce += 1
        return sealed
    }

    /// `DecryptWithAd(ad, ciphertext)`: the plaintext, or `decryptionFailed` when the tag
    /// does not match (then, as the spec says, `n` does not advance, so one forged packet
    /// on a datagram transport does not desynchronise the peers). The input itself while
    /// there is no key.
    public mutating func decrypt(_ ciphertext: [UInt8], associatedData: [UInt8] = []) throws(NoiseError) -> [UInt8] {
        guard let key else { return ciphertext }
        guard nonce != Self.reservedNonce else { throw .nonceExhausted }
        guard ciphertext.count >= ChaCha20Poly1305.tagSize else { throw .messageTooShort }
        let aead = Self.aead(key)
        guard let plaintext = aead.open(ciphertext, nonce: Self.chachaNonce(nonce), aad: associatedData) else {
            throw .decryptionFailed
        }
        nonce += 1
        return plaintext
    }

    /// `Rekey()` (§4.2, §11.3): k ← the first 32 bytes of ENCRYPT(k, 2^64 − 1, empty, 32
    /// zeros). Lets a long-lived session bound what one compromised key reveals; both peers
    /// must rekey at the same message, by a rule of the application. `n` is unchanged. Does
    /// nothing without a key.
    public mutating func rekey() {
        guard let key else { return }
        let sealed = Self.aead(key).seal([UInt8](repeating: 0, count: 32), nonce: Self.chachaNonce(Self.reservedNonce))
        self.key = Array(sealed.prefix(32))
    }

    /// ChaChaPoly's nonce (§12.3): 32 bits of zeros, then `n` as 64-bit little-endian.
    static func chachaNonce(_ n: UInt64) -> ChaCha20Poly1305.Nonce {
        var bytes = [UInt8](repeating: 0, count: ChaCha20Poly1305.nonceSize)
        for index in 0..<8 {
            bytes[4 + index] = UInt8(truncatingIfNeeded: n >> UInt64(8 * index))
        }
        guard let nonce = ChaCha20Poly1305.Nonce(bytes) else { preconditionFailure("twelve bytes by construction") }
        return nonce
    }

    private static func aead(_ key: [UInt8]) -> ChaCha20Poly1305 {
        guard let aead = ChaCha20Poly1305(key: key) else { preconditionFailure("32 bytes by init(key:) and rekey") }
        return aead
    }
}
