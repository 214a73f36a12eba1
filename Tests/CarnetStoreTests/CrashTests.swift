import CarnetCore
import CarnetStore
import CarnetTestKit
import Foundation
import Testing

/// Real processes, real SIGKILL: a child appends events and acknowledges each durable
/// record; the test kills it at random moments, reopens the log and checks that every
/// acknowledged event is there and the log is sound. Seeded; the seed is printed.
/// More kill points: `tools/soak-crash.sh`.
struct CrashTests {
    static let killPoints = Int(ProcessInfo.processInfo.environment["CARNET_KILL_POINTS"] ?? "") ?? 60

    static func childExecutable() throws -> URL {
        let folder = Bundle.main.bundleURL.deletingLastPathComponent()
        let candidates = [folder.appendingPathComponent("carnet-crash-child"),
                          Bundle.main.bundleURL.appendingPathComponent("carnet-crash-child")]
        return try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) },
                            "carnet-crash-child not built next to the tests")
    }

    @Test func everyAcknowledgedEventSurvivesSIGKILL() throws {
        let seed = testSeed(default: 20_261_129)
        var rng = SplitMix64(seed: seed)
        let child = try Self.childExecutable()
        var directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        var acknowledged: UInt64 = 0
        var killedMidRun = 0, tornTails = 0, checkpointsUsed = 0
        for point in 0..<Self.killPoints {
            // Each log lives through several kills (recover, continue, die again); a fresh
            // one every few points keeps every start quick in debug builds.
            if point > 0 && point % 6 == 0 {
                directory.cleanUp()
                directory = try TemporaryDirectory()
                acknowledged = 0
            }
            let process = Process()
            process.executableURL = child
            let batch = Bool.random(using: &rng) ? 1 : Int.random(in: 2...20, using: &rng)
            var arguments = [directory.path, "100000", String(batch)]
            // Mostly in small pieces per write, so that many kills land inside a record.
            if Int.random(in: 0..<3, using: &rng) > 0 { arguments.append(String(Int.random(in: 1...32, using: &rng))) }
            process.arguments = arguments
            // Every other child also checkpoints, so some kills land inside a checkpoint write.
            if point % 2 == 1 {
                process.environment = ProcessInfo.processInfo.environment
                    .merging(["CARNET_CHILD_CHECKPOINT_EVERY": String(Int.random(in: 1...4, using: &rng))]) { $1 }
            }
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Let it acknowledge a random number of records, then kill it mid-stream.
            let target = Int.random(in: 0...25, using: &rng)
            var seen = 0, buffer = Data()
            let reader = output.fileHandleForReading
            while seen < target + 1 {  // +1 for the "recovered" line
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                seen = buffer.split(separator: UInt8(ascii: "\n")).count
            }
            usleep(UInt32.random(in: 0...3_000, using: &rng))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            buffer.append(reader.readDataToEndOfFile())
            if process.terminationReason == .uncaughtSignal { killedMidRun += 1 }
            let lines = String(decoding: buffer, as: UTF8.self).split(separator: "\n")
            for line in lines where line.hasPrefix("ack ") {
                acknowledged = max(acknowledged, UInt64(line.dropFirst(4)) ?? 0)
            }
            // Reopen: the log must be sound and hold every acknowledged event, in one chain.
            let log = try EventLog.open(directory: directory.path)
            if log.report.cutBytes > 0 { tornTails += 1 }
            var replica = Replica(node: NodeID.derived(from: "checker"))
            let summary = replica.admit(contentsOf: log.recovered)
            let held = replica.versionVector[NodeID.derived(from: "crash-child")]
            #expect(summary.pending == 0 && summary.rejected == 0, "seed \(seed) point \(point): the log's events do not chain")
            #expect(held >= acknowledged, "seed \(seed) point \(point): acknowledged up to \(acknowledged), log holds \(held)")
            #expect(replica.history.invariantViolations().isEmpty, "seed \(seed) point \(point)")
            // The state rebuilt from the surviving events does not depend on how they are grouped.
            var regrouped = Replica(node: NodeID.derived(from: "checker"))
            for event in log.recovered.reversed() { regrouped.admit(event) }
            #expect(regrouped.digest == replica.digest, "seed \(seed) point \(point)")
            // Opening from the checkpoint (when one survived) gives the same state.
            if let checkpoint = try? Checkpoint.read(directory: directory.path) {
                var resumed = try EventLog.open(directory: directory.path, resumingAt: checkpoint.stamp)
                #expect(resumed.report.resumedAt != nil, "seed \(seed) point \(point): checkpoint not used")
                var fromCheckpoint = Replica(node: NodeID.derived(from: "checker"))
                fromCheckpoint.admit(contentsOf: checkpoint.events)
                fromCheckpoint.admit(contentsOf: resumed.recovered)
                #expect(fromCheckpoint.digest == replica.digest, "seed \(seed) point \(point): checkpoint + tail differs")
                checkpointsUsed += 1
            }
        }
        #expect(killedMidRun > Self.killPoints / 2, "seed \(seed): most kills should land while the child is writing")
        // Chunked children write each record in slow pieces, so about a third of the kills
        // tear one (torn tails at every byte are also covered deterministically).
        #expect(tornTails > 0, "seed \(seed): no kill landed inside a record; torn tails went untested")
        #expect(checkpointsUsed > 0, "seed \(seed): no reopen went through a checkpoint")
        print("crash test: seed \(seed), \(Self.killPoints) kill points, \(killedMidRun) mid-run, \(tornTails) torn tails cut, \(checkpointsUsed) reopens through a checkpoint")
    }
}
