import Foundation
import Testing

/// T10 (RELIABILITY.md): a store and bundles written by an earlier build, committed under
/// `protocol/fixtures/v<N>` by `tools/make-compat-fixtures.sh`, read the same in this
/// build: the same digest, events, records and conflicts, and the bundles bring the same
/// events. A format change that forgets old files fails here, not on a farm's laptop.
struct CompatibilityFixtureTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("protocol/fixtures")

    static let versions: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: fixtures.path)) ?? []
        return names.filter { $0.hasPrefix("v") }.sorted()
    }()

    @Test func theFirstFormatsFixturesAreThere() {
        #expect(Self.versions.contains("v1"), "no fixtures in \(Self.fixtures.path)")
    }

    /// `verify` reads the log, re-hashes every chain and recomputes the digest without
    /// changing the directory; a full open (the status file removed) derives the same
    /// ledger, with the same conflicts.
    @Test(arguments: versions)
    func aStoreWrittenByAnEarlierBuildReadsToTheSameState(_ version: String) throws {
        let source = Self.fixtures.appendingPathComponent(version)
        let sandbox = try Sandbox()
        try FileManager.default.copyItem(atPath: source.appendingPathComponent("store").path, toPath: sandbox.path("store"))
        let expected = try Self.object(source.appendingPathComponent("verify.json"))
        let verify = try #require(try sandbox.json(["verify"], node: "store") as? [String: Any])
        #expect(verify["sound"] as? Bool == true, "\(version): \(verify["problems"] ?? "")")
        let digest = try Self.stateDigest(of: version) ?? expected["digest"] as? String
        #expect(verify["digest"] as? String == digest, "\(version): digest")
        let log = verify["log"] as? [String: Any], expectedLog = expected["log"] as? [String: Any]
        for figure in ["events", "records", "bytes"] {
            #expect(log?[figure] as? Int == expectedLog?[figure] as? Int, "\(version): log \(figure)")
        }

        // A status file of an earlier version (SPEC §6.3) is not believed: `verify` does not
        // compare it, and `status` opens the store and writes the current version.
        let oldStatus = try Self.statusFileVersion(sandbox.path("store/status"))
        let statusIsOld = oldStatus != Self.currentStatusFileVersion
        if statusIsOld {
            #expect((verify["status"] as? [String: Any])?["current"] as? Bool == false, "\(version): an old status file is not current")
        }

        // A full open. The copy is not where the node was created, so the node continues
        // under a new id (one link event): everything else is as the fixture says.
        if !statusIsOld { try FileManager.default.removeItem(atPath: sandbox.path("store/status")) }
        let status = try #require(try sandbox.json(["status"], node: "store") as? [String: Any])
        #expect(status["fromStatusFile"] as? Bool == false, "\(version): the store opened")
        #expect(try Self.statusFileVersion(sandbox.path("store/status")) == Self.currentStatusFileVersion,
                "\(version): the status file rewritten at the current version")
        let again = try #require(try sandbox.json(["status"], node: "store") as? [String: Any])
        #expect(again["fromStatusFile"] as? Bool == true && again["digest"] as? String == status["digest"] as? String,
                "\(version): the rewritten status file answers")
        let expectedStatus = try Self.object(source.appendingPathComponent("status.json"))
        #expect(status["events"] as? Int == (expectedStatus["events"] as? Int).map { $0 + 1 }, "\(version): events")
        for figure in ["conflicts", "forks", "pending"] {
            #expect(status[figure] as? Int == expectedStatus[figure] as? Int, "\(version): \(figure)")
        }
        let vector = status["versionVector"] as? [String: Int] ?? [:]
        let expectedVector = expectedStatus["versionVector"] as? [String: Int] ?? [:]
        #expect(expectedVector.allSatisfy { vector[$0.key] == $0.value }, "\(version): \(vector) lacks some of \(expectedVector)")
        let conflicts = try #require(try sandbox.json(["conflicts"], node: "store") as? [[String: Any]])
        let expectedConflicts = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: source.appendingPathComponent("conflicts.json"))) as? [[String: Any]])
        #expect(Self.identities(conflicts) == Self.identities(expectedConflicts), "\(version): conflicts")
        try sandbox.ok(["verify"], node: "store")
    }

    /// Bundles of an earlier build apply to a fresh node and bring every farm event the
    /// fixture hub took from them.
    @Test(arguments: versions)
    func bundlesWrittenByAnEarlierBuildApply(_ version: String) throws {
        let source = Self.fixtures.appendingPathComponent(version)
        let sandbox = try Sandbox()
        // The fixture ledger's secret: bundles of format 2 (fixtures v2 on) open only with it.
        let secret = sandbox.path("ledger.secret")
        try FileManager.default.copyItem(atPath: source.appendingPathComponent("store/secret").path, toPath: secret)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: secret)
        try sandbox.initNode("fresh", label: "fresh", ledger: "compat-fixture")
        let bundles = try FileManager.default.contentsOfDirectory(atPath: source.path).filter { $0.hasSuffix(".bundle") }.sorted()
        #expect(!bundles.isEmpty, "\(version): no bundle")
        for bundle in bundles {
            try sandbox.ok(["bundle", "apply", source.appendingPathComponent(bundle).path], node: "fresh")
        }
        let status = try #require(try sandbox.json(["status"], node: "fresh") as? [String: Any])
        let expectedStatus = try Self.object(source.appendingPathComponent("status.json"))
        var expectedVector = expectedStatus["versionVector"] as? [String: Int] ?? [:]
        expectedVector[expectedStatus["node"] as? String ?? ""] = nil  // the fixture hub's own events
        let vector = status["versionVector"] as? [String: Int] ?? [:]
        #expect(expectedVector.allSatisfy { vector[$0.key] == $0.value }, "\(version): \(vector) lacks some of \(expectedVector)")
        #expect(status["conflicts"] as? Int == expectedStatus["conflicts"] as? Int, "\(version): conflicts")
        try sandbox.ok(["verify"], node: "fresh")
    }

    /// The version of the status file format this build writes (SPEC §6.3).
    static let currentStatusFileVersion = 3

    static func statusFileVersion(_ path: String) throws -> Int {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        try #require(bytes.count >= 16 && bytes.starts(with: Array("CARNETST".utf8)), "\(path): not a status file")
        return Int(bytes[8]) << 8 | Int(bytes[9])
    }

    /// The state digest (SPEC §5, version 3) of a fixture's store, from
    /// `protocol/vectors/state-digest-v3.txt` (computed by the Python checker from the
    /// SPEC): fixtures made before version 3 state the version-2 digest in their JSON. Nil
    /// for a fixture the file does not list (its JSON states version 3's).
    static func stateDigest(of version: String) throws -> String? {
        let vectors = fixtures.deletingLastPathComponent().appendingPathComponent("vectors/state-digest-v3.txt")
        for line in try String(contentsOf: vectors, encoding: .utf8).split(separator: "\n") {
            let words = line.split(separator: " ")
            if words.count == 4, words[0] == "fixture", words[1] == version { return String(words[2]) }
        }
        return nil
    }

    static func object(_ url: URL) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any], "\(url.path)")
    }

    /// What names a conflict, whichever node lists it.
    static func identities(_ conflicts: [[String: Any]]) -> [String] {
        conflicts.map { "\($0["id"] ?? "") \($0["kind"] ?? "") \($0["subject"] ?? "")" }.sorted()
    }
}
