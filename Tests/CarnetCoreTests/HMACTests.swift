import CarnetCore
import Testing

/// RFC 4231 section 4 test cases 1–7 for HMAC-SHA-256, each fed in one piece and byte by
/// byte, and the constant-time comparison used to check MACs.
struct HMACTests {
    struct Vector: Sendable, CustomStringConvertible {
        var name: String
        var key: [UInt8]
        var data: [UInt8]
        /// The expected MAC in hex; for case 5 only the first 16 bytes (the RFC truncates).
        var expected: String
        var description: String { name }
    }

    static let vectors: [Vector] = [
        Vector(
            name: "case 1: 20-byte key of 0x0b, \"Hi There\"",
            key: [UInt8](repeating: 0x0b, count: 20),
            data: Array("Hi There".utf8),
            expected: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        ),
        Vector(
            name: "case 2: key shorter than the MAC",
            key: Array("Jefe".utf8),
            data: Array("what do ya want for nothing?".utf8),
            expected: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        ),
        Vector(
            name: "case 3: 0xaa key, 50 bytes of 0xdd",
            key: [UInt8](repeating: 0xaa, count: 20),
            data: [UInt8](repeating: 0xdd, count: 50),
            expected: "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"
        ),
        Vector(
            name: "case 4: 25-byte key 0x01...0x19, 50 bytes of 0xcd",
            key: Array(1...25),
            data: [UInt8](repeating: 0xcd, count: 50),
            expected: "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"
        ),
        Vector(
            name: "case 5: truncation to 128 bits",
            key: [UInt8](repeating: 0x0c, count: 20),
            data: Array("Test With Truncation".utf8),
            expected: "a3b6167473100ee06e0c796c2955552b"
        ),
        Vector(
            name: "case 6: 131-byte key (hashed first)",
            key: [UInt8](repeating: 0xaa, count: 131),
            data: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
            expected: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        ),
        Vector(
            name: "case 7: 131-byte key and data longer than a block",
            key: [UInt8](repeating: 0xaa, count: 131),
            data: Array(("This is a test using a larger than block-size key and a larger than block-size data. "
                + "The key needs to be hashed before being used by the HMAC algorithm.").utf8),
            expected: "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
        ),
    ]

    /// The MAC's hex, cut to the expected length (only case 5 is shorter than 64 digits).
    private func hex(_ digest: SHA256Digest, cutTo expected: String) -> String {
        String(digest.hex.prefix(expected.count))
    }

    @Test func allSevenCasesAreCovered() {
        #expect(Self.vectors.count == 7)
        #expect(Self.vectors.filter { $0.expected.count == 64 }.count == 6)
    }

    @Test(arguments: vectors)
    func oneShot(_ vector: Vector) {
        let mac = HMACSHA256.authenticate(vector.data, key: vector.key)
        #expect(hex(mac, cutTo: vector.expected) == vector.expected)
    }

    @Test(arguments: vectors)
    func byteByByte(_ vector: Vector) {
        var mac = HMACSHA256(key: vector.key)
        for byte in vector.data { mac.update(CollectionOfOne(byte)) }
        #expect(hex(mac.finalize(), cutTo: vector.expected) == vector.expected)
    }

    @Test(arguments: vectors)
    func keyGivenAsAnotherCollection(_ vector: Vector) {
        // An ArraySlice key and a lazy, non-contiguous message take the generic paths.
        let key = ([0] + vector.key)[1...]
        let mac = HMACSHA256.authenticate(vector.data.lazy.map { $0 }, key: key)
        #expect(hex(mac, cutTo: vector.expected) == vector.expected)
    }

    @Test func keyOfExactlyOneBlockIsNotHashed() {
        // 64 bytes is used as is; 65 bytes is hashed first, so the two MACs must differ
        // from each other and from the MAC under the hash of the 64-byte key.
        let block = [UInt8](repeating: 0x42, count: 64)
        let message = Array("block".utf8)
        let plain = HMACSHA256.authenticate(message, key: block)
        let hashedKey = HMACSHA256.authenticate(message, key: SHA256.hash(block).bytes)
        #expect(plain != hashedKey)
        let longKey = block + [0x42]
        #expect(HMACSHA256.authenticate(message, key: longKey) == HMACSHA256.authenticate(message, key: SHA256.hash(longKey).bytes))
    }

    @Test func constantTimeEqualsAcceptsEqualArrays() {
        #expect(HMACSHA256.constantTimeEquals([], []))
        #expect(HMACSHA256.constantTimeEquals([1, 2, 3], [1, 2, 3]))
        let mac = HMACSHA256.authenticate(Array("m".utf8), key: Array("k".utf8)).bytes
        #expect(HMACSHA256.constantTimeEquals(mac, mac))
    }

    @Test func constantTimeEqualsRejectsAnyDifferentByte() {
        let mac = HMACSHA256.authenticate(Array("m".utf8), key: Array("k".utf8)).bytes
        for index in mac.indices {
            for bit in 0..<8 {
                var forged = mac
                forged[index] ^= 1 << bit
                #expect(!HMACSHA256.constantTimeEquals(mac, forged))
            }
        }
    }

    @Test func constantTimeEqualsRejectsDifferentLengths() {
        #expect(!HMACSHA256.constantTimeEquals([1, 2, 3], [1, 2]))
        #expect(!HMACSHA256.constantTimeEquals([], [0]))
        #expect(!HMACSHA256.constantTimeEquals([0, 0], [0]))
    }
}
