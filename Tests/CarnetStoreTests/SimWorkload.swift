import CarnetCore
import CarnetStore
import CarnetSystem
import CarnetTestKit

/// A node's life on a `SimStorage`, as `carnet` lives it: created, opened, many local writes
/// grouped into records (group commit: 1–5 events per fsync), the status file rewritten
/// every few records and a checkpoint when due, and reopened now and then (a new process).
/// Deterministic from its seed: the same calls reach the disk in every run.
///
/// It records which events were acknowledged and at which disk call, so that a crash at any
/// call can be judged: what was acknowledged before it must survive (I1).
struct SimWorkload {
    static let directory = "/sim/node"
    static let node = NodeID.derived(from: "sim-writer")

    var seed: UInt64
    var events: Int
    /// Records written by one opening of the store before it is closed and reopened.
    var recordsPerOpening = 25
    /// Events written since the last checkpoint that make a new one due (and an eighth of
    /// the store, as `carnet` does).
    var checkpointAfter = 30
    /// Records between two status-file writes: every 3 on small workloads; fewer on large
    /// ones, whose status file costs a digest of the whole store each time.
    var statusEvery: Int

    /// One record the workload asked for: the seqs it holds, the call at which the append
    /// began, and the call count when it returned (nil when it failed).
    struct Batch {
        var firstSeq: UInt64
        var lastSeq: UInt64
        var startCall: Int
        var ackCall: Int?
        var events: [Event] = []
    }

    /// A step that failed, with the error, for the I/O-error tests.
    struct Failure {
        var step: String
        var error: StoreError
        var call: Int
    }

    struct Outcome {
        var batches: [Batch] = []
        var failures: [Failure] = []
        /// Breaches of the fail-stop rule seen while running.
        var violations: [String] = []
        /// Set when `create` returned: before it, there is no node to open.
        var createdAtCall: Int?
        var completed = false

        /// Events acknowledged before the disk call `call` (a crash there keeps them all).
        func acknowledged(before call: Int) -> [Event] {
            batches.filter { $0.ackCall.map { $0 <= call } ?? false }.flatMap(\.events)
        }

        /// The own-chain lengths a recovery after a crash at `call` may show: the end of any
        /// record begun before the crash and not before the last acknowledged one (a record
        /// is atomic: all of its events or none).
        func allowedChainLengths(crashAt call: Int) -> Set<UInt64> {
            let acknowledged = batches.filter { $0.ackCall.map { $0 <= call } ?? false }.map(\.lastSeq).max() ?? 0
            var allowed: Set<UInt64> = [acknowledged]
            for batch in batches where batch.startCall <= call && batch.lastSeq > acknowledged {
                allowed.insert(batch.lastSeq)
            }
            return allowed
        }
    }

    init(seed: UInt64, events: Int) {
        self.seed = seed
        self.events = events
        statusEvery = max(3, events / 600)
    }

    static func open(_ disk: SimStorage, wallMillis: UInt64 = 1_780_000_000_000) throws(StoreError) -> NodeStore {
        try NodeStore(directory: directory, wallMillis: wallMillis, storage: disk) { NodeID.derived(from: "sim-continued") }
    }

    /// Runs until every event is written, the disk crashes, or the disk keeps failing.
    /// `afterStep` runs after every step (a test drains snapshots there, keeping memory
    /// bounded). After a failed append the store is checked to refuse further writes
    /// without touching the disk (fail-stop), then reopened, as `carnet` would be.
    func run(on disk: SimStorage, afterStep: (Outcome) -> Void = { _ in }) -> Outcome {
        var random = SplitMix64(seed: seed)
        var outcome = Outcome()
        var wall: UInt64 = 1_780_000_000_000
        var written = 0
        /// Failed openings and appends in a row: a disk that keeps failing ends the run.
        var failuresInARow = 0
        func failed(_ step: String, _ error: StoreError) {
            outcome.failures.append(Failure(step: step, error: error, call: disk.counts.calls))
        }
        // `carnet init` again after a failure, as a person would, up to three times.
        for _ in 0..<3 where outcome.createdAtCall == nil && !disk.hasCrashed {
            do throws(StoreError) {
                try NodeStore.create(directory: Self.directory, ledger: "sim", label: "writer", node: Self.node, storage: disk)
                outcome.createdAtCall = disk.counts.calls
            } catch {
                failed("create", error)
            }
            afterStep(outcome)
        }
        guard outcome.createdAtCall != nil else { return outcome }
        while written < events && !disk.hasCrashed && failuresInARow < 3 {
            var store: NodeStore
            do throws(StoreError) {
                store = try Self.open(disk, wallMillis: wall)
            } catch {
                failed("open", error)
                failuresInARow += 1
                afterStep(outcome)
                continue
            }
            afterStep(outcome)
            var records = 0
            opening: while written < events && records < recordsPerOpening && !disk.hasCrashed {
                let count = min(Int.random(in: 1...5, using: &random), events - written)
                let operations: [CarnetCore.Operation] = (0..<count).map { index in
                    .append(Entry(id: "e\(written + index + 1)", kind: "harvest",
                                  fields: [Field("qty", .int(Int64(written + index + 1)))]))
                }
                wall += UInt64.random(in: 1...60_000, using: &random)
                let first = store.replica.versionVector[Self.node] + 1
                var batch = Batch(firstSeq: first, lastSeq: first + UInt64(count) - 1, startCall: disk.counts.calls)
                do throws(StoreError) {
                    batch.events = try store.writeBatch(operations, wallMillis: wall)
                    batch.ackCall = disk.counts.calls
                    outcome.batches.append(batch)
                    written += count
                    records += 1
                    failuresInARow = 0
                } catch {
                    outcome.batches.append(batch)
                    failed("append", error)
                    failuresInARow += 1
                    if !disk.hasCrashed { Self.expectFailStop(&store, disk: disk, outcome: &outcome) }
                    afterStep(outcome)
                    break opening
                }
                afterStep(outcome)
                if records % statusEvery == 0 {
                    do throws(StoreError) {
                        try store.saveStatus(derived: ["conflicts": 0])
                    } catch {
                        failed("status", error)
                    }
                    afterStep(outcome)
                }
                do throws(StoreError) {
                    try store.saveCheckpointIfDue(minimum: checkpointAfter)
                } catch {
                    failed("checkpoint", error)
                }
                afterStep(outcome)
            }
        }
        outcome.completed = written >= events
        return outcome
    }

    /// After a failed append: the store refuses every further write, checkpoint and status
    /// (`needsReopen`) without a single disk call, so it can never acknowledge on top of a
    /// write whose fate is unknown. Breaches go to `outcome.violations`.
    private static func expectFailStop(_ store: inout NodeStore, disk: SimStorage, outcome: inout Outcome) {
        let before = disk.counts.calls
        func judge(_ step: String, _ error: StoreError?) {
            guard let error else { return outcome.violations.append("\(step) was accepted after a failed append") }
            if case .needsReopen = error { return }
            outcome.violations.append("\(step) after a failed append failed with \(error), not needsReopen")
        }
        do throws(StoreError) {
            _ = try store.writeBatch([.append(Entry(id: "after-failure", kind: "harvest", fields: []))], wallMillis: 1)
            judge("an append", nil)
        } catch {
            judge("an append", error)
        }
        do throws(StoreError) {
            _ = try store.saveCheckpoint()
            judge("a checkpoint", nil)
        } catch {
            judge("a checkpoint", error)
        }
        do throws(StoreError) {
            _ = try store.saveStatus(derived: [:])
            judge("a status file", nil)
        } catch {
            judge("a status file", error)
        }
        if disk.counts.calls != before {
            outcome.violations.append("a store whose append failed made \(disk.counts.calls - before) more disk calls")
        }
    }
}
