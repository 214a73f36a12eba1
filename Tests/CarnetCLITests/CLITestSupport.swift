import Foundation
import Testing

/// A temporary folder holding node directories, and `carnet` runs against them with a
/// controlled environment (no colour, no inherited `CARNET_DIR`).
struct Sandbox: ~Copyable {
    let root: String

    init() throws {
        root = NSTemporaryDirectory() + "carnet-cli-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func path(_ name: String) -> String { root + "/" + name }

    /// Runs carnet with `--dir <root>/<node>` appended (unless `node` is nil).
    func run(_ arguments: [String], node: String? = "a") throws -> CommandLineTests.Run {
        var environment = ["NO_COLOR": "1", "HOME": root, "PATH": "/usr/bin:/bin"]
        environment["TZ"] = "UTC"
        let all = arguments + (node.map { ["--dir", path($0)] } ?? [])
        return try CommandLineTests.carnet(all, environment: environment)
    }

    /// Runs carnet and requires exit 0; returns stdout.
    @discardableResult
    func ok(_ arguments: [String], node: String? = "a", sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let run = try run(arguments, node: node)
        #expect(run.status == 0, "carnet \(arguments.joined(separator: " ")) → \(run.status): \(run.stderr)", sourceLocation: sourceLocation)
        return run.stdout
    }

    /// Runs a reading command with `--json` and parses its stdout.
    func json(_ arguments: [String], node: String? = "a", sourceLocation: SourceLocation = #_sourceLocation) throws -> Any {
        let out = try ok(arguments + ["--json"], node: node, sourceLocation: sourceLocation)
        return try JSONSerialization.jsonObject(with: Data(out.utf8))
    }

    /// A fresh secret file and a node `name` initialized with it.
    func initNode(_ name: String, label: String, ledger: String = "coop") throws {
        let secret = path("ledger.secret")
        if !FileManager.default.fileExists(atPath: secret) {
            try ok(["secret", "new", "--out", secret], node: nil)
        }
        try ok(["init", "--ledger", ledger, "--label", label, "--secret-file", secret], node: name)
    }

    /// A farm, a canteen, a product and a harvest of 12 kg in lot L1, on node `name`.
    func seedLedger(_ name: String = "a") throws {
        try ok(["party", "set", "col", "--name", "Ferme du Col", "--kind", "farm"], node: name)
        try ok(["party", "set", "cantine", "--name", "Cantine Jaurès", "--kind", "canteen"], node: name)
        try ok(["product", "set", "tomme", "--name", "Tomme de brebis", "--unit", "kg", "--price", "24"], node: name)
        try ok(["record", "harvest", "--producer", "col", "--product", "tomme", "--qty", "12kg", "--lot", "L1",
                "--date", "2026-06-01"], node: name)
    }
}

/// Bad input gives one sentence on stderr, nothing on stdout, and the documented status.
func expectError(_ run: CommandLineTests.Run, _ status: Int32, _ fragment: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(run.status == status, "status \(run.status), stderr: \(run.stderr)", sourceLocation: sourceLocation)
    #expect(run.stderr.contains(fragment), "stderr: \(run.stderr)", sourceLocation: sourceLocation)
    #expect(run.stderr.split(separator: "\n").count == 1, "one line: \(run.stderr)", sourceLocation: sourceLocation)
    #expect(run.stdout.isEmpty, "stdout: \(run.stdout)", sourceLocation: sourceLocation)
}

extension String {
    var trimmedLine: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
