import CarnetCore
import CarnetTestKit
import Testing

/// FIPS 180-4 example vectors for SHA-512 (NIST CSRC "Examples with intermediate values":
/// "abc", the 896-bit two-block message) and the classic empty and one-million-'a' cases,
/// then the streaming interface fed in random pieces.
struct SHA512Tests {
    @Test func oneBlockABC() {
        #expect(SHA512.hash(Array("abc".utf8)).hex
            == "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f")
    }

    @Test func emptyMessage() {
        #expect(SHA512.hash([UInt8]()).hex
            == "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e")
    }

    @Test func twoBlockMessage896Bits() {
        let message = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
        #expect(message.utf8.count * 8 == 896)
        #expect(SHA512.hash(Array(message.utf8)).hex
            == "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909")
    }

    @Test func message448Bits() {
        let message = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
        #expect(SHA512.hash(Array(message.utf8)).hex
            == "204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c33596fd15c13b1b07f9aa1d3bea57789ca031ad85c7a71dd70354ec631238ca3445")
    }

    @Test func oneMillionA() {
        let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(SHA512.hash(message).hex
            == "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973ebde0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b")
    }

    @Test func oneMillionAInPieces() {
        // The same digest when the million bytes arrive 1,000 at a time.
        var hasher = SHA512()
        let piece = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000)
        for _ in 0..<1_000 { hasher.update(piece) }
        #expect(hasher.finalize().hex
            == "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973ebde0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b")
    }

    @Test func paddingBoundaries() {
        // 111 bytes leave room for the 0x80 and the 16-byte length in one block, 112 do not.
        // Expected digests from Python's hashlib.sha512 (b"a" * n).
        #expect(SHA512.hash([UInt8](repeating: 0x61, count: 111)).hex
            == "fa9121c7b32b9e01733d034cfc78cbf67f926c7ed83e82200ef86818196921760b4beff48404df811b953828274461673c68d04e297b0eb7b2b4d60fc6b566a2")
        #expect(SHA512.hash([UInt8](repeating: 0x61, count: 112)).hex
            == "c01d080efd492776a1c43bd23dd99d0a2e626d481e16782e75d54c2503b5dc32bd05f0f1ba33e568b88fd2d970929b719ecbb152f58f130a407c8830604b70ca")
        #expect(SHA512.hash([UInt8](repeating: 0x61, count: 128)).hex
            == "b73d1929aa615934e61a871596b3f3b33359f42b8175602e89f7e06e5f658a243667807ed300314b95cacdd579f3e33abdfbe351909519a846d465c59582f321")
        for length in [111, 112, 113, 127, 128, 129, 239, 240, 255, 256] {
            let message = [UInt8](repeating: 0x61, count: length)
            var hasher = SHA512()
            for byte in message { hasher.update([byte]) }
            #expect(hasher.finalize() == SHA512.hash(message), "length \(length)")
        }
    }

    @Test func streamingInAnyChunkingMatchesOneShot() {
        let seed = testSeed(default: 512)
        var rng = SplitMix64(seed: seed)
        for round in 0..<20 {
            let length = Int.random(in: 0...2_000, using: &rng)
            let message = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let expected = SHA512.hash(message)
            for _ in 0..<10 {
                var hasher = SHA512()
                var index = 0
                var sizes: [Int] = []
                while index < message.count {
                    let size = Int.random(in: 0...300, using: &rng)
                    let end = min(message.count, index + size)
                    hasher.update(message[index..<end])
                    sizes.append(end - index)
                    index = end
                }
                let digest = hasher.finalize()
                #expect(digest == expected, "seed \(seed) (CARNET_SEED to replay), round \(round), \(length) bytes in pieces \(sizes)")
            }
        }
    }

    @Test func digestBytes() {
        let digest = SHA512.hash(Array("abc".utf8))
        #expect(digest.bytes.count == 64)
        #expect(Hex.encode(digest.bytes) == digest.hex)
        #expect(digest.description == digest.hex)
    }
}
