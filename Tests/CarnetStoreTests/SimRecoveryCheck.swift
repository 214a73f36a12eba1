import CarnetCore
import CarnetStore
import CarnetSystem
import CarnetTestKit

/// What a recovery leaves: equal for two recoveries of the same crash, however often the
/// recovery itself was interrupted.
struct RecoveredState: Equatable, CustomStringConvertible {
    var node: NodeID
    var versionVector: VersionVector
    var digest: SHA256Digest
    var eventCount: Int
    var log: [UInt8]

    var description: String { "\(eventCount) events, vector \(versionVector), log \(log.count) bytes" }
}

/// Recovers a node from a crashed disk image and judges the result against what the
/// workload was told: I1 (every event acknowledged before the crash is there, with its
/// hash; nothing appears that was never written; a record is all or nothing) and I3 (the
/// store opens; verify finds it sound; a torn tail is cut and counted; the checkpoint and
/// status file agree with the log; the store accepts a write). Problems come back as
/// sentences, so that a sweep of thousands of crashes reports each in one line.
struct SimRecoveryCheck {
    /// How thoroughly recovery itself is crashed.
    enum Idempotency {
        /// Crash at every call of the recovery that changes the disk, with each damage
        /// (the calls in between change nothing: crashing there gives an image already
        /// tested), and lose power right after it.
        case everyChangingCall
        /// One such crash, chosen by the seed (soak runs, where recoveries are costly).
        case oneChangingCall
    }

    struct Stats {
        var recoveries = 0
        var tornTailsCut = 0
        var bytesCut = 0
        var beforeCreate = 0
        var checkpointsUsed = 0
        var statusFilesCurrent = 0
        var recoveryCrashes = 0
        /// Crash points whose image was the one just recovered (judged without recovering).
        var sameImage = 0

        mutating func add(_ other: Stats) {
            recoveries += other.recoveries
            tornTailsCut += other.tornTailsCut
            bytesCut += other.bytesCut
            beforeCreate += other.beforeCreate
            checkpointsUsed += other.checkpointsUsed
            statusFilesCurrent += other.statusFilesCurrent
            recoveryCrashes += other.recoveryCrashes
            sameImage += other.sameImage
        }
    }

    static let logPath = SimWorkload.directory + "/" + EventLog.fileName

    var outcome: SimWorkload.Outcome
    var idempotency: Idempotency
    var stats = Stats()

    init(outcome: SimWorkload.Outcome, idempotency: Idempotency = .everyChangingCall) {
        self.outcome = outcome
        self.idempotency = idempotency
    }

    /// One recovery from one image, and what it showed about I3 (which depends on the
    /// image only): kept, so that the crash points that leave the same image (every call
    /// that changes nothing a crash keeps) are judged without recovering again.
    struct Recovery {
        var image: SimDiskImage
        var replica: Replica?
        var openError: StoreError?
        var problems: [String]
    }

    /// The last recovery of each lane (the sweep uses one lane per damage).
    private var lastRecovery: [Int: Recovery] = [:]

    /// Judges a crash at disk call `call` that left `image`.
    mutating func check(_ image: SimDiskImage, crashAt call: Int, seed: UInt64, lane: Int = 0) -> [String] {
        let recovery: Recovery
        if let last = lastRecovery[lane], last.image == image {
            recovery = last
            stats.sameImage += 1
        } else {
            recovery = recover(image, seed: seed)
            lastRecovery[lane] = recovery
        }
        guard let replica = recovery.replica else {
            let created = outcome.createdAtCall.map { $0 <= call } ?? false
            if created || recovery.openError != .notANode(directory: SimWorkload.directory) {
                return recovery.problems + ["I3: the store does not open after the crash: \(recovery.openError.map { "\($0)" } ?? "?")"]
            }
            stats.beforeCreate += 1
            return recovery.problems
        }
        return recovery.problems + judge(replica, crashAt: call)
    }

    /// Recovers from `image` and checks what does not depend on the crash point.
    private mutating func recover(_ image: SimDiskImage, seed: UInt64) -> Recovery {
        var recovery = Recovery(image: image, problems: [])
        // Read by the format first (the test's own oracle): what the crash left at the end
        // of the log, which recovery must cut, and count.
        let log = image.contents(of: Self.logPath)
        let damage = log.flatMap(LogFormatProbe.damage)
        if let damage, damage.inTheMiddle {
            recovery.problems.append("I3: a crash left damage in the middle of the log at byte \(damage.offset)")
        }
        let disk = SimStorage(seed: seed, image: image)
        disk.startTracing()
        // The state at every call of the recovery: what crashing there would leave.
        disk.snapshotting(.every)
        let first: RecoveredState
        let usedCheckpoint: Bool
        var store: NodeStore
        do throws(StoreError) {
            store = try SimWorkload.open(disk)
        } catch {
            recovery.openError = error
            return recovery
        }
        stats.recoveries += 1
        let opening = store.opening
        if opening.continuedFrom != nil { recovery.problems.append("I3: recovery continued under a new node id (\(opening.reason ?? ""))") }
        if let offset = damage?.offset {
            let size = log?.count ?? 0
            if opening.recovery.cutAt != offset || opening.recovery.cutBytes != size - offset {
                recovery.problems.append("I3: the torn tail at byte \(offset) (\(size - offset) bytes) was not cut and counted: cut \(opening.recovery.cutBytes) at \(opening.recovery.cutAt.map(String.init) ?? "nil")")
            }
            stats.tornTailsCut += 1
            stats.bytesCut += opening.recovery.cutBytes
        } else if opening.recovery.cutBytes != 0 {
            recovery.problems.append("I3: recovery cut \(opening.recovery.cutBytes) bytes of a log whose records are all sound")
        }
        // A crash leaves the old checkpoint or the new one, and it covers the log
        // (it never covers more than was synced): it is missing or it is used.
        if let problem = opening.checkpointProblem, problem != Checkpoint.Problem.missing.description {
            recovery.problems.append("I3: the checkpoint was not used after the crash: \(problem)")
        }
        usedCheckpoint = opening.checkpointEvents != nil
        if usedCheckpoint { stats.checkpointsUsed += 1 }
        first = Self.state(of: store.replica, disk: disk)
        recovery.replica = store.replica
        let calls = disk.calls()
        let during = disk.takeSnapshots().filter { calls[$0.call].changesDisk }
        disk.snapshotting(.none)
        let after = disk.snapshotNow()
        recovery.problems += audit(disk, expecting: first, wholeLog: usedCheckpoint, seed: seed)
        recovery.problems += recoveryIsIdempotent(image, first: first, after: after, during: during, seed: seed)
        recovery.problems += acceptsAWrite(&store, after: first)
        return recovery
    }

    /// I1 on a recovered replica.
    private func judge(_ replica: Replica, crashAt call: Int) -> [String] {
        var problems: [String] = []
        let chain = replica.versionVector[SimWorkload.node]
        let allowed = outcome.allowedChainLengths(crashAt: call)
        if !allowed.contains(chain) {
            let acknowledged = allowed.min() ?? 0
            problems.append(chain < acknowledged
                ? "I1: acknowledged up to seq \(acknowledged), recovered only \(chain)"
                : "I1: recovered seq \(chain), which is not the end of a record begun before the crash (allowed: \(allowed.sorted()))")
        }
        let lost = outcome.acknowledged(before: call).filter { !replica.history.contains($0.id) }
        if let event = lost.first { problems.append("I1: \(lost.count) acknowledged events missing or changed, first \(event.id)") }
        if replica.history.pendingCount > 0 { problems.append("I3: \(replica.history.pendingCount) recovered events do not chain") }
        if !replica.forks.isEmpty { problems.append("I3: recovery shows \(replica.forks.count) forks") }
        let violations = replica.history.invariantViolations()
        if !violations.isEmpty { problems.append("I3: history invariants: \(violations.prefix(3))") }
        return problems
    }

    static func state(of replica: Replica, disk: SimStorage) -> RecoveredState {
        RecoveredState(node: replica.node, versionVector: replica.versionVector, digest: replica.digest,
                       eventCount: replica.eventCount, log: disk.currentImage.contents(of: logPath) ?? [])
    }

    /// I3 beyond opening: what `carnet verify` checks, on the recovered disk.
    /// `wholeLog`: also read the whole log and compare (when the store opened through the
    /// checkpoint; otherwise the store's state is the whole log's already).
    private mutating func audit(_ disk: SimStorage, expecting state: RecoveredState, wholeLog: Bool, seed: UInt64) -> [String] {
        var problems: [String] = []
        let directory = SimWorkload.directory
        do throws(StoreError) {
            guard let verification = cachedVerification(of: disk.currentImage, seed: seed) else {
                return ["I3: verify cannot read the recovered log"]
            }
            if !verification.isSound {
                problems.append("I3: verify after recovery: damage at \(verification.damageOffset.map(String.init) ?? "-"), \(verification.unchainedEvents) unchained, \(verification.rejectedEvents) rejected")
            }
            if verification.events != state.eventCount {
                problems.append("I3: verify counts \(verification.events) events, the recovered store \(state.eventCount)")
            }
            if wholeLog, try wholeLogDigest(disk) != state.digest {
                problems.append("I3: the whole log gives another digest than the store opened through its checkpoint")
            }
        } catch {
            problems.append("I3: cannot audit the recovered store: \(error)")
        }
        if let summary = StoreStatus.current(directory: directory, storage: disk) {
            stats.statusFilesCurrent += 1
            if summary.eventCount != state.eventCount || summary.digest != state.digest {
                problems.append("I3: the current status file says \(summary.eventCount) events, the log \(state.eventCount)")
            }
        }
        return problems
    }

    /// Recovery is idempotent: opening again, losing power right after recovering, or
    /// crashing at any call of the recovery that changes the disk (with each damage) and
    /// recovering again, all give the same state. `during` holds the disk at those calls,
    /// `after` right after recovering. Images already recovered (often most: a crash at a
    /// truncate leaves the image recovery started from) are not recovered twice.
    private mutating func recoveryIsIdempotent(_ image: SimDiskImage, first: RecoveredState, after: SimDiskSnapshot,
                                               during: [SimDiskSnapshot], seed: UInt64) -> [String] {
        var problems: [String] = []
        var random = SplitMix64(seed: seed ^ 0xC0FFEE)
        var recovered = [image]
        func again(_ candidate: SimDiskImage, _ what: String) {
            guard !recovered.contains(candidate) else { return }
            recovered.append(candidate)
            let disk = SimStorage(seed: seed, image: candidate)
            do throws(StoreError) {
                let store = try SimWorkload.open(disk)
                stats.recoveries += 1
                let state = Self.state(of: store.replica, disk: disk)
                if state != first { problems.append("recovery not idempotent (\(what)): \(state) ≠ \(first)") }
            } catch {
                problems.append("I3: the store does not open (\(what)): \(error)")
            }
        }
        again(after.image, "opened a second time")
        for damage in CrashDamage.allCases {
            again(after.image.crashed(damage, using: &random), "power loss after recovery, \(damage)")
        }
        var points = during
        if idempotency == .oneChangingCall, let one = points.randomElement(using: &random) { points = [one] }
        for snapshot in points {
            for damage in CrashDamage.allCases {
                stats.recoveryCrashes += 1
                again(snapshot.image.crashed(damage, inFlight: snapshot.inFlight, using: &random),
                      "crash at recovery call \(snapshot.call), \(damage)")
            }
        }
        return problems
    }

    /// The recovered store takes a write at the next seq: it opens for writing, not only
    /// for reading. (Last: the other checks work on the disk as recovery left it.)
    private func acceptsAWrite(_ store: inout NodeStore, after state: RecoveredState) -> [String] {
        do throws(StoreError) {
            let event = try store.write(.append(Entry(id: "after-recovery", kind: "harvest", fields: [])), wallMillis: 1_790_000_000_000)
            let expected = state.versionVector[SimWorkload.node] + 1
            return event.dot.seq == expected ? [] : ["the first write after recovery took seq \(event.dot.seq), not \(expected)"]
        } catch {
            return ["I3: the recovered store refuses a write: \(error)"]
        }
    }

    // MARK: - Caches
    //
    // Consecutive crash points often leave the same log while other files differ (a status
    // file being replaced); reading a log is the costly part of a check in a debug build.

    private var verifications: [(log: [UInt8], verification: LogVerification?)] = []
    private var digests: [(log: [UInt8], digest: SHA256Digest)] = []

    /// `EventLog.verify` of the image's log (nil when there is no readable log).
    private mutating func cachedVerification(of image: SimDiskImage, seed: UInt64) -> LogVerification? {
        let log = image.contents(of: Self.logPath) ?? []
        if let hit = verifications.first(where: { SimDiskImage.sameBytes($0.log, log) }) { return hit.verification }
        let verification = try? EventLog.verify(directory: SimWorkload.directory, storage: SimStorage(seed: seed, image: image))
        verifications = [(log, verification)] + verifications.prefix(5)
        return verification
    }

    /// The digest of the state the whole log holds, read without the checkpoint.
    private mutating func wholeLogDigest(_ disk: SimStorage) throws(StoreError) -> SHA256Digest {
        let log = disk.currentImage.contents(of: Self.logPath) ?? []
        if let hit = digests.first(where: { SimDiskImage.sameBytes($0.log, log) }) { return hit.digest }
        let whole = try EventLog.open(directory: SimWorkload.directory, storage: disk)
        var replica = Replica(node: SimWorkload.node)
        replica.admit(contentsOf: whole.recovered)
        digests = [(log, replica.digest)] + digests.prefix(5)
        return replica.digest
    }
}
