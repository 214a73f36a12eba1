import CarnetCore
import CarnetStore
import CarnetSystem
import CarnetTestKit
import Foundation
import Testing

/// T3 (c), a failing disk through `SimStorage`: fsync EIO at every one of the first 50
/// syncs (once, and from then on), a disk full after 20 sizes, and a short write at each
/// write call. The node's workload reopens its store after each failed append, as a new
/// `carnet` command would. Each run must keep the fail-stop rule (no acknowledgment after
/// a failed write or sync, no disk call at all until reopened), report every failure as an
/// error naming the file and the errno, and, once the disk is healed, satisfy I1 and I3
/// both when reopened at once (the page cache still holding what never reached the disk)
/// and after a power loss with each damage.
struct IOErrorTests {
    static let events = 100

    struct Verdict {
        var problems: [String] = []
        var failures = 0
        var acknowledged = 0
        var recoveries = 0
    }

    /// Runs the workload on a disk with `faults`, heals the disk, and judges.
    func judge(_ faults: SimDiskFaults, errno expected: String, seed: UInt64) -> Verdict {
        var verdict = Verdict()
        let disk = SimStorage(seed: seed, faults: faults)
        let workload = SimWorkload(seed: seed, events: Self.events)
        let outcome = workload.run(on: disk)
        verdict.problems += outcome.violations
        verdict.failures = outcome.failures.count
        verdict.acknowledged = outcome.batches.filter { $0.ackCall != nil }.reduce(0) { $0 + $1.events.count }
        let fired = disk.counts.failedSyncs + disk.counts.noSpaceErrors
        if fired > 0 && outcome.failures.isEmpty { verdict.problems.append("the disk failed \(fired) times and no step reported it") }
        if fired == 0 && !outcome.failures.isEmpty { verdict.problems.append("steps failed on a disk that did not: \(outcome.failures.map(\.error))") }
        for failure in outcome.failures {
            let text = failure.error.description
            guard text.contains("(\(expected))"), text.contains(SimWorkload.directory) else {
                verdict.problems.append("the \(failure.step) at call \(failure.call) failed with an unclear error: \(text)")
                continue
            }
            if failure.step == "append", case let .system(error) = failure.error, !error.path.hasSuffix(EventLog.fileName) {
                verdict.problems.append("a failed append names \(error.path), not the log")
            }
        }
        disk.setFaults(.none)
        var checker = SimRecoveryCheck(outcome: outcome, idempotency: .oneChangingCall)
        verdict.problems += checker.check(disk.currentImage, crashAt: .max, seed: seed).map { "reopened at once: \($0)" }
        for (index, damage) in CrashDamage.allCases.enumerated() {
            let image = disk.restart(after: damage, seed: seed &+ UInt64(index)).currentImage
            verdict.problems += checker.check(image, crashAt: .max, seed: seed).map { "after a power loss (\(damage)): \($0)" }
        }
        verdict.recoveries = checker.stats.recoveries
        return verdict
    }

    @Test(arguments: [false, true])
    func fsyncEIOAtEachOfTheFirst50Syncs(persistent: Bool) throws {
        let seed = testSeed(default: 20_260_306)
        let started = ContinuousClock.now
        var problems: [String] = []
        var failures = 0, recoveries = 0
        for sync in 1...50 {
            let fault = SimDiskFaults.SyncFailure(atSync: sync, persistent: persistent)
            let verdict = judge(SimDiskFaults(syncFailure: fault), errno: "EIO", seed: seed)
            problems += verdict.problems.map { "seed \(seed), fsync \(sync) fails \(persistent ? "from then on" : "once"): \($0)" }
            failures += verdict.failures
            recoveries += verdict.recoveries
            if !persistent {
                #expect(verdict.acknowledged == Self.events, "seed \(seed), sync \(sync): a transient error must not stop the workload for good")
            }
        }
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        print("fsync EIO (\(persistent ? "persistent" : "transient")): seed \(seed), 50 cases, \(failures) failures reported, \(recoveries) recoveries, \(String(format: "%.1f", seconds)) s")
        #expect(problems.isEmpty, "\(problems.count) problems:\n\(problems.prefix(20).joined(separator: "\n"))")
        #expect(failures >= 50, "seed \(seed): every case should have failed at least once")
    }

    @Test func aFullDiskAfter20DifferentSizes() throws {
        let seed = testSeed(default: 20_260_307)
        let started = ContinuousClock.now
        var random = SplitMix64(seed: seed)
        let dry = SimStorage(seed: seed)
        _ = SimWorkload(seed: seed, events: Self.events).run(on: dry)
        let total = dry.counts.bytesWritten
        let sizes = [5] + (1..<20).map { total * $0 / 20 + Int.random(in: 0..<64, using: &random) }
        var problems: [String] = []
        var failures = 0, recoveries = 0
        for size in sizes {
            let verdict = judge(SimDiskFaults(spaceInBytes: size), errno: "ENOSPC", seed: seed)
            problems += verdict.problems.map { "seed \(seed), disk full after \(size) of \(total) bytes: \($0)" }
            failures += verdict.failures
            recoveries += verdict.recoveries
        }
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        print("ENOSPC: seed \(seed), \(sizes.count) sizes up to \(total) bytes, \(failures) failures reported, \(recoveries) recoveries, \(String(format: "%.1f", seconds)) s")
        #expect(problems.isEmpty, "\(problems.count) problems:\n\(problems.prefix(20).joined(separator: "\n"))")
        #expect(failures >= sizes.count, "seed \(seed): every size should have failed a write")
    }

    /// A short write is not an error: the write loop finishes the record, and every append
    /// is acknowledged.
    @Test func aShortWriteAtEachWriteCallIsCompleted() throws {
        let seed = testSeed(default: 20_260_308)
        let started = ContinuousClock.now
        let dry = SimStorage(seed: seed)
        _ = SimWorkload(seed: seed, events: Self.events).run(on: dry)
        let writes = min(dry.counts.writes, 60)
        var problems: [String] = []
        var shortened = 0
        for call in 1...writes {
            let disk = SimStorage(seed: seed &+ UInt64(call), faults: SimDiskFaults(shortWriteAtCall: call))
            let outcome = SimWorkload(seed: seed, events: Self.events).run(on: disk)
            shortened += disk.counts.shortWrites
            if !outcome.completed || !outcome.failures.isEmpty {
                problems.append("seed \(seed), short write at write \(call): \(outcome.failures.map(\.error))")
                continue
            }
            if disk.counts.writes != dry.counts.writes + disk.counts.shortWrites {
                problems.append("seed \(seed), short write at write \(call): \(disk.counts.writes) write calls, expected one more than \(dry.counts.writes)")
            }
            var checker = SimRecoveryCheck(outcome: outcome, idempotency: .oneChangingCall)
            problems += checker.check(disk.restart(after: .dropUnsynced, seed: seed).currentImage, crashAt: .max, seed: seed)
                .map { "seed \(seed), short write at write \(call): \($0)" }
        }
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        print("short writes: seed \(seed), \(writes) cases, \(shortened) writes cut short and completed, \(String(format: "%.1f", seconds)) s")
        #expect(problems.isEmpty, "\(problems.count) problems:\n\(problems.prefix(20).joined(separator: "\n"))")
        #expect(shortened > writes / 2, "seed \(seed): few writes were long enough to cut")
    }
}
