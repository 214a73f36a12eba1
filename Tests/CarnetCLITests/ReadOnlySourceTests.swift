import Foundation
import Testing

/// `merge` and `bundle apply` only read what they take events from: a colleague's node
/// directory on a USB stick or a bundle on read-only media must be usable as it is, and
/// must come back byte for byte unchanged.
struct ReadOnlySourceTests {
    /// Every regular file of `directory` and its bytes.
    static func snapshot(_ directory: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            files[name] = FileManager.default.contents(atPath: directory + "/" + name)
        }
        return files
    }

    static func chmod(_ mode: Int, _ path: String) throws {
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }

    @Test func mergeReadsAReadOnlySourceWithATornTailAndChangesNoByteOfIt() throws {
        let box = try Sandbox()
        try box.initNode("a", label: "col-laptop")
        try box.initNode("b", label: "hub")
        try box.seedLedger("a")
        let source = box.path("a")
        // A crash in the middle of an append on a's machine: a record header promising 100
        // bytes, then 2 of them.
        let log = try #require(FileHandle(forWritingAtPath: source + "/events.log"))
        log.seekToEndOfFile()
        log.write(Data([0, 0, 0, 100, 0xDE, 0xAD, 0xBE, 0xEF, 1, 2]))
        try log.close()
        let before = try Self.snapshot(source)
        for name in before.keys { try Self.chmod(0o444, source + "/" + name) }
        try Self.chmod(0o555, source)
        defer {
            try? Self.chmod(0o755, source)
            for name in before.keys { try? Self.chmod(0o644, source + "/" + name) }
        }

        let run = try box.run(["merge", source, "--json"], node: "b")
        #expect(run.status == 0, "\(run.stderr)")
        let merged = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect((merged["added"] as? Int ?? 0) > 0, "\(run.stdout)")
        #expect(run.stderr.contains("not read"), "the torn tail is reported, not cut: \(run.stderr)")
        #expect(try Self.snapshot(source) == before, "merge wrote to its source directory")
    }

    @Test func mergeRefusesASymlinkedEventsLog() throws {
        let box = try Sandbox()
        try box.initNode("a", label: "col-laptop")
        try box.initNode("b", label: "hub")
        try box.seedLedger("a")
        let source = box.path("linked")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: box.path("a/node"), toPath: source + "/node")
        try FileManager.default.createSymbolicLink(atPath: source + "/events.log", withDestinationPath: box.path("a/events.log"))
        let logBefore = FileManager.default.contents(atPath: box.path("a/events.log"))
        let eventsBefore = try #require(try box.json(["status"], node: "b") as? [String: Any])["events"] as? Int

        let run = try box.run(["merge", source], node: "b")
        #expect(run.status != 0, "\(run.stdout)")
        #expect(run.stderr.contains("symbolic link"), "\(run.stderr)")
        #expect(run.stderr.contains(source + "/events.log"), "\(run.stderr)")
        #expect(FileManager.default.contents(atPath: box.path("a/events.log")) == logBefore)
        let status = try #require(try box.json(["status"], node: "b") as? [String: Any])
        #expect(status["events"] as? Int == eventsBefore, "nothing was merged: \(status)")
    }

    /// A bundle with mode 0444 (as on read-only media) applies. As root the kernel would
    /// let any open through, so the commands then run as `nobody` (setpriv), where a write
    /// open of a 0444 file fails as it does for every farmer.
    @Test func bundleApplyReadsAReadOnlyBundle() throws {
        let box = try Sandbox()
        let runner = try UnprivilegedRunner(root: box.root)
        try runner.ok(["secret", "new", "--out", box.path("ledger.secret")])
        for (node, label) in [("a", "col-laptop"), ("b", "hub")] {
            try runner.ok(["init", "--ledger", "coop", "--label", label, "--secret-file", box.path("ledger.secret"), "--dir", box.path(node)])
        }
        try runner.ok(["party", "set", "col", "--name", "Ferme du Col", "--kind", "farm", "--dir", box.path("a")])
        let bundle = box.path("for-hub.bundle")
        try runner.ok(["bundle", "create", bundle, "--dir", box.path("a")])
        try Self.chmod(0o444, bundle)
        let before = FileManager.default.contents(atPath: bundle)

        let applied = try runner.run(["bundle", "apply", bundle, "--json", "--dir", box.path("b")])
        #expect(applied.status == 0, "\(applied.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(applied.stdout.utf8)) as? [String: Any]
        #expect((report?["added"] as? Int ?? 0) > 0, "\(applied.stdout)")
        #expect(FileManager.default.contents(atPath: bundle) == before)
    }
}

/// Runs `carnet` as the invoking user, or as `nobody` when that is root: permission bits
/// bind only a user who is not root.
struct UnprivilegedRunner {
    let prefix: [String]
    let environment: [String: String]

    init(root: String) throws {
        environment = ["NO_COLOR": "1", "HOME": root, "PATH": "/usr/bin:/bin", "TZ": "UTC"]
        if getuid() == 0 {
            let setpriv = "/usr/bin/setpriv"
            try #require(FileManager.default.isExecutableFile(atPath: setpriv), "running as root needs setpriv to drop privileges")
            prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
            try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: root)
        } else {
            prefix = []
        }
    }

    func run(_ arguments: [String]) throws -> CommandLineTests.Run {
        guard let program = prefix.first else { return try CommandLineTests.carnet(arguments, environment: environment) }
        let folder = Bundle.main.bundleURL.deletingLastPathComponent()
        let candidates = [folder.appendingPathComponent("carnet"), Bundle.main.bundleURL.appendingPathComponent("carnet")]
        let executable = try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) })
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = Array(prefix.dropFirst()) + [executable.path] + arguments
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandLineTests.Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                                    stderr: String(decoding: stderr, as: UTF8.self))
    }

    @discardableResult
    func ok(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let run = try run(arguments)
        #expect(run.status == 0, "carnet \(arguments.joined(separator: " ")) → \(run.status): \(run.stderr)", sourceLocation: sourceLocation)
        return run.stdout
    }
}
