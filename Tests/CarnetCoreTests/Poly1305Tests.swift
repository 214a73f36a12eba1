import CarnetCore
import Testing

/// Every Poly1305 vector of RFC 8439: §2.5.2, appendix A.3 (#1–#11, the edge cases of the
/// modular arithmetic included), §2.6.2 and appendix A.4 (one-time key generation), each
/// MAC'd in one piece and in irregular chunks (the streaming buffer).
struct Poly1305Tests {
    struct Vector: Sendable, CustomStringConvertible {
        var name: String
        var key: String
        var message: [UInt8]
        var tag: String
        var description: String { name }
    }

    static let ietfKey = "36 e5 f6 b5 c5 e0 60 70 f0 ef ca 96 22 7a 86 3e"
    static let zero16 = String(repeating: "00", count: 16)

    static let vectors: [Vector] = [
        Vector(
            name: "§2.5.2 Cryptographic Forum Research Group",
            key: "85:d6:be:78:57:55:6d:33:7f:44:52:fe:42:d5:06:a8:01:03:80:8a:fb:0d:b2:fd:4a:bf:f6:af:41:49:f5:1b",
            message: Array("Cryptographic Forum Research Group".utf8),
            tag: "a8:06:1d:c1:30:51:36:c6:c2:2b:8b:af:0c:01:27:a9"),
        Vector(name: "A.3 #1", key: zero16 + zero16, message: [UInt8](repeating: 0, count: 64), tag: zero16),
        Vector(name: "A.3 #2", key: zero16 + ietfKey, message: RFC8439Texts.ietf, tag: ietfKey),
        Vector(name: "A.3 #3", key: ietfKey + zero16, message: RFC8439Texts.ietf, tag: "f3 47 7e 7c d9 54 17 af 89 a6 b8 79 4c 31 0c f0"),
        Vector(
            name: "A.3 #4",
            key: "1c 92 40 a5 eb 55 d3 8a f3 33 88 86 04 f6 b5 f0 47 39 17 c1 40 2b 80 09 9d ca 5c bc 20 70 75 c0",
            message: RFC8439Texts.jabberwocky, tag: "45 41 66 9a 7e aa ee 61 e7 08 dc 7c bc c5 eb 62"),
        Vector(
            name: "A.3 #5: h reaches p", key: "02" + String(repeating: "00", count: 15) + zero16,
            message: CryptoHex.bytes(String(repeating: "ff", count: 16)), tag: "03" + String(repeating: "00", count: 15)),
        Vector(
            name: "A.3 #6: h + s overflows 2^128", key: "02" + String(repeating: "00", count: 15) + String(repeating: "ff", count: 16),
            message: CryptoHex.bytes("02" + String(repeating: "00", count: 15)), tag: "03" + String(repeating: "00", count: 15)),
        Vector(
            name: "A.3 #7: carry propagation", key: "01" + String(repeating: "00", count: 15) + zero16,
            message: CryptoHex.bytes(
                String(repeating: "ff", count: 16) + "f0" + String(repeating: "ff", count: 15) + "11" + String(repeating: "00", count: 15)),
            tag: "05" + String(repeating: "00", count: 15)),
        Vector(
            name: "A.3 #8: h exactly p after reduction", key: "01" + String(repeating: "00", count: 15) + zero16,
            message: CryptoHex.bytes(
                String(repeating: "ff", count: 16) + "fb" + String(repeating: "fe", count: 15) + String(repeating: "01", count: 16)),
            tag: zero16),
        Vector(
            name: "A.3 #9: h just below 2p", key: "02" + String(repeating: "00", count: 15) + zero16,
            message: CryptoHex.bytes("fd" + String(repeating: "ff", count: 15)), tag: "fa" + String(repeating: "ff", count: 15)),
        Vector(
            name: "A.3 #10: 5*H+L reduction, 130-bit result", key: "01 00 00 00 00 00 00 00 04 00 00 00 00 00 00 00" + zero16,
            message: CryptoHex.bytes("""
                E3 35 94 D7 50 5E 43 B9 00 00 00 00 00 00 00 00 33 94 D7 50 5E 43 79 CD 01 00 00 00 00 00 00 00
                00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
                """),
            tag: "14 00 00 00 00 00 00 00 55 00 00 00 00 00 00 00"),
        Vector(
            name: "A.3 #11: 5*H+L reduction, 131-bit result", key: "01 00 00 00 00 00 00 00 04 00 00 00 00 00 00 00" + zero16,
            message: CryptoHex.bytes("""
                E3 35 94 D7 50 5E 43 B9 00 00 00 00 00 00 00 00 33 94 D7 50 5E 43 79 CD 01 00 00 00 00 00 00 00
                00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
                """),
            tag: "13" + String(repeating: "00", count: 15)),
    ]

    @Test("§2.5.2 and A.3", arguments: vectors)
    func tag(_ vector: Vector) {
        let key = CryptoHex.bytes(vector.key)
        let expected = CryptoHex.bytes(vector.tag)
        #expect(Poly1305.authenticate(vector.message, key: key) == expected)
        // Streaming: chunks of 1, 3, 17, 5, 1, 3, 17… bytes.
        var mac = Poly1305(key: key)
        var offset = 0, step = 0
        let sizes = [1, 3, 17, 5]
        while offset < vector.message.count {
            let end = min(vector.message.count, offset + sizes[step % sizes.count])
            mac.update(Array(vector.message[offset..<end]))
            offset = end
            step += 1
        }
        #expect(mac.finalize() == expected)
    }

    struct KeyGenVector: Sendable, CustomStringConvertible {
        var name: String
        var key: String
        var nonce: String
        var oneTimeKey: String
        var description: String { name }
    }

    static let keyGenVectors: [KeyGenVector] = [
        KeyGenVector(
            name: "§2.6.2",
            key: "80 81 82 83 84 85 86 87 88 89 8a 8b 8c 8d 8e 8f 90 91 92 93 94 95 96 97 98 99 9a 9b 9c 9d 9e 9f",
            nonce: "00 00 00 00 00 01 02 03 04 05 06 07",
            oneTimeKey: "8a d5 a0 8b 90 5f 81 cc 81 50 40 27 4a b2 94 71 a8 33 b6 37 e3 fd 0d a5 08 db b8 e2 fd d1 a6 46"),
        KeyGenVector(
            name: "A.4 #1", key: zero16 + zero16, nonce: "000000000000000000000000",
            oneTimeKey: "76 b8 e0 ad a0 f1 3d 90 40 5d 6a e5 53 86 bd 28 bd d2 19 b8 a0 8d ed 1a a8 36 ef cc 8b 77 0d c7"),
        KeyGenVector(
            name: "A.4 #2", key: String(repeating: "00", count: 31) + "01", nonce: "000000000000000000000002",
            oneTimeKey: "ec fa 25 4f 84 5f 64 74 73 d3 cb 14 0d a9 e8 76 06 cb 33 06 6c 44 7b 87 bc 26 66 dd e3 fb b7 39"),
        KeyGenVector(
            name: "A.4 #3",
            key: "1c 92 40 a5 eb 55 d3 8a f3 33 88 86 04 f6 b5 f0 47 39 17 c1 40 2b 80 09 9d ca 5c bc 20 70 75 c0",
            nonce: "000000000000000000000002",
            oneTimeKey: "96 5e 3b c6 f9 ec 7e d9 56 08 08 f4 d2 29 f9 4b 13 7f f2 75 ca 9b 3f cb dd 59 de aa d2 33 10 ae"),
    ]

    @Test("§2.6.2 and A.4 one-time key generation", arguments: keyGenVectors)
    func keyGeneration(_ vector: KeyGenVector) {
        #expect(
            Poly1305.keyGen(key: CryptoHex.bytes(vector.key), nonce: CryptoHex.bytes(vector.nonce))
                == CryptoHex.bytes(vector.oneTimeKey))
    }

    @Test("constant-time comparison: every byte position counts, lengths differ")
    func comparison() {
        let tag = [UInt8](0..<16)
        #expect(ConstantTime.equals(tag, tag))
        for index in tag.indices {
            for bit in 0..<8 {
                var forged = tag
                forged[index] ^= 1 << bit
                #expect(!ConstantTime.equals(tag, forged))
            }
        }
        #expect(!ConstantTime.equals(tag, Array(tag.prefix(15))))
    }
}
