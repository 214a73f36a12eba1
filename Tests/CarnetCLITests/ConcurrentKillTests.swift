import CarnetTestKit
import Foundation
import Glibc
import Testing

/// T3 (e), concurrent access under SIGKILL: `carnet record` runs again and again while
/// `carnet serve` holds the same store, and 20 times one of them (chosen by the seed) is
/// killed at a random moment; a killed `serve` is started again. At the end every entry
/// whose id a `record` printed (I1) is in the log, and `carnet verify` passes (I3).
@Suite(.serialized)
struct ConcurrentKillTests {
    /// A running `carnet serve` on the node.
    final class Serve {
        let process = Process()

        init(directory: String, environment: [String: String]) throws {
            process.executableURL = try CommandLineTests.executable()
            process.arguments = ["--dir", directory, "serve", "--listen", "127.0.0.1:0", "--interval", "3600"]
            process.environment = environment
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Serving once it says where it listens.
            var buffer = Data()
            while !buffer.contains(UInt8(ascii: "\n")) {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
            }
        }

        func stop(_ signal: Int32) {
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
        }
    }

    @Test func recordWhileServeHoldsTheStoreSurvives20RandomKills() throws {
        let seed = testSeed(default: 20_260_310)
        var random = SplitMix64(seed: seed)
        let sandbox = try Sandbox()
        try sandbox.initNode("a", label: "col")
        try sandbox.seedLedger("a")
        let directory = sandbox.path("a")
        let environment = ["NO_COLOR": "1", "HOME": sandbox.root, "PATH": "/usr/bin:/bin", "TZ": "UTC"]
        func entryIDs() throws -> Set<String> {
            let entries = try sandbox.json(["log"]) as? [[String: Any]] ?? []
            return Set(entries.compactMap { $0["id"] as? String })
        }
        var acknowledged = try entryIDs()
        var counter = 0
        /// A `record` process, started; `kill(after:)` ends it.
        func startRecord() throws -> (Process, Pipe) {
            counter += 1
            let process = Process()
            process.executableURL = try CommandLineTests.executable()
            process.arguments = ["--dir", directory, "record", "harvest", "--producer", "col", "--product", "tomme",
                                 "--qty", "\(counter)kg", "--lot", "K\(counter)", "--date", "2026-06-03"]
            process.environment = environment
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            return (process, out)
        }
        /// Whatever id the process printed was acknowledged, however it ended.
        func collect(_ process: Process, _ out: Pipe) {
            process.waitUntilExit()
            let id = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmedLine
            if !id.isEmpty { acknowledged.insert(id) }
        }
        var serve = try Serve(directory: directory, environment: environment)
        var servesKilled = 0, recordsKilled = 0, recordsKilledBeforeAck = 0, recordsCompleted = 0
        for _ in 0..<20 {
            for _ in 0..<Int.random(in: 1...2, using: &random) {
                let (process, out) = try startRecord()
                collect(process, out)
                recordsCompleted += 1
            }
            if Bool.random(using: &random) {
                // Serve dies at a random moment while a record runs beside it.
                let (process, out) = try startRecord()
                usleep(UInt32.random(in: 0...150_000, using: &random))
                serve.stop(SIGKILL)
                servesKilled += 1
                collect(process, out)
                serve = try Serve(directory: directory, environment: environment)
            } else {
                let (process, out) = try startRecord()
                usleep(UInt32.random(in: 0...150_000, using: &random))
                kill(process.processIdentifier, SIGKILL)
                let before = acknowledged.count
                collect(process, out)
                recordsKilled += 1
                if acknowledged.count == before { recordsKilledBeforeAck += 1 }
            }
        }
        // One more write goes through with serve up: the store takes writes after all this.
        let (last, out) = try startRecord()
        collect(last, out)
        #expect(last.terminationStatus == 0, "seed \(seed): a record after the kills failed")
        serve.stop(SIGTERM)
        let verify = try sandbox.run(["verify"])
        #expect(verify.status == 0, "seed \(seed): verify → \(verify.status): \(verify.stdout) \(verify.stderr)")
        let held = try entryIDs()
        let missing = acknowledged.subtracting(held)
        #expect(missing.isEmpty, "seed \(seed): acknowledged entries missing: \(missing.sorted())")
        print("concurrent kills: seed \(seed), \(servesKilled) serves and \(recordsKilled) records killed (\(recordsKilledBeforeAck) before acknowledging), \(recordsCompleted) records completed, \(acknowledged.count) entries acknowledged, all present")
    }
}
