/// Noise's SymmetricState (revision 34 §5.2): the chaining key `ck`, the handshake hash `h`
/// and a `NoiseCipherState`.
///
/// `h` commits to everything sent and received, so every AEAD tag in the handshake also
/// authenticates the transcript so far; `ck` accumulates every DH result and PSK, so the
/// final keys depend on all of them. After the handshake `h` is the channel-binding value
/// of §11.2 (Carnet signs it with the devices' Ed25519 keys).
public struct NoiseSymmetricState: Sendable {
    public static let hashLength = 32

    private var chainingKey: [UInt8]
    /// `h`, 32 bytes.
    public private(set) var handshakeHash: [UInt8]
    public private(set) var cipher = NoiseCipherState()

    /// `InitializeSymmetric(protocol_name)`: a name of at most 32 bytes is zero-padded to
    /// 32, a longer one hashed, so that `h` starts bound to the exact protocol and two
    /// peers who disagree on it fail at the first tag. `ck = h`.
    public init(protocolName: String) {
        let name = Array(protocolName.utf8)
        handshakeHash = name.count <= Self.hashLength
            ? name + [UInt8](repeating: 0, count: Self.hashLength - name.count)
            : SHA256.hash(name).bytes
        chainingKey = handshakeHash
    }

    /// `MixKey(input_key_material)`: a new `ck` and cipher key from a DH result (or, in PSK
    /// handshakes, an ephemeral public key).
    public mutating func mixKey(_ inputKeyMaterial: [UInt8]) {
        let output = Self.hkdf(chainingKey: chainingKey, inputKeyMaterial: inputKeyMaterial, outputs: 2)
        chainingKey = output[0]
        cipher = NoiseCipherState(key: output[1])
    }

    /// `MixHash(data)`: h ← SHA-256(h ‖ data).
    public mutating func mixHash(_ data: [UInt8]) {
        var hasher = SHA256()
        hasher.update(handshakeHash)
        hasher.update(data)
        handshakeHash = hasher.finalize().bytes
    }

    /// `MixKeyAndHash(input_key_material)`: for a PSK, which must reach both the keys and
    /// the transcript.
    public mutating func mixKeyAndHash(_ inputKeyMaterial: [UInt8]) {
        let output = Self.hkdf(chainingKey: chainingKey, inputKeyMaterial: inputKeyMaterial, outputs: 3)
        chainingKey = output[0]
        mixHash(output[1])
        cipher = NoiseCipherState(key: output[2])
    }

    /// `EncryptAndHash(plaintext)`: encrypts with `h` as associated data, then mixes the
    /// ciphertext into `h` (plaintext while there is no key).
    public mutating func encryptAndHash(_ plaintext: [UInt8]) throws(NoiseError) -> [UInt8] {
        let ciphertext = try cipher.encrypt(plaintext, associatedData: handshakeHash)
        mixHash(ciphertext)
        return ciphertext
    }

    /// `DecryptAndHash(ciphertext)`: the mirror of `encryptAndHash`; `h` is unchanged when
    /// the tag fails.
    public mutating func decryptAndHash(_ ciphertext: [UInt8]) throws(NoiseError) -> [UInt8] {
        let plaintext = try cipher.decrypt(ciphertext, associatedData: handshakeHash)
        mixHash(ciphertext)
        return plaintext
    }

    /// `Split()`: the two transport cipher states, initiator-to-responder first.
    public func split() -> (NoiseCipherState, NoiseCipherState) {
        let output = Self.hkdf(chainingKey: chainingKey, inputKeyMaterial: [], outputs: 2)
        return (NoiseCipherState(key: output[0]), NoiseCipherState(key: output[1]))
    }

    /// After `split()`: forgets `ck` and the cipher key, which could re-derive the transport
    /// keys, and keeps `h`, which the application still needs for channel binding (the
    /// spec lets everything but `h` be deleted after Split).
    mutating func dropKeys() {
        chainingKey = [UInt8](repeating: 0, count: Self.hashLength)
        cipher = NoiseCipherState()
    }

    /// Noise's `HKDF(chaining_key, input_key_material, num_outputs)` (§4.3). With HASHLEN 32
    /// it is RFC 5869 HKDF-SHA-256 with salt = `ck`, empty info and 32 × `outputs` bytes:
    /// the spec's temp_key is HKDF-Extract's PRK, and its output1, output2, output3 are
    /// T(1), T(2), T(3) of HKDF-Expand (T(i) = HMAC(PRK, T(i−1) ‖ info ‖ i) with empty
    /// info). So the core's `HKDFSHA256` serves; the tests check the equality against the
    /// spec's formula written with `HMACSHA256`.
    static func hkdf(chainingKey: [UInt8], inputKeyMaterial: [UInt8], outputs: Int) -> [[UInt8]] {
        precondition(outputs == 2 || outputs == 3, "Noise's HKDF gives two or three outputs")
        let prk = HKDFSHA256.extract(salt: chainingKey, inputKeyMaterial: inputKeyMaterial)
        let bytes: [UInt8]
        do {
            bytes = try HKDFSHA256.expand(pseudorandomKey: prk, info: [], length: outputs * hashLength)
        } catch {
            preconditionFailure("64 or 96 bytes are within HKDF's 8,160")
        }
        return (0..<outputs).map { Array(bytes[($0 * hashLength)..<(($0 + 1) * hashLength)]) }
    }
}
