import Foundation
import Testing

/// Runs the built `carnet` executable as a real process and checks what a person sees:
/// stdout, stderr and the exit status.
struct CommandLineTests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func carnet(_ arguments: String...) throws -> Run {
        try carnet(arguments)
    }

    /// Runs `carnet` with `arguments`; `environment` replaces the process environment when
    /// given (so `CARNET_DIR` and `NO_COLOR` are under the test's control), and `stdin`
    /// is empty.
    static func carnet(_ arguments: [String], environment: [String: String]? = nil) throws -> Run {
        // The test bundle sits in the same build folder as the executable.
        let folder = Bundle.main.bundleURL.deletingLastPathComponent()
        let candidates = [folder.appendingPathComponent("carnet"), Bundle.main.bundleURL.appendingPathComponent("carnet")]
        let executable = try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) },
                                      "carnet not built next to the tests (looked in \(folder.path))")
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test func theDemoConvergesOverTCPAndSaysSo() throws {
        let run = try Self.carnet("demo")
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.contains("Every node holds the same events and the same state; no conflict is left open."))
        #expect(run.stdout.contains("runs `carnet serve` as its own process"))
        #expect(run.stdout.contains("stock-below-zero"))
        #expect(run.stdout.contains("field: 2 concurrent values for product/tomme.price"))
        #expect(run.stdout.contains("open conflicts on the chèvrerie now: 0"))
        #expect(run.stdout.contains("continues\n   under a new node id"), "the restored laptop does not reuse seqs")
        #expect(run.stdout.contains("exits with 0"))
        // The DYNAMO story (issue 20, item 8): the hub buys, a canteen orders and is
        // delivered, a drive basket is not collected, the report shows the canteen's shares.
        #expect(run.stdout.contains("cmd-jaures-1   hub → cantine-jaures  fulfilled"))
        #expect(run.stdout.contains("panier-ana-1   hub → ana             not-collected"))
        #expect(run.stdout.contains("cantine-jaures: 6 purchases, 583,51 € before VAT; quality 100,00 % (target 50 %), organic 18,13 % (target 20 %)"))
        #expect(run.stdout.contains("the canteen still owes the hub 158,00 €"))
        #expect(run.stdout.contains("the same report on all 5 nodes: yes"))
        // The digests printed after each sync round agree line by line: 4 nodes twice, then 5.
        let digests = run.stdout.split(separator: "\n").filter { $0.contains("digest ") }.map { $0.split(separator: " ").last! }
        #expect(digests.count == 13)
        for (start, count) in [(0, 4), (4, 4), (8, 5)] {
            #expect(Set(digests[start..<start + count]).count == 1, "round from \(start): \(digests[start..<start + count])")
        }
    }

    /// `conflicts` is a command and the group of `conflicts show`: alone, it runs. (Once
    /// `report --html` made `report` both, `carnet conflicts` alone answered "needs a
    /// subcommand".)
    @Test func aGroupWordThatIsACommandRunsAlone() throws {
        let box = try Sandbox()
        try box.initNode("a", label: "hub")
        #expect(try box.ok(["conflicts"]).contains("no open conflict"))
        expectError(try box.run(["report"]), 64, "`carnet report` needs a subcommand")
    }

    @Test func anUnknownCommandIsAClearErrorOnStderr() throws {
        let run = try Self.carnet("sycn")
        #expect(run.status == 64)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.contains("unknown command \"sycn\""))
    }

    @Test func helpListsTheCommands() throws {
        let run = try Self.carnet("--help")
        #expect(run.status == 0)
        #expect(run.stdout.contains("demo"))
    }
}
