import CarnetCore
import CarnetWorkload
import Foundation

/// Runs every measurement on one workload file and prints the report.
struct Bench {
    var file: WorkloadFile
    var runs: Int
    /// Scenario names to run (`--only`); empty runs them all.
    var only: Set<String> = []
    /// Replay as a signed ledger (format 2): keys, declarations, signed heads on the wire.
    var signed = false
    /// A signed ledger's farm asks for custody receipts as `carnet sync` does (SPEC 9.6);
    /// `--no-receipts` never asks, to measure what they cost.
    var receipts = true

    static let scenarios = ["apply", "views", "encoding", "store", "sync", "delta-binary", "join", "process", "cold-open", "crypto-aead", "crypto-sign", "crc"]

    /// Scenarios that need no workload file: run alone, they skip the replay.
    static let standalone: Set<String> = ["crypto-aead", "crypto-sign", "crc"]

    private func selected(_ scenario: String) -> Bool { only.isEmpty || only.contains(scenario) }

    func run() {
        print("carnet-bench")
        print("  workload     \(file.path)")
        print("               \(Format.grouped(file.bytes.count)) bytes, sha256 \(file.sha256)")
        print("  source       \(Machine.sourceRevision) (\(Machine.repoRoot))")
        print("  machine      \(Machine.summary)")
        print("  date         \(Date().formatted(.iso8601))")
        print("  runs         \(runs) per figure (median, min–max)")

        // Replay: parse every line, create every event (SHA-256 included), sync at each day.
        if signed { print("  ledger       signed (format 2): every actor a device with its key; batches carry signed heads") }
        let (replaySamples, replay) = Samples.time(runs: runs) { Self.replay(file.bytes, signed: signed) }
        let hub = replay.hub
        let created = replay.replicas.reduce(0) { total, replica in
            total + replica.history.events(of: replica.node).count
        }
        print("\nworkload state (full replay, hub-and-spoke sync each day)")
        print("  lines        \(replay.entries) entries, \(replay.catalogWrites) catalog writes, \(replay.syncs) syncs")
        print("  actors       \(replay.meta.actors.count) (hub \(replay.meta.hub) + \(replay.meta.farms) farms)")
        print("  hub events   \(Format.grouped(hub.eventCount)) (events written by all nodes: \(Format.grouped(created)))")
        print("  hub digest   \(hub.digest.hex)")
        print("  replay time  \(replaySamples.timeSummary) for the whole file")
        print("               = \(Format.rate(Double(created) / replaySamples.median)) events created/s (median)")
        print("  peak RSS     \(Machine.peakResident) after the replays")

        if selected("apply") { ApplyBench.report(hub: hub, runs: runs) }
        if selected("views") { ViewBench.report(hub: hub, runs: runs) }
        if selected("encoding") { EncodingBench.report(replay: replay, workload: file.bytes) }
        if selected("store") { StoreBench.report(replay: replay, runs: runs) }
        if selected("sync") { SyncBench.report(replay: replay, runs: runs, receipts: receipts) }
        if selected("delta-binary") { SyncBench.reportBinaryDelta(replay: replay, runs: runs) }
        if selected("join") { SyncBench.reportJoin(replay: replay, runs: min(runs, 3)) }
        if selected("process") {
            ProcessBench.report(file: file, actors: replay.meta.actors, hub: replay.meta.hub, runs: min(runs, 3))
        }
        if selected("cold-open") { ProcessBench.reportColdOpen(file: file, runs: runs, signed: signed) }
        if selected("crypto-sign") { CryptoBench.report(runs: runs) }
        if selected("crypto-aead") { CryptoAEADBench.report(runs: runs) }
        if selected("crc") { CRCBench.report(runs: runs) }

        let held = replay.replicas.reduce(0) { $0 + $1.eventCount }
        print("\npeak memory")
        let layout = "Event is \(MemoryLayout<Event>.stride) bytes inline; payload storage is shared"
        print("  state        \(replay.replicas.count) replicas hold \(Format.grouped(held)) events in all (\(layout))")
        print("  ru_maxrss    \(Machine.peakResident) (getrusage RUSAGE_SELF, whole run)")
        if let kib = Machine.highWaterKiB {
            let mib = Format.fixed(Double(kib) / 1024, 1)
            print("  VmHWM        \(Format.grouped(kib)) KiB (\(mib) MiB) (/proc/self/status, this process only)")
            print("               ru_maxrss survives exec, so under `swift run` it is at least swift-run's own peak")
        }
    }

    static func replay(_ bytes: [UInt8], signed: Bool = false) -> WorkloadReplay {
        do {
            return try WorkloadReplay.replay(bytes, signed: signed)
        } catch {
            fail("the workload does not replay: \(error)", code: 65)
        }
    }
}
