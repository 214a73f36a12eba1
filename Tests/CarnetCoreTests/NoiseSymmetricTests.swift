import CarnetCore
import Testing

/// Noise's CipherState and SymmetricState (revision 34 §5.1, §5.2) against the spec's
/// formulas written out here with `HMACSHA256`, `SHA256` and `ChaCha20Poly1305` directly,
/// through the public API only.
struct NoiseSymmetricTests {
    /// §4.3 `HKDF(chaining_key, input_key_material, num_outputs)`, as the spec writes it.
    static func specHKDF(_ chainingKey: [UInt8], _ inputKeyMaterial: [UInt8]) -> [[UInt8]] {
        let tempKey = HMACSHA256.authenticate(inputKeyMaterial, key: chainingKey).bytes
        let output1 = HMACSHA256.authenticate([0x01], key: tempKey).bytes
        let output2 = HMACSHA256.authenticate(output1 + [0x02], key: tempKey).bytes
        let output3 = HMACSHA256.authenticate(output2 + [0x03], key: tempKey).bytes
        return [output1, output2, output3]
    }

    /// §12.3: 32 bits of zeros, then the counter as 64-bit little-endian.
    static func nonce(_ n: UInt64) -> ChaCha20Poly1305.Nonce {
        ChaCha20Poly1305.Nonce([0, 0, 0, 0] + (0..<8).map { UInt8(truncatingIfNeeded: n >> UInt64(8 * $0)) })!
    }

    static func seal(key: [UInt8], nonce n: UInt64, _ plaintext: [UInt8], aad: [UInt8] = []) -> [UInt8] {
        ChaCha20Poly1305(key: key)!.seal(plaintext, nonce: nonce(n), aad: aad)
    }

    static func bytes(_ count: Int, _ seed: UInt8) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0) &* 31 &+ seed } }

    @Test("InitializeSymmetric: names up to 32 bytes are zero-padded, longer ones hashed")
    func initializeSymmetric() {
        let exact = "Noise_NN_25519_ChaChaPoly_SHA256"  // 32 bytes
        let short = "Noise_N_25519_ChaChaPoly_SHA256"   // 31 bytes
        let long = "Noise_NNpsk0_25519_ChaChaPoly_SHA256"
        #expect(NoiseSymmetricState(protocolName: exact).handshakeHash == Array(exact.utf8))
        #expect(NoiseSymmetricState(protocolName: short).handshakeHash == Array(short.utf8) + [0])
        #expect(NoiseSymmetricState(protocolName: long).handshakeHash == SHA256.hash(Array(long.utf8)).bytes)
    }

    /// MixKey, MixHash, MixKeyAndHash, EncryptAndHash, DecryptAndHash and Split, step by
    /// step against the spec's formulas. This is also the check that the core's RFC 5869
    /// `HKDFSHA256` gives Noise's HKDF bytes.
    @Test("MixKey, MixHash, MixKeyAndHash, EncryptAndHash, DecryptAndHash, Split follow §5.2")
    func symmetricState() throws {
        let name = "Noise_NNpsk0_25519_ChaChaPoly_SHA256"
        var state = NoiseSymmetricState(protocolName: name)
        var ck = SHA256.hash(Array(name.utf8)).bytes
        var h = ck

        // No key yet: EncryptAndHash is the identity and hashes the plaintext.
        let early = Self.bytes(5, 1)
        #expect(!state.cipher.hasKey)
        #expect(try state.encryptAndHash(early) == early)
        h = SHA256.hash(h + early).bytes
        #expect(state.handshakeHash == h)

        let dh = Self.bytes(32, 2)
        state.mixKey(dh)
        var out = Self.specHKDF(ck, dh)
        ck = out[0]
        var key = out[1]
        #expect(state.cipher.hasKey)

        let psk = Self.bytes(32, 3)
        state.mixKeyAndHash(psk)
        out = Self.specHKDF(ck, psk)
        ck = out[0]
        h = SHA256.hash(h + out[1]).bytes
        key = out[2]
        #expect(state.handshakeHash == h)

        let payload = Self.bytes(40, 4)
        var receiver = state
        let sealed = try state.encryptAndHash(payload)
        #expect(sealed == Self.seal(key: key, nonce: 0, payload, aad: h))
        #expect(try receiver.decryptAndHash(sealed) == payload)
        h = SHA256.hash(h + sealed).bytes
        #expect(state.handshakeHash == h)
        #expect(receiver.handshakeHash == h)
        // The second message under the same key uses nonce 1.
        let second = try state.encryptAndHash(payload)
        #expect(second == Self.seal(key: key, nonce: 1, payload, aad: h))

        let (c1, c2) = state.split()
        out = Self.specHKDF(ck, [])
        var (i2r, r2i) = (c1, c2)
        #expect(try i2r.encrypt(payload) == Self.seal(key: out[0], nonce: 0, payload))
        #expect(try r2i.encrypt(payload, associatedData: [9]) == Self.seal(key: out[1], nonce: 0, payload, aad: [9]))
    }

    /// A tag that fails leaves `h` and the nonce as they were (§5.1, §5.2).
    @Test("DecryptAndHash: a bad tag changes nothing")
    func badTag() throws {
        var state = NoiseSymmetricState(protocolName: "Noise_NN_25519_ChaChaPoly_SHA256")
        state.mixKey(Self.bytes(32, 5))
        var sender = state
        var sealed = try sender.encryptAndHash(Self.bytes(10, 6))
        sealed[3] ^= 0x80
        let before = state.handshakeHash
        #expect(throws: NoiseError.decryptionFailed) { try state.decryptAndHash(sealed) }
        #expect(state.handshakeHash == before)
        #expect(state.cipher.nonce == 0)
        #expect(throws: NoiseError.messageTooShort) { try state.decryptAndHash([1, 2, 3]) }
    }

    /// The nonce layout is checked at a value whose eight bytes all differ, and n = 2^64 − 1
    /// is refused both ways (§5.1).
    @Test("CipherState: little-endian nonce after 32 zero bits; 2^64 - 1 is reserved")
    func nonces() throws {
        var state = NoiseSymmetricState(protocolName: "Noise_NN_25519_ChaChaPoly_SHA256")
        state.mixKey(Self.bytes(32, 7))
        let key = Self.specHKDF(Array("Noise_NN_25519_ChaChaPoly_SHA256".utf8), Self.bytes(32, 7))[1]
        var cipher = state.cipher
        var decipher = state.cipher
        let n: UInt64 = 0x0102_0304_0506_0708
        cipher.setNonce(n)
        decipher.setNonce(n)
        let sealed = try cipher.encrypt([42], associatedData: [1])
        #expect(sealed == Self.seal(key: key, nonce: n, [42], aad: [1]))
        #expect(cipher.nonce == n + 1)
        #expect(try decipher.decrypt(sealed, associatedData: [1]) == [42])

        cipher.setNonce(UInt64.max - 1)
        decipher.setNonce(UInt64.max - 1)
        let last = try cipher.encrypt([1])
        #expect(try decipher.decrypt(last) == [1])
        #expect(cipher.nonce == UInt64.max)
        #expect(throws: NoiseError.nonceExhausted) { try cipher.encrypt([2]) }
        #expect(throws: NoiseError.nonceExhausted) { try decipher.decrypt(last) }
        #expect(cipher.nonce == UInt64.max)
    }

    @Test("CipherState without a key passes text through")
    func noKey() throws {
        var cipher = NoiseCipherState()
        #expect(!cipher.hasKey)
        #expect(try cipher.encrypt([1, 2, 3], associatedData: [4]) == [1, 2, 3])
        #expect(try cipher.decrypt([5], associatedData: [4]) == [5])
        #expect(cipher.nonce == 0)
        cipher.rekey()
        #expect(!cipher.hasKey)
    }

    /// §4.2 REKEY(k): the first 32 bytes of ENCRYPT(k, 2^64 − 1, empty, 32 zero bytes); the
    /// nonce is kept.
    @Test("Rekey follows §4.2 and keeps the nonce")
    func rekey() throws {
        var state = NoiseSymmetricState(protocolName: "Noise_NN_25519_ChaChaPoly_SHA256")
        state.mixKey(Self.bytes(32, 8))
        let key = Self.specHKDF(Array("Noise_NN_25519_ChaChaPoly_SHA256".utf8), Self.bytes(32, 8))[1]
        var cipher = state.cipher
        _ = try cipher.encrypt([0])
        cipher.rekey()
        #expect(cipher.nonce == 1)
        let newKey = Array(Self.seal(key: key, nonce: UInt64.max, [UInt8](repeating: 0, count: 32)).prefix(32))
        #expect(try cipher.encrypt([7, 7]) == Self.seal(key: newKey, nonce: 1, [7, 7]))
    }
}
