import CarnetCore
import CarnetStore
import CarnetTestKit
import Foundation
import Testing

/// T3 (a), SQLite's TH3 loop on a simulated disk: a node's workload (200 appends with
/// group commit, status files, checkpoints, reopenings), crashed at every one of its disk
/// calls with each of the three damages of unsynced bytes, then recovered; recovery itself
/// is crashed at each of its calls that change the disk, and must give the same state.
///
/// One run of the workload keeps the disk's state at every call (copy on write), so the
/// crash images come without running the workload again per call;
/// `aSnapshotIsTheCrashItStandsFor` checks that a real crash at a call gives the same image.
///
/// Soak: `CARNET_CRASH_APPENDS` sets the workload's size, `CARNET_CRASH_POINTS` switches
/// to that many random crash points over as many workloads as needed
/// (`tools/soak-crashpoints.sh`).
struct CrashPointTests {
    static let environment = ProcessInfo.processInfo.environment
    static let appends = Int(environment["CARNET_CRASH_APPENDS"] ?? "") ?? 200
    static let randomPoints = Int(environment["CARNET_CRASH_POINTS"] ?? "")
    static let pointsPerWorkload = Int(environment["CARNET_CRASH_POINTS_PER_WORKLOAD"] ?? "") ?? 1_000

    @Test func everyCrashPointOfAWorkloadRecoversSoundAndIdempotently() async throws {
        let seed = testSeed(default: 20_260_301)
        let started = ContinuousClock.now
        var report = SweepReport(seed: seed)
        if let total = Self.randomPoints {
            // Soak: workloads seed, seed+1, … swept side by side, one per core.
            let perWorkload = Self.pointsPerWorkload, appends = Self.appends
            let workloads = (total + perWorkload - 1) / perWorkload
            let lanes = max(1, ProcessInfo.processInfo.activeProcessorCount)
            await withTaskGroup(of: SweepReport.self) { group in
                var next = 0
                func start() {
                    let points = min(perWorkload, total - next * perWorkload)
                    let workload = SimWorkload(seed: seed &+ UInt64(next), events: appends)
                    group.addTask { Self.sweep(workload, points: points) }
                    next += 1
                }
                while next < min(lanes, workloads) { start() }
                for await finished in group {
                    report.merge(finished)
                    print("crash points: workload \(report.workloads)/\(workloads) done, \(report.crashPoints) points, \(report.problemCount) problems")
                    if next < workloads { start() }
                }
            }
        } else {
            report.merge(Self.sweep(SimWorkload(seed: seed, events: Self.appends), points: nil))
        }
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        print("crash points: seed \(seed), \(report.summary), \(String(format: "%.1f", seconds)) s")
        #expect(report.problems.isEmpty, "seed \(seed): \(report.problemCount) problems, first ones:\n\(report.problems.joined(separator: "\n"))")
        #expect(report.stats.tornTailsCut > 0, "seed \(seed): no crash left a torn tail; the sweep did not reach inside a record")
        #expect(report.stats.checkpointsUsed > 0 && report.stats.statusFilesCurrent > 0, "seed \(seed): checkpoint or status file never used")
        #expect(report.stats.recoveryCrashes > 0, "seed \(seed): recovery was never crashed")
    }

    /// Runs one workload, crashing at every call (`points` nil) or at `points` random
    /// (call, damage) pairs, and checks each recovery.
    private static func sweep(_ workload: SimWorkload, points: Int?) -> SweepReport {
        var report = SweepReport(seed: workload.seed)
        let disk = SimStorage(seed: workload.seed)
        var chosen: [Int: [CrashDamage]] = [:]
        if let points {
            // A first run counts the calls, a second keeps the chosen ones.
            let calls = { let dry = SimStorage(seed: workload.seed); _ = workload.run(on: dry); return dry.counts.calls }()
            var random = SplitMix64(seed: workload.seed ^ 0xA11CE)
            for _ in 0..<points {
                chosen[Int.random(in: 0..<calls, using: &random), default: []].append(CrashDamage.allCases.randomElement(using: &random)!)
            }
            disk.snapshotting(.only(Set(chosen.keys)))
        } else {
            disk.snapshotting(.every)
        }
        var checker: SimRecoveryCheck?
        let outcome = workload.run(on: disk) { outcome in
            if checker == nil {
                checker = SimRecoveryCheck(outcome: outcome, idempotency: points == nil ? .everyChangingCall : .oneChangingCall)
            }
            checker!.outcome = outcome
            for snapshot in disk.takeSnapshots() {
                for damage in chosen[snapshot.call] ?? CrashDamage.allCases {
                    // Drawn from the disk's state, not the call: calls that change nothing
                    // give the same image, recovered once.
                    let lane = CrashDamage.allCases.firstIndex(of: damage)!
                    let pointSeed = workload.seed ^ (UInt64(snapshot.changes) << 8) ^ UInt64(lane)
                    var random = SplitMix64(seed: pointSeed)
                    let image = snapshot.image.crashed(damage, inFlight: snapshot.inFlight, using: &random)
                    let problems = checker!.check(image, crashAt: snapshot.call, seed: pointSeed, lane: lane)
                    report.record(problems, label: "workload seed \(workload.seed), crash at call \(snapshot.call) of \(disk.counts.calls)+, \(damage)")
                }
            }
        }
        report.calls += disk.counts.calls
        report.workloads += 1
        if !outcome.completed || !outcome.failures.isEmpty || !outcome.violations.isEmpty {
            report.note(["the workload itself did not complete: \(outcome.failures.map { "\($0.step): \($0.error)" }) \(outcome.violations)"],
                        label: "workload seed \(workload.seed)")
        }
        if let checker { report.stats.add(checker.stats) }
        return report
    }

    /// A crash through `SimDiskFaults.crashAtCall` (the workload really stops there) gives
    /// the image the sweep builds from the snapshot at that call.
    @Test func aSnapshotIsTheCrashItStandsFor() throws {
        let seed = testSeed(default: 20_260_302)
        var random = SplitMix64(seed: seed)
        let workload = SimWorkload(seed: seed, events: 60)
        let dry = SimStorage(seed: seed)
        _ = workload.run(on: dry)
        let calls = Set((0..<12).map { _ in Int.random(in: 0..<dry.counts.calls, using: &random) })
        let recording = SimStorage(seed: seed)
        recording.snapshotting(.only(calls))
        _ = workload.run(on: recording)
        let snapshots = recording.takeSnapshots()
        #expect(snapshots.map(\.call).sorted() == calls.sorted(), "seed \(seed)")
        for snapshot in snapshots {
            let crashing = SimStorage(seed: seed, faults: SimDiskFaults(crashAtCall: snapshot.call))
            let outcome = workload.run(on: crashing)
            #expect(crashing.hasCrashed && !outcome.completed, "seed \(seed) call \(snapshot.call)")
            #expect(crashing.counts.calls == snapshot.call, "seed \(seed): calls after the crash were counted")
            for damage in CrashDamage.allCases {
                let real = crashing.restart(after: damage, seed: seed &+ UInt64(snapshot.call)).currentImage
                let simulated = snapshot.restart(after: damage, seed: seed &+ UInt64(snapshot.call)).currentImage
                #expect(real == simulated, "seed \(seed) call \(snapshot.call) \(damage)")
            }
        }
    }
}

/// The tally of a sweep: counts, and the first problems found (all of them counted).
struct SweepReport {
    var seed: UInt64
    var crashPoints = 0
    var workloads = 0
    var calls = 0
    var stats = SimRecoveryCheck.Stats()
    var problems: [String] = []
    var problemCount = 0

    mutating func merge(_ other: SweepReport) {
        crashPoints += other.crashPoints
        workloads += other.workloads
        calls += other.calls
        stats.add(other.stats)
        problemCount += other.problemCount
        problems += other.problems.prefix(max(0, 20 - problems.count))
    }

    /// One crash point judged.
    mutating func record(_ found: [String], label: String) {
        crashPoints += 1
        note(found, label: label)
    }

    mutating func note(_ found: [String], label: String) {
        guard !found.isEmpty else { return }
        problemCount += found.count
        if problems.count < 20 { problems += found.map { "\(label): \($0)" } }
    }

    var summary: String {
        "\(workloads) workloads, \(calls) disk calls, \(crashPoints) crash points, \(stats.recoveries) recoveries "
            + "(\(stats.recoveryCrashes) crashed mid-recovery; \(stats.sameImage) crash points left the image just recovered), \(stats.tornTailsCut) torn tails cut (\(stats.bytesCut) bytes), "
            + "\(stats.checkpointsUsed) through a checkpoint, \(stats.statusFilesCurrent) current status files, "
            + "\(stats.beforeCreate) before the node existed"
    }
}
