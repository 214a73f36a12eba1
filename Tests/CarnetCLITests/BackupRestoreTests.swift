import Foundation
import Testing

/// RELIABILITY.md T9 with real processes: a farm's directory restored in place from an
/// older copy writes again under seqs the network holds. Every node that meets both
/// histories shows one fork with both heads, no event of either is lost, and the farm is
/// told what happened. A restore of an up-to-date copy is no fork.
@Suite(.serialized)
struct BackupRestoreTests {
    typealias Node = SyncProcessTests.ServedNode

    /// `count` harvest entries with ids `<prefix>-<n>`, as a workload file to import.
    static func entries(_ prefix: String, _ count: Int, in root: String) throws -> String {
        let meta = #"{"t":"meta","schema":"producer-ledger-workload/1","seed":1,"farms":1,"days":1,"products":1,"entries":\#(count),"start":"2026-03-02","hub":"HUB","actors":["HUB","col"],"counts":{"entry":\#(count),"cat":0,"sync":0},"kinds":{"harvest":\#(count)},"conflict_groups":0}"#
        let lines = (0..<count).map { index in
            #"{"t":"entry","id":"\#(prefix)-\#(index)","farm":"col","date":"2026-03-02","kind":"harvest","product":"miel","qty":\#(100 + index),"unit":"g","lot":"L-\#(prefix)"}"#
        }
        let path = root + "/\(prefix).jsonl"
        try ([meta] + lines).joined(separator: "\n").appending("\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Replaces the directory's files with the copy's, keeping the directory itself (and
    /// its inode): a restore the store cannot tell from the directory alone.
    static func restoreInPlace(_ copy: String, into directory: String) throws {
        let files = FileManager.default
        for name in try files.contentsOfDirectory(atPath: directory) { try files.removeItem(atPath: directory + "/" + name) }
        for name in try files.contentsOfDirectory(atPath: copy) { try files.copyItem(atPath: copy + "/" + name, toPath: directory + "/" + name) }
    }

    static func json(_ node: Node, _ arguments: [String]) throws -> Any {
        let run = try node.carnet(arguments + ["--json"])
        guard run.status == 0 else { throw SyncProcessTests.TestFailure("\(arguments): \(run.stderr)") }
        return try JSONSerialization.jsonObject(with: Data(run.stdout.utf8))
    }

    static func entryIDs(_ node: Node) throws -> Set<String> {
        let log = try json(node, ["log", "--limit", "100000"]) as? [[String: Any]] ?? []
        return Set(log.compactMap { $0["id"] as? String })
    }

    static func forks(_ node: Node) throws -> Int {
        (try json(node, ["status"]) as? [String: Any])?["forks"] as? Int ?? -1
    }

    @Test(arguments: [false, true])
    func aRestoredFarmForksVisiblyAndLosesNothing(throughAnotherFarmFirst: Bool) throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("carnet-restore-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let secret = root + "/ledger.key"
        #expect(try CommandLineTests.carnet(["secret", "new", "--out", secret]).status == 0)
        let hub = try Node(root: root, label: "hub", secretFile: secret)
        let farm = try Node(root: root, label: "col", secretFile: secret)
        let other = try Node(root: root, label: "other", secretFile: secret)
        try hub.start()
        defer { _ = hub.stop() }
        let address = "127.0.0.1:\(hub.port)"
        #expect(try farm.carnet(["product", "set", "miel", "--name", "Miel", "--unit", "g"]).status == 0)
        #expect(try farm.carnet(["sync", address]).status == 0)

        // 1. A copy of the farm. 2. 100 entries, synced to the hub (and to the other farm).
        let copy = root + "/col-backup"
        try FileManager.default.copyItem(atPath: farm.directory, toPath: copy)
        #expect(try farm.carnet(["import", try Self.entries("before", 100, in: root)]).status == 0)
        #expect(try farm.carnet(["sync", address]).status == 0)
        #expect(try other.carnet(["sync", address]).status == 0)
        #expect(try Self.forks(hub) == 0)

        // 3. Restore the copy in place. 4. Ten new entries under seqs already used.
        try Self.restoreInPlace(copy, into: farm.directory)
        #expect(try farm.carnet(["import", try Self.entries("after", 10, in: root)]).status == 0)

        // 5. Sync (with the other farm first, in one run).
        let firstPeer = throughAnotherFarmFirst ? other : hub
        if throughAnotherFarmFirst { try other.start() }
        let told = try farm.carnet(["sync", "127.0.0.1:\(firstPeer.port)"])
        if throughAnotherFarmFirst {
            _ = other.stop()
            #expect(try other.carnet(["sync", address]).status == 0)
        }
        #expect(told.status == 0, "\(told.stderr)")
        #expect(told.stderr.contains("diverges") && told.stderr.contains("carnet conflicts"), "the farm is told: \(told.stderr)")
        #expect(try farm.carnet(["sync", address]).status == 0)
        #expect(try other.carnet(["sync", address]).status == 0)

        let expected = Set((0..<100).map { "before-\($0)" } + (0..<10).map { "after-\($0)" })
        for node in [hub, farm, other] {
            #expect(try Self.forks(node) == 1, "\(node.label) shows the fork")
            #expect(expected.isSubset(of: try Self.entryIDs(node)), "\(node.label) holds all 110 entries")
            let conflicts = try Self.json(node, ["conflicts"]) as? [[String: Any]] ?? []
            let fork = conflicts.first { $0["kind"] as? String == "fork" }
            #expect((fork?["events"] as? [Any])?.count == 2, "\(node.label) lists the fork with both heads: \(String(describing: fork))")
        }
        #expect(try hub.digest() == farm.digest() && farm.digest() == other.digest())
    }

    @Test func restoringAnUpToDateCopyIsNoFork() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("carnet-restore-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let secret = root + "/ledger.key"
        #expect(try CommandLineTests.carnet(["secret", "new", "--out", secret]).status == 0)
        let hub = try Node(root: root, label: "hub", secretFile: secret)
        let farm = try Node(root: root, label: "col", secretFile: secret)
        try hub.start()
        defer { _ = hub.stop() }
        let address = "127.0.0.1:\(hub.port)"
        #expect(try farm.carnet(["import", try Self.entries("before", 20, in: root)]).status == 0)
        #expect(try farm.carnet(["sync", address]).status == 0)
        let copy = root + "/col-backup"
        try FileManager.default.copyItem(atPath: farm.directory, toPath: copy)
        try Self.restoreInPlace(copy, into: farm.directory)
        #expect(try farm.carnet(["import", try Self.entries("after", 5, in: root)]).status == 0)
        let sync = try farm.carnet(["sync", address])
        #expect(sync.status == 0 && !sync.stderr.contains("diverges"), "\(sync.stderr)")
        #expect(try Self.forks(hub) == 0 && Self.forks(farm) == 0)
        #expect(try Self.entryIDs(hub).count == 25)
    }
}
