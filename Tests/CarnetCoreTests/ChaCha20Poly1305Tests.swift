import CarnetCore
import Foundation
import Testing

/// The AEAD of RFC 8439: the §2.8.2 example (seal) and appendix A.5 (open), Project
/// Wycheproof's `chacha20_poly1305_test.json` (every group and test), and a seeded property
/// test: seal then open round-trips, and any flipped bit of ciphertext, tag, AAD or nonce
/// is refused.
struct ChaCha20Poly1305Tests {
    @Test("§2.8.2 seal: the sunscreen text")
    func rfcSeal() throws {
        let aead = try #require(ChaCha20Poly1305(key: [UInt8](0x80...0x9f)))
        let nonce = try #require(ChaCha20Poly1305.Nonce(CryptoHex.bytes("07 00 00 00 40 41 42 43 44 45 46 47")))
        let aad = CryptoHex.bytes("50 51 52 53 c0 c1 c2 c3 c4 c5 c6 c7")
        let ciphertext = CryptoHex.bytes("""
            d3 1a 8d 34 64 8e 60 db 7b 86 af bc 53 ef 7e c2 a4 ad ed 51 29 6e 08 fe a9 e2 b5 a7 36 ee 62 d6
            3d be a4 5e 8c a9 67 12 82 fa fb 69 da 92 72 8b 1a 71 de 0a 9e 06 0b 29 05 d6 a5 b6 7e cd 3b 36
            92 dd bd 7f 2d 77 8b 8c 98 03 ae e3 28 09 1b 58 fa b3 24 e4 fa d6 75 94 55 85 80 8b 48 31 d7 bc
            3f f4 de f0 8e 4b 7a 9d e5 76 d2 65 86 ce c6 4b 61 16
            """)
        let tag = CryptoHex.bytes("1a:e1:0b:59:4f:09:e2:6a:7e:90:2e:cb:d0:60:06:91")
        let sealed = aead.seal(RFC8439Texts.sunscreen, nonce: nonce, aad: aad)
        #expect(sealed == ciphertext + tag)
        #expect(aead.open(sealed, nonce: nonce, aad: aad) == RFC8439Texts.sunscreen)
    }

    @Test("A.5 open: the Internet-Drafts text")
    func rfcOpen() throws {
        let aead = try #require(ChaCha20Poly1305(key: CryptoHex.bytes(
            "1c 92 40 a5 eb 55 d3 8a f3 33 88 86 04 f6 b5 f0 47 39 17 c1 40 2b 80 09 9d ca 5c bc 20 70 75 c0")))
        let nonce = try #require(ChaCha20Poly1305.Nonce(CryptoHex.bytes("00 00 00 00 01 02 03 04 05 06 07 08")))
        let aad = CryptoHex.bytes("f3 33 88 86 00 00 00 00 00 00 4e 91")
        let ciphertext = CryptoHex.bytes("""
            64 a0 86 15 75 86 1a f4 60 f0 62 c7 9b e6 43 bd 5e 80 5c fd 34 5c f3 89 f1 08 67 0a c7 6c 8c b2
            4c 6c fc 18 75 5d 43 ee a0 9e e9 4e 38 2d 26 b0 bd b7 b7 3c 32 1b 01 00 d4 f0 3b 7f 35 58 94 cf
            33 2f 83 0e 71 0b 97 ce 98 c8 a8 4a bd 0b 94 81 14 ad 17 6e 00 8d 33 bd 60 f9 82 b1 ff 37 c8 55
            97 97 a0 6e f4 f0 ef 61 c1 86 32 4e 2b 35 06 38 36 06 90 7b 6a 7c 02 b0 f9 f6 15 7b 53 c8 67 e4
            b9 16 6c 76 7b 80 4d 46 a5 9b 52 16 cd e7 a4 e9 90 40 c5 a4 04 33 22 5e e2 82 a1 b0 a0 6c 52 3e
            af 45 34 d7 f8 3f a1 15 5b 00 47 71 8c bc 54 6a 0d 07 2b 04 b3 56 4e ea 1b 42 22 73 f5 48 27 1a
            0b b2 31 60 53 fa 76 99 19 55 eb d6 31 59 43 4e ce bb 4e 46 6d ae 5a 10 73 a6 72 76 27 09 7a 10
            49 e6 17 d9 1d 36 10 94 fa 68 f0 ff 77 98 71 30 30 5b ea ba 2e da 04 df 99 7b 71 4d 6c 6f 2c 29
            a6 ad 5c b4 02 2b 02 70 9b
            """)
        let tag = CryptoHex.bytes("ee ad 9d 67 89 0c bb 22 39 23 36 fe a1 85 1f 38")
        #expect(aead.open(ciphertext + tag, nonce: nonce, aad: aad) == RFC8439Texts.internetDrafts)
        #expect(aead.seal(RFC8439Texts.internetDrafts, nonce: nonce, aad: aad) == ciphertext + tag)
        var forged = tag
        forged[15] ^= 1
        #expect(aead.open(ciphertext + forged, nonce: nonce, aad: aad) == nil)
    }

    // MARK: Project Wycheproof

    static let wycheproofFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/vectors/wycheproof/chacha20_poly1305_test.json")

    /// Every test of every group. A valid test must seal to ct ‖ tag and open to msg; an
    /// invalid one (modified tag, nonce of another size) must be refused: the key or nonce
    /// is not accepted, or `open` returns nil.
    @Test("Wycheproof chacha20_poly1305_test.json")
    func wycheproof() throws {
        let data = try Data(contentsOf: Self.wycheproofFile)
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(root["algorithm"] as? String == "CHACHA20-POLY1305")
        let groups = try #require(root["testGroups"] as? [[String: Any]])
        var valid = 0, invalid = 0, total = 0
        for group in groups {
            let tests = try #require(group["tests"] as? [[String: Any]])
            for test in tests {
                total += 1
                let id = test["tcId"] as? Int ?? -1
                func field(_ name: String) -> [UInt8] { CryptoHex.bytes(test[name] as? String ?? "") }
                let (key, iv, aad, msg, ct, tag) = (field("key"), field("iv"), field("aad"), field("msg"), field("ct"), field("tag"))
                let result = test["result"] as? String
                let aead = ChaCha20Poly1305(key: key)
                let nonce = ChaCha20Poly1305.Nonce(iv)
                switch result {
                case "valid":
                    guard let aead, let nonce else {
                        Issue.record("tcId \(id): valid test, key or nonce refused")
                        continue
                    }
                    #expect(aead.seal(msg, nonce: nonce, aad: aad) == ct + tag, "tcId \(id): seal")
                    #expect(aead.open(ct + tag, nonce: nonce, aad: aad) == msg, "tcId \(id): open")
                    valid += 1
                case "invalid":
                    if let aead, let nonce {
                        #expect(aead.open(ct + tag, nonce: nonce, aad: aad) == nil, "tcId \(id): invalid test opened")
                    }
                    invalid += 1
                default:
                    Issue.record("tcId \(id): unexpected result \(result ?? "nil")")
                }
            }
        }
        print("Wycheproof chacha20_poly1305: \(groups.count) groups, \(total) tests, \(valid) valid passed, \(invalid) invalid refused")
        #expect(total == root["numberOfTests"] as? Int)
        #expect(groups.count == 10)
        #expect(valid == 256)
        #expect(invalid == 69)
    }

    // MARK: Property

    /// Seeded: the seed is in the test's name, so a failure replays.
    @Test("seal then open over random keys, nonces, AAD and lengths; any flipped bit fails", arguments: [UInt64(20_261_205), 7, 1_234_567])
    func roundTrip(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &random) } }
        for length in [0, 1, 15, 16, 17, 63, 64, 65, 127, 128, 129, 1000, 4097] {
            let aead = try #require(ChaCha20Poly1305(key: bytes(32)))
            let nonce = try #require(ChaCha20Poly1305.Nonce(bytes(12)))
            let aad = bytes(Int.random(in: 0...40, using: &random))
            let plaintext = bytes(length)
            let sealed = aead.seal(plaintext, nonce: nonce, aad: aad)
            #expect(sealed.count == length + 16)
            #expect(aead.open(sealed, nonce: nonce, aad: aad) == plaintext, "seed \(seed), length \(length)")
            // A few random bit flips in the sealed bytes, plus the first and last bit.
            var positions = [0, sealed.count * 8 - 1]
            for _ in 0..<6 { positions.append(Int.random(in: 0..<(sealed.count * 8), using: &random)) }
            for bit in positions {
                var forged = sealed
                forged[bit / 8] ^= 1 << UInt8(bit % 8)
                #expect(aead.open(forged, nonce: nonce, aad: aad) == nil, "seed \(seed), length \(length), bit \(bit)")
            }
            if !aad.isEmpty {
                var otherAAD = aad
                otherAAD[Int.random(in: 0..<aad.count, using: &random)] ^= 0x80
                #expect(aead.open(sealed, nonce: nonce, aad: otherAAD) == nil)
            }
            var otherNonce = nonce.bytes
            otherNonce[Int.random(in: 0..<12, using: &random)] ^= 1
            #expect(aead.open(sealed, nonce: try #require(ChaCha20Poly1305.Nonce(otherNonce)), aad: aad) == nil)
            #expect(aead.open(Array(sealed.dropLast()), nonce: nonce, aad: aad) == nil)
        }
    }

    @Test("keys and nonces of other sizes are refused; input shorter than a tag does not open")
    func sizes() throws {
        #expect(ChaCha20Poly1305(key: [UInt8](repeating: 1, count: 31)) == nil)
        #expect(ChaCha20Poly1305(key: [UInt8](repeating: 1, count: 33)) == nil)
        for size in [0, 8, 11, 13, 16, 24] {
            #expect(ChaCha20Poly1305.Nonce([UInt8](repeating: 0, count: size)) == nil)
        }
        let aead = try #require(ChaCha20Poly1305(key: [UInt8](repeating: 1, count: 32)))
        let nonce = try #require(ChaCha20Poly1305.Nonce([UInt8](repeating: 0, count: 12)))
        for count in 0..<16 {
            #expect(aead.open([UInt8](repeating: 0, count: count), nonce: nonce) == nil)
        }
    }
}
