import CarnetCore
import CarnetTestKit
import Testing

/// RFC 8032 §7.1 test vectors for Ed25519 (keys, public keys and signatures byte for byte),
/// the points and rules underneath, and sign-then-verify over random keys and messages.
///
/// The vectors are the RFC's; the signatures were also reproduced with OpenSSL 3.0
/// (Python `cryptography`) when these tests were written. TEST 1024's 1,023-byte message is
/// the one of Wycheproof's test 83 ("draft-josefsson-eddsa-ed25519-02: Test 1024"), the
/// same message as the RFC's.
struct Ed25519Tests {
    struct Vector: Sendable, CustomStringConvertible {
        var name: String
        var seed: String
        var publicKey: String
        var message: [UInt8]
        var signature: String
        var description: String { name }
    }

    static let vectors: [Vector] = [
        Vector(
            name: "TEST 1",
            seed: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            publicKey: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            message: [],
            signature: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
                + "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        ),
        Vector(
            name: "TEST 2",
            seed: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            publicKey: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            message: [0x72],
            signature: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
                + "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
        ),
        Vector(
            name: "TEST 3",
            seed: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
            publicKey: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
            message: [0xaf, 0x82],
            signature: "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
                + "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"
        ),
        Vector(
            name: "TEST 1024",
            seed: "f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5",
            publicKey: "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e",
            message: Hex.decode(test1024Message)!,
            signature: "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350"
                + "aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03"
        ),
        Vector(
            name: "TEST SHA(abc)",
            seed: "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
            publicKey: "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
            message: SHA512.hash(Array("abc".utf8)).bytes,
            signature: "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589"
                + "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"
        ),
    ]

    @Test(arguments: vectors)
    func rfc8032Vector(_ vector: Vector) throws {
        let key = try #require(Ed25519.PrivateKey(seed: Hex.decode(vector.seed)!))
        #expect(Hex.encode(key.seed) == vector.seed)
        #expect(Hex.encode(key.publicKey.bytes) == vector.publicKey)
        let signature = key.sign(vector.message)
        #expect(Hex.encode(signature) == vector.signature)

        let publicKey = try #require(Ed25519.PublicKey(bytes: Hex.decode(vector.publicKey)!))
        #expect(publicKey == key.publicKey)
        #expect(publicKey.isValidSignature(Hex.decode(vector.signature)!, for: vector.message))
        #expect(!publicKey.isOfSmallOrder)
        // Any other message fails.
        #expect(!publicKey.isValidSignature(signature, for: vector.message + [0]))
    }

    @Test func rfc8032MessageLengths() {
        #expect(Self.vectors.map(\.message.count) == [0, 1, 2, 1023, 64])
    }

    @Test func wrongLengthsAreRefused() throws {
        #expect(Ed25519.PrivateKey(seed: [UInt8](repeating: 1, count: 31)) == nil)
        #expect(Ed25519.PrivateKey(seed: [UInt8](repeating: 1, count: 33)) == nil)
        let vector = Self.vectors[1]
        #expect(Ed25519.PublicKey(bytes: Hex.decode(vector.publicKey)!.dropLast()) == nil)
        #expect(Ed25519.PublicKey(bytes: Hex.decode(vector.publicKey)! + [0]) == nil)
        let key = try #require(Ed25519.PublicKey(bytes: Hex.decode(vector.publicKey)!))
        let signature = Hex.decode(vector.signature)!
        #expect(!key.isValidSignature(signature.dropLast(), for: vector.message))
        #expect(!key.isValidSignature(signature + [0], for: vector.message))
        #expect(!key.isValidSignature([UInt8](), for: vector.message))
    }

    @Test func sIsRefusedUnlessBelowTheOrder() throws {
        // S + L is the same scalar modulo L: accepted by a verifier that only reduces S.
        let vector = Self.vectors[0]
        let key = try #require(Ed25519.PublicKey(bytes: Hex.decode(vector.publicKey)!))
        let signature = Hex.decode(vector.signature)!
        let order = Hex.decode("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")!
        var sPlusL = Array(signature[0..<32])
        var carry = 0
        for i in 0..<32 {
            let sum = Int(signature[32 + i]) + Int(order[i]) + carry
            sPlusL.append(UInt8(sum & 0xff))
            carry = sum >> 8
        }
        #expect(carry == 0)
        #expect(!key.isValidSignature(sPlusL, for: vector.message))
    }

    @Test func nonCanonicalEncodingsOfAValidPointAreRefused() throws {
        // The identity, (0, 1), written with y = p + 1 instead of 1.
        let canonicalIdentity = [1] + [UInt8](repeating: 0, count: 31)
        let nonCanonicalIdentity = Hex.decode("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")!

        // As a public key: refused; written canonically it decodes (and has small order).
        #expect(Ed25519.PublicKey(bytes: nonCanonicalIdentity) == nil)
        let identityKey = try #require(Ed25519.PublicKey(bytes: canonicalIdentity))
        #expect(identityKey.isOfSmallOrder)

        // As R: with R the identity, S = k·s satisfies [S]B = R + [k]A for k = H(R ‖ A ‖ M).
        // The canonical R passes; the same point written with y = p + 1 fails, though a
        // verifier that reduced y modulo p would accept it.
        let vector = Self.vectors[0]
        let key = try #require(Ed25519.PrivateKey(seed: Hex.decode(vector.seed)!))
        var clamped = Array(SHA512.hash(key.seed).bytes[0..<32])
        clamped[0] &= 248
        clamped[31] &= 127
        clamped[31] |= 64
        let s = Scalar25519(reducing: clamped)
        let message = Array("R is the identity".utf8)
        func signature(r: [UInt8]) -> [UInt8] {
            let k = Scalar25519(reducing: SHA512.hash(r + key.publicKey.bytes + message).bytes)
            return r + (k * s).bytes
        }
        #expect(key.publicKey.isValidSignature(signature(r: canonicalIdentity), for: message))
        #expect(!key.publicKey.isValidSignature(signature(r: nonCanonicalIdentity), for: message))
    }

    @Test func privateKeysDoNotPrintTheirSeed() throws {
        let vector = Self.vectors[0]
        let key = try #require(Ed25519.PrivateKey(seed: Hex.decode(vector.seed)!))
        var dumped = ""
        dump(key, to: &dumped)
        for text in ["\(key)", String(describing: key), String(reflecting: key), dumped] {
            #expect(!text.contains(vector.seed), "\(text)")
            #expect(text.contains(vector.publicKey), "\(text)")
        }
    }

    @Test func pointDecodingFollowsRFC8032() {
        let p = Hex.decode("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")!
        // y = 1 is the identity (x = 0); with the sign bit set it must not decode.
        var identity = [UInt8](repeating: 0, count: 32)
        identity[0] = 1
        #expect(EdwardsPoint(encoded: identity)?.isIdentity == true)
        var signedIdentity = identity
        signedIdentity[31] |= 0x80
        #expect(EdwardsPoint(encoded: signedIdentity) == nil)
        // y = p + 1 ≡ 1 is not canonical.
        var pPlusOne = p
        pPlusOne[0] += 1
        #expect(EdwardsPoint(encoded: pPlusOne) == nil)
        // y = 2 gives x² = 3/(4d + 1), not a square: off the curve.
        var two = [UInt8](repeating: 0, count: 32)
        two[0] = 2
        #expect(EdwardsPoint(encoded: two) == nil)
        #expect(EdwardsPoint(encoded: [UInt8](repeating: 0, count: 31)) == nil)
        // y = 0: x = ±√−1, the points of order 4.
        let orderFour = EdwardsPoint(encoded: [UInt8](repeating: 0, count: 32))
        #expect(orderFour != nil)
        #expect(orderFour?.isOfSmallOrder == true)
        #expect(orderFour.map { $0.doubled().doubled().isIdentity } == true)
        #expect(orderFour.map { $0.doubled().isIdentity } == false)
    }

    @Test func basePointAndGroupOrder() {
        // RFC 8032 §5.1: B's encoding is y = 4/5 with x even.
        #expect(Hex.encode(EdwardsPoint.base.encoded) == "5866666666666666666666666666666666666666666666666666666666666666")
        #expect(EdwardsPoint(encoded: EdwardsPoint.base.encoded) == EdwardsPoint.base)
        // [L − 1]B = −B, so [L]B is the identity.
        let lMinusOne = Scalar25519(canonical: Hex.decode("ecd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")!)!
        #expect(EdwardsPoint.baseMultiple(lMinusOne) == -EdwardsPoint.base)
        #expect(EdwardsPoint.base.multiple(lMinusOne) == -EdwardsPoint.base)
        #expect(EdwardsPoint.baseMultiple(.zero).isIdentity)
        #expect(EdwardsPoint.base.multiple(.zero).isIdentity)
        #expect(!EdwardsPoint.base.isOfSmallOrder)
    }

    @Test func constantTimeAndVariableTimeMultiplesAgree() {
        let seed = testSeed(default: 7)
        var rng = SplitMix64(seed: seed)
        for round in 0..<30 {
            let s = Scalar25519(reducing: (0..<64).map { _ in UInt8.random(in: 0...255, using: &rng) })
            let t = Scalar25519(reducing: (0..<64).map { _ in UInt8.random(in: 0...255, using: &rng) })
            let note: Comment = "seed \(seed) (CARNET_SEED to replay), round \(round)"
            let sB = EdwardsPoint.baseMultiple(s)
            #expect(sB == EdwardsPoint.base.multiple(s), note)
            // [s + t]B = [s]B + [t]B and [s·t]B = [t]([s]B).
            #expect(EdwardsPoint.baseMultiple(s + t) == sB + EdwardsPoint.baseMultiple(t), note)
            #expect(EdwardsPoint.baseMultiple(s * t) == sB.multiple(t), note)
            #expect(sB - sB == .identity, note)
            #expect(sB + sB == sB.doubled(), note)
            #expect(sB.doubled(times: 4) == sB.doubled().doubled().doubled().doubled(), note)
            #expect(sB.doubled(times: 4) + sB == sB.multiple(Scalar25519(reducing: [17])), note)
            #expect(EdwardsPoint(encoded: sB.encoded) == sB, note)
        }
    }

    @Test func aSmallOrderComponentInRIsRefused() throws {
        // The cofactorless equation is the one checked ([S]B = R + [k]A). R + T, T of order
        // 4, satisfies the cofactored one ([8]S·B = [8]R + [8]k·A) but not this one: the test
        // pins the choice, so that every Carnet replica reaches the same verdict.
        let vector = Self.vectors[2]
        let key = try #require(Ed25519.PublicKey(bytes: Hex.decode(vector.publicKey)!))
        let signature = Hex.decode(vector.signature)!
        let r = try #require(EdwardsPoint(encoded: signature[0..<32]))
        let t = try #require(EdwardsPoint(encoded: [UInt8](repeating: 0, count: 32)))
        let shifted = (r + t).encoded + signature[32..<64]
        #expect(shifted != signature)
        #expect((r + t).doubled().doubled().doubled() == r.doubled().doubled().doubled())
        #expect(!key.isValidSignature(shifted, for: vector.message))
    }

    @Test func signThenVerifyOverRandomKeysAndMessages() throws {
        let seed = testSeed(default: 25_519)
        var rng = SplitMix64(seed: seed)
        for round in 0..<40 {
            let keySeed = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let length = Int.random(in: 0...300, using: &rng)
            let message = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let note: Comment = "seed \(seed) (CARNET_SEED to replay), round \(round), key seed \(Hex.encode(keySeed)), message \(Hex.encode(message))"
            let key = try #require(Ed25519.PrivateKey(seed: keySeed), note)
            let signature = key.sign(message)
            #expect(signature.count == 64, note)
            #expect(key.sign(message) == signature, note)  // deterministic
            let publicKey = try #require(Ed25519.PublicKey(bytes: key.publicKey.bytes), note)
            #expect(publicKey.isValidSignature(signature, for: message), note)

            // One flipped bit anywhere fails: in the message, the signature or the key.
            if !message.isEmpty {
                var flipped = message
                let bit = Int.random(in: 0..<(message.count * 8), using: &rng)
                flipped[bit / 8] ^= 1 << UInt8(bit % 8)
                #expect(!publicKey.isValidSignature(signature, for: flipped), "\(note), message bit \(bit)")
            }
            var badSignature = signature
            let signatureBit = Int.random(in: 0..<512, using: &rng)
            badSignature[signatureBit / 8] ^= 1 << UInt8(signatureBit % 8)
            #expect(!publicKey.isValidSignature(badSignature, for: message), "\(note), signature bit \(signatureBit)")

            var keyBytes = key.publicKey.bytes
            let keyBit = Int.random(in: 0..<256, using: &rng)
            keyBytes[keyBit / 8] ^= 1 << UInt8(keyBit % 8)
            // A flipped key either fails to decode or does not verify the signature.
            if let otherKey = Ed25519.PublicKey(bytes: keyBytes) {
                #expect(!otherKey.isValidSignature(signature, for: message), "\(note), key bit \(keyBit)")
            }
        }
    }

    @Test func everySignatureBitMatters() throws {
        // All 512 single-bit flips of one signature, and all 256 of its key.
        let vector = Self.vectors[1]
        let key = try #require(Ed25519.PublicKey(bytes: Hex.decode(vector.publicKey)!))
        let signature = Hex.decode(vector.signature)!
        var accepted: [Int] = []
        for bit in 0..<512 {
            var flipped = signature
            flipped[bit / 8] ^= 1 << UInt8(bit % 8)
            if key.isValidSignature(flipped, for: vector.message) { accepted.append(bit) }
        }
        #expect(accepted.isEmpty, "flipped signature bits accepted: \(accepted)")
        var keysAccepting: [Int] = []
        for bit in 0..<256 {
            var bytes = key.bytes
            bytes[bit / 8] ^= 1 << UInt8(bit % 8)
            if let other = Ed25519.PublicKey(bytes: bytes), other.isValidSignature(signature, for: vector.message) {
                keysAccepting.append(bit)
            }
        }
        #expect(keysAccepting.isEmpty, "flipped key bits accepted: \(keysAccepting)")
    }
}

/// RFC 8032 §7.1 TEST 1024: the 1,023-byte message.
private let test1024Message = """
08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98fa6e264bf09efe12ee50f8f54e9f77b1e355f6c50544e23fb1433ddf73be84d879de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc1a858efcb8550ee3a5e1998bd177e93a7363c344fe6b199ee5d02e82d522c4feba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbefefd75499da96bd68a8a97b928a8bbc103b6621fcde2beca1231d206be6cd9ec7aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed185ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2d17ba70eb6248e594e1a2297acbbb39d502f1a8c6eb6f1ce22b3de1a1f40cc24554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f27088d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc2732e69485bbc9c90bfbd62481d9089beccf80cfe2df16a2cf65bd92dd597b0707e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128bab27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51addd3b75a2b1ae0784504df543af8969be3ea7082ff7fc9888c144da2af58429ec96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb751fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c42f58c30c04aafdb038dda0847dd988dcda6f3bfd15c4b4c4525004aa06eeff8ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34dff7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08d78ff4ef5d63653a65040cf9bfd4aca7984a74d37145986780fc0b16ac451649de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e488acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a32ef5b52a1ecc820e308aa342721aac0943bf6686b64b2579376504ccc493d97e6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5fb93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b50d334ba77c225bc307ba537152f3f1610e4eafe595f6d9d90d11faa933a15ef1369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380db2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c0618983f8741c5ef68d3a101e8a3b8cac60c905c15fc910840b94c00a0b9d0
"""
