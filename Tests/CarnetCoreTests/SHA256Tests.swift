import CarnetCore
import CarnetTestKit
import Testing

/// FIPS 180-4 example vectors (NIST CSRC "Examples with intermediate values") and the
/// classic long-message cases.
struct SHA256Tests {
    @Test func emptyMessage() {
        #expect(SHA256.hash([UInt8]()).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func oneBlockABC() {
        #expect(SHA256.hash(Array("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func twoBlockMessage() {
        let message = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
        #expect(SHA256.hash(Array(message.utf8)).hex == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func fourBlockMessage() {
        let message = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
        #expect(SHA256.hash(Array(message.utf8)).hex == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
    }

    @Test func oneMillionA() {
        let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(SHA256.hash(message).hex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func streamingInAnyChunkingMatchesOneShot() {
        var rng = SplitMix64(seed: 7)
        let message = (0..<1000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let expected = SHA256.hash(message)
        for _ in 0..<50 {
            var hasher = SHA256()
            var index = 0
            while index < message.count {
                let size = Int.random(in: 0...130, using: &rng)
                let end = min(message.count, index + size)
                hasher.update(message[index..<end])
                index = end
            }
            #expect(hasher.finalize() == expected)
        }
    }

    @Test func paddingBoundaries() {
        // Lengths around the 55/56/64-byte padding edges, checked against a reference
        // computed by feeding one byte at a time.
        for length in [55, 56, 57, 63, 64, 65, 119, 120, 127, 128] {
            let message = [UInt8](repeating: 0x61, count: length)
            var hasher = SHA256()
            for byte in message { hasher.update([byte]) }
            #expect(hasher.finalize() == SHA256.hash(message), "length \(length)")
        }
        #expect(SHA256.hash([UInt8](repeating: 0x61, count: 64)).hex == "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb")
    }

    @Test func digestBytesRoundTrip() {
        let digest = SHA256.hash(Array("abc".utf8))
        #expect(SHA256Digest(bytes: digest.bytes) == digest)
        #expect(SHA256Digest(bytes: [UInt8](repeating: 0, count: 31)) == nil)
        #expect(Hex.decode(digest.hex) == digest.bytes)
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
    }
}

