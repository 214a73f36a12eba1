import CarnetCore
import Testing

/// RFC 5869 appendix A test cases 1–3 (the SHA-256 ones), PRK and OKM, and the refusal of
/// an output longer than 255 blocks.
struct HKDFTests {
    struct Vector: Sendable, CustomStringConvertible {
        var name: String
        var ikm: [UInt8]
        var salt: [UInt8]
        var info: [UInt8]
        var length: Int
        var prk: String
        var okm: String
        var description: String { name }
    }

    static let vectors: [Vector] = [
        Vector(
            name: "A.1 basic", ikm: [UInt8](repeating: 0x0b, count: 22), salt: [UInt8](0x00...0x0c), info: [UInt8](0xf0...0xf9),
            length: 42,
            prk: "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
            okm: "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"),
        Vector(
            name: "A.2 longer inputs and outputs", ikm: [UInt8](0x00...0x4f), salt: [UInt8](0x60...0xaf),
            info: [UInt8](0xb0...0xff), length: 82,
            prk: "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
            okm: """
                b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09
                da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87
                """),
        Vector(
            name: "A.3 zero-length salt and info", ikm: [UInt8](repeating: 0x0b, count: 22), salt: [], info: [], length: 42,
            prk: "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
            okm: "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"),
    ]

    @Test("RFC 5869 appendix A, SHA-256", arguments: vectors)
    func vector(_ vector: Vector) throws {
        let prk = HKDFSHA256.extract(salt: vector.salt, inputKeyMaterial: vector.ikm)
        #expect(prk == CryptoHex.bytes(vector.prk))
        let okm = try HKDFSHA256.expand(pseudorandomKey: prk, info: vector.info, length: vector.length)
        #expect(okm == CryptoHex.bytes(vector.okm))
        #expect(try HKDFSHA256.deriveKey(salt: vector.salt, inputKeyMaterial: vector.ikm, info: vector.info, length: vector.length) == okm)
        // A shorter output is a prefix of the longer one.
        #expect(try HKDFSHA256.expand(pseudorandomKey: prk, info: vector.info, length: 7) == Array(okm.prefix(7)))
    }

    @Test("output length: 255 × 32 bytes at most, and not negative")
    func lengthLimit() throws {
        let prk = [UInt8](repeating: 7, count: 32)
        #expect(try HKDFSHA256.expand(pseudorandomKey: prk, info: [], length: 255 * 32).count == 8160)
        #expect(try HKDFSHA256.expand(pseudorandomKey: prk, info: [], length: 0).isEmpty)
        #expect(throws: HKDFSHA256.Error.outputLengthOutOfRange(requested: 8161)) {
            try HKDFSHA256.expand(pseudorandomKey: prk, info: [], length: 8161)
        }
        #expect(throws: HKDFSHA256.Error.outputLengthOutOfRange(requested: -1)) {
            try HKDFSHA256.expand(pseudorandomKey: prk, info: [], length: -1)
        }
    }
}
