import Foundation
import Testing

/// Entry ids are `<kind>-<node>-<seq>`: the sequence number must be the one the store
/// gives the event, under its lock. Two `carnet record` run at once on one directory once
/// read the next number before taking the lock and gave two different entries the same
/// id (38 of 363 entries with three farms' `serve` beside a recording loop). These tests
/// race real processes and find every id unique.
@Suite(.serialized)
struct ConcurrentRecordTests {
    static let perLoop = 25

    /// A shell loop of `carnet record` on `directory`, printing one id per line.
    static func recordLoop(directory: String, tag: String, environment: [String: String]) throws -> (Process, Pipe) {
        let carnet = try CommandLineTests.executable().path
        let script = """
        for i in $(seq 1 \(perLoop)); do
          "\(carnet)" --dir "\(directory)" record harvest --producer col --product tomme --qty ${i}kg --lot \(tag)-$i --date 2026-06-03 || exit 1
        done
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        return (process, out)
    }

    /// Runs two loops at once and checks the ids they printed and the ledger's entries.
    static func raceTwoLoops(_ sandbox: borrowing Sandbox, beside serve: ConcurrentKillTests.Serve?) throws {
        let directory = sandbox.path("a")
        let environment = ["NO_COLOR": "1", "HOME": sandbox.root, "PATH": "/usr/bin:/bin", "TZ": "UTC"]
        let loops = try ["x", "y"].map { try recordLoop(directory: directory, tag: $0, environment: environment) }
        var printed: [String] = []
        for (process, out) in loops {
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "a record loop failed")
            printed += text.split(separator: "\n").map(String.init)
        }
        serve?.stop(SIGTERM)
        #expect(printed.count == 2 * perLoop)
        #expect(Set(printed).count == printed.count, "ids printed twice: \(Dictionary(grouping: printed) { $0 }.filter { $0.value.count > 1 }.keys.sorted())")
        let entries = try sandbox.json(["log"]) as? [[String: Any]] ?? []
        let harvests = entries.compactMap { $0["id"] as? String }.filter { $0.hasPrefix("harvest-") }
        #expect(harvests.count == 2 * perLoop + 1, "the seed harvest and every recorded one")
        #expect(Set(harvests).count == harvests.count, "two entries share an id in the ledger")
        #expect(Set(printed).isSubset(of: Set(harvests)))
        let conflicts = try sandbox.json(["conflicts"]) as? [[String: Any]] ?? []
        #expect(conflicts.isEmpty, "conflicts after racing writers: \(conflicts)")
        try sandbox.ok(["verify"])
    }

    @Test func twoRecordLoopsOnOneDirectoryGiveUniqueIDs() throws {
        let sandbox = try Sandbox()
        try sandbox.initNode("a", label: "col")
        try sandbox.seedLedger("a")
        try Self.raceTwoLoops(sandbox, beside: nil)
    }

    @Test func twoRecordLoopsBesideServeGiveUniqueIDs() throws {
        let sandbox = try Sandbox()
        try sandbox.initNode("a", label: "col")
        try sandbox.seedLedger("a")
        let environment = ["NO_COLOR": "1", "HOME": sandbox.root, "PATH": "/usr/bin:/bin", "TZ": "UTC"]
        let serve = try ConcurrentKillTests.Serve(directory: sandbox.path("a"), environment: environment)
        try Self.raceTwoLoops(sandbox, beside: serve)
    }
}
