import Foundation
import Testing

/// Issue 22: the golden vectors, the compatibility fixtures and the SPEC's refusals read
/// by a decoder written from protocol/SPEC.md alone (tools/conformance, Python, standard
/// library only; not the product's codec), so that a change to the code without the spec,
/// or to the spec without the code, fails `swift test`. Without python3 the test says so
/// and passes, unless `CARNET_REQUIRE_PYTHON=1` (CI), where it fails. `.ci/run` also runs
/// the slower checks (stores made by this build, a live session).
struct ConformanceTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func python() -> String? {
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(folder)/python3"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    static func run(_ script: String, _ arguments: [String] = []) throws -> (status: Int32, output: String)? {
        guard let python = python() else {
            #expect(ProcessInfo.processInfo.environment["CARNET_REQUIRE_PYTHON"] != "1",
                    "python3 is not installed; `apt-get install -y python3` (CARNET_REQUIRE_PYTHON=1 makes this a failure)")
            return nil
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [root.appendingPathComponent("tools/conformance/\(script)").path] + arguments
        process.currentDirectoryURL = root
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    @Test func theGoldenVectorsAndFixturesReadFromTheSpecAlone() throws {
        guard let result = try Self.run("check_vectors.py") else { return }
        #expect(result.status == 0, "\(result.output.suffix(2_000))")
        #expect(result.output.contains("OK: "), "\(result.output.suffix(500))")
    }

    @Test func theSpecsRefusalsAreCarnetsRefusals() throws {
        let folder = Bundle.main.bundleURL.deletingLastPathComponent()
        let carnet = try #require([folder.appendingPathComponent("carnet"), Bundle.main.bundleURL.appendingPathComponent("carnet")]
            .first { FileManager.default.isExecutableFile(atPath: $0.path) })
        guard let result = try Self.run("check_refusals.py", ["--carnet", carnet.path]) else { return }
        #expect(result.status == 0, "\(result.output.suffix(2_000))")
    }
}
