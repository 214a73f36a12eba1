import CarnetCore
import Foundation
import Testing

/// X25519 of RFC 7748: the two §5.2 vectors, the §5.2 iterated vector (1 and 1,000
/// iterations; the 1,000,000-iteration value runs only with `CARNET_SLOW_VECTORS=1` in the
/// environment, as it takes minutes), the §6.1 Diffie–Hellman example, and every test of
/// Project Wycheproof's `x25519_test.json`.
struct X25519Tests {
    @Test("§5.2 vector 1")
    func rfcVector1() {
        let out = X25519.scalarMult(
            scalar: CryptoHex.bytes("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
            u: CryptoHex.bytes("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"))
        #expect(CryptoHex.string(out) == "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552")
    }

    /// This u has bit 255 set, which §5 says to ignore.
    @Test("§5.2 vector 2 (u with its top bit set)")
    func rfcVector2() {
        let out = X25519.scalarMult(
            scalar: CryptoHex.bytes("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d"),
            u: CryptoHex.bytes("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493"))
        #expect(CryptoHex.string(out) == "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957")
    }

    /// k = u = 9, then (k, u) ← (X25519(k, u), k), the given number of times.
    static func iterate(_ count: Int) -> [UInt8] {
        var k = X25519.basePoint, u = X25519.basePoint
        for _ in 0..<count {
            (k, u) = (X25519.scalarMult(scalar: k, u: u), k)
        }
        return k
    }

    @Test("§5.2 iterated: 1 and 1,000 iterations")
    func rfcIterated() {
        #expect(CryptoHex.string(Self.iterate(1)) == "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079")
        #expect(CryptoHex.string(Self.iterate(1000)) == "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51")
    }

    /// Minutes of work even in release; run it with
    /// `CARNET_SLOW_VECTORS=1 swift test --filter X25519`.
    @Test("§5.2 iterated: 1,000,000 iterations (CARNET_SLOW_VECTORS=1)",
          .enabled(if: ProcessInfo.processInfo.environment["CARNET_SLOW_VECTORS"] == "1"))
    func rfcIteratedMillion() {
        #expect(CryptoHex.string(Self.iterate(1_000_000)) == "7c3911e0ab2586fd864497297e575e6f3bc601c0883c30df5f4dd2d24f665424")
    }

    @Test("§6.1 Alice and Bob")
    func rfcDiffieHellman() throws {
        let alice = try #require(X25519.PrivateKey(bytes: CryptoHex.bytes(
            "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")))
        let bob = try #require(X25519.PrivateKey(bytes: CryptoHex.bytes(
            "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")))
        #expect(CryptoHex.string(alice.publicKey) == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
        #expect(CryptoHex.string(bob.publicKey) == "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
        let shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
        #expect(alice.sharedSecret(with: bob.publicKey).map(CryptoHex.string) == shared)
        #expect(bob.sharedSecret(with: alice.publicKey).map(CryptoHex.string) == shared)
    }

    @Test("lengths other than 32 bytes are refused")
    func lengths() throws {
        #expect(X25519.PrivateKey(bytes: [UInt8](repeating: 1, count: 31)) == nil)
        #expect(X25519.PrivateKey(bytes: [UInt8](repeating: 1, count: 33)) == nil)
        let key = try #require(X25519.PrivateKey(bytes: [UInt8](repeating: 1, count: 32)))
        #expect(key.sharedSecret(with: [UInt8](repeating: 9, count: 31)) == nil)
        #expect(key.sharedSecret(with: key.publicKey + [0]) == nil)
    }

    /// u-coordinates of points of small order (u = 0 of order 2, u = 1 and u = p − 1 of
    /// order 4, and the two of order 8): the raw function gives zeros whatever the clamped
    /// scalar (a multiple of 8), and `sharedSecret` refuses them.
    @Test("small-order peer keys give nil")
    func smallOrder() throws {
        let key = try #require(X25519.PrivateKey(bytes: (0..<32).map { UInt8($0) &* 7 &+ 3 }))
        let smallOrder = [
            "0000000000000000000000000000000000000000000000000000000000000000",
            "0100000000000000000000000000000000000000000000000000000000000000",
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
            "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        ]
        for hex in smallOrder {
            let u = CryptoHex.bytes(hex)
            #expect(X25519.scalarMult(scalar: key.bytes, u: u) == [UInt8](repeating: 0, count: 32), "\(hex)")
            #expect(key.sharedSecret(with: u) == nil, "\(hex)")
        }
    }

    // MARK: Project Wycheproof

    static let wycheproofFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/vectors/wycheproof/x25519_test.json")

    /// Every test of the one group. `scalarMult` must give the expected bytes for all 518.
    /// Through `sharedSecret(with:)`:
    /// - the 264 `valid` tests give the expected secret;
    /// - the 223 `acceptable` tests with a nonzero result (public keys on the twist, and
    ///   non-canonical u ≥ p or with bit 255 set, read modulo p as §5 says) give it too: these
    ///   are inputs §5 defines, and refusing them would buy nothing;
    /// - the 31 `acceptable` tests whose expected result is all zeros (flag
    ///   `ZeroSharedSecret`: small-order keys, and such keys plus p) are refused with nil,
    ///   by the choice written in `X25519`'s documentation.
    @Test("Wycheproof x25519_test.json")
    func wycheproof() throws {
        let data = try Data(contentsOf: Self.wycheproofFile)
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(root["algorithm"] as? String == "XDH")
        let groups = try #require(root["testGroups"] as? [[String: Any]])
        var valid = 0, acceptedAcceptable = 0, refusedZero = 0, total = 0
        for group in groups {
            #expect(group["curve"] as? String == "curve25519")
            let tests = try #require(group["tests"] as? [[String: Any]])
            for test in tests {
                total += 1
                let id = test["tcId"] as? Int ?? -1
                func field(_ name: String) -> [UInt8] { CryptoHex.bytes(test[name] as? String ?? "") }
                let (publicKey, privateKey, shared) = (field("public"), field("private"), field("shared"))
                let flags = test["flags"] as? [String] ?? []
                let result = test["result"] as? String
                guard let key = X25519.PrivateKey(bytes: privateKey), publicKey.count == 32 else {
                    Issue.record("tcId \(id): a key is not 32 bytes")
                    continue
                }
                #expect(X25519.scalarMult(scalar: privateKey, u: publicKey) == shared, "tcId \(id): scalarMult")
                let isZero = shared == [UInt8](repeating: 0, count: 32)
                let agreed = key.sharedSecret(with: publicKey)
                switch (result, isZero) {
                case ("valid", false):
                    #expect(agreed == shared, "tcId \(id): valid")
                    valid += 1
                case ("acceptable", false):
                    #expect(agreed == shared, "tcId \(id): acceptable, nonzero, accepted")
                    acceptedAcceptable += 1
                case ("acceptable", true):
                    #expect(agreed == nil, "tcId \(id): zero shared secret must be refused")
                    #expect(flags.contains("ZeroSharedSecret"), "tcId \(id): flags \(flags)")
                    refusedZero += 1
                default:
                    Issue.record("tcId \(id): undecided case: result \(result ?? "nil"), zero \(isZero), flags \(flags)")
                }
            }
        }
        print("Wycheproof x25519: \(groups.count) group, \(total) tests, \(valid) valid passed, \(acceptedAcceptable) acceptable accepted, \(refusedZero) acceptable (zero secret) refused")
        #expect(total == root["numberOfTests"] as? Int)
        #expect(groups.count == 1)
        #expect(valid == 264)
        #expect(acceptedAcceptable == 223)
        #expect(refusedZero == 31)
    }
}
