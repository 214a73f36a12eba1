import CarnetCore
import Foundation
import Testing

/// Project Wycheproof's `testvectors_v1/ed25519_test.json`, every test of every group,
/// committed with its source and licence in Tests/Fixtures/vectors/wycheproof/ (SOURCE.md there).
///
/// The verdict follows each test's `result`: every `valid` signature verifies, every
/// `invalid` one does not. Wycheproof marks as `acceptable` the cases where correct
/// implementations may differ; the committed file has none, and this test fails if one
/// appears (after an update), so that its verdict is decided and written down in
/// `Ed25519`'s documentation instead of being taken silently.
struct Ed25519WycheproofTests {
    struct File: Decodable {
        var algorithm: String
        var numberOfTests: Int
        var testGroups: [Group]
    }

    struct Group: Decodable {
        var type: String
        var publicKey: PublicKey
        var tests: [Case]
    }

    struct PublicKey: Decodable {
        var curve: String
        var pk: String
    }

    struct Case: Decodable {
        var tcId: Int
        var comment: String
        var flags: [String]
        var msg: String
        var sig: String
        var result: String
    }

    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/vectors/wycheproof/ed25519_test.json")

    @Test func everyGroupOfTheWycheproofFile() throws {
        let data = try Data(contentsOf: Self.path)
        let file = try JSONDecoder().decode(File.self, from: data)
        #expect(file.algorithm == "EDDSA")

        var counts: [String: Int] = [:]
        var byFlag: [String: Int] = [:]
        var wrong: [String] = []
        var keysRefused = 0
        for group in file.testGroups {
            #expect(group.type == "EddsaVerify")
            #expect(group.publicKey.curve == "edwards25519")
            let key = Ed25519.PublicKey(bytes: try #require(Hex.decode(group.publicKey.pk)))
            if key == nil { keysRefused += 1 }
            for test in group.tests {
                counts[test.result, default: 0] += 1
                for flag in test.flags { byFlag["\(flag)/\(test.result)", default: 0] += 1 }
                let message = try #require(Hex.decode(test.msg), "tcId \(test.tcId)")
                let signature = try #require(Hex.decode(test.sig), "tcId \(test.tcId)")
                // A key that does not decode verifies nothing.
                let verified = key?.isValidSignature(signature, for: message) ?? false
                switch test.result {
                case "valid":
                    if !verified { wrong.append("tcId \(test.tcId) valid but refused (\(test.flags), \(test.comment))") }
                case "invalid":
                    if verified { wrong.append("tcId \(test.tcId) invalid but accepted (\(test.flags), \(test.comment))") }
                default:
                    wrong.append("tcId \(test.tcId) is \"\(test.result)\" (\(test.flags), \(test.comment)): decide its verdict")
                }
            }
        }

        let total = counts.values.reduce(0, +)
        print("Wycheproof ed25519_test.json: \(file.testGroups.count) groups, \(total) tests:",
              counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "),
              "; \(keysRefused) public keys refused; \(wrong.count) verdicts differ")
        print("  by flag:", byFlag.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        #expect(wrong.isEmpty, "\(wrong.joined(separator: "\n"))")
        // The committed file (README.md beside it): a change of counts means a new file.
        #expect(file.numberOfTests == 151)
        #expect(total == 151)
        #expect(file.testGroups.count == 78)
        #expect(counts == ["valid": 88, "invalid": 63])
        #expect(keysRefused == 0)
    }
}
