import CarnetCore
import CarnetLedger
import CarnetStore
import CarnetSystem

/// `carnet verify [--json]`: checks the node's files without changing them.
struct VerifyCommand: Command {
    static let spec = CommandSpec(
        path: ["verify"], summary: "check checksums, hash chains, checkpoint and derived state; exit 0 only if sound",
        options: [.json],
        discussion: """
        Checks, reading only: every log record's framing and checksum; every event's hash
        chain; that the checkpoint holds exactly the log's events up to its stamp; that the
        status file's digest and counts equal those recomputed from the log (when the status
        file is current). A torn tail (an unfinished, never acknowledged write) is a warning:
        the next opening cuts it. Damage before the end is a failure (exit 1) and its byte
        offset is reported. JSON: {sound, problems, warnings, log: {bytes, records, events,
        damageOffset, damageReason, tornTail, unchainedEvents, rejectedEvents}, checkpoint:
        {present, events, matches}, status: {current, matches}, digest}.
        """,
        examples: ["carnet verify", "carnet verify --json"]
    )

    var json: Bool

    init(_ invocation: Invocation) throws {
        json = invocation.flag("--json")
    }

    func run(in context: Context) throws {
        let directory = context.directory
        let identity = try NodeIdentity.load(directory: directory)
        var problems: [String] = []
        var warnings: [String] = []
        var report: [String: JSON] = [:]
        let logPath = directory + "/" + EventLog.fileName
        context.output.progress("verifying \(logPath)…")

        // 1. Framing, checksums and hash chains (the store's own check).
        let verification = try EventLog.verify(directory: directory)
        let bytes = try Files.read(logPath, what: "the event log")
        let log = LogReader(bytes)
        var tornTail = false
        if let offset = verification.damageOffset {
            let reason = verification.damageReason ?? "damaged"
            if verification.damageIsTornTail {
                tornTail = true
                warnings.append("\(logPath) ends with \(bytes.count - offset) bytes of an unfinished write at byte \(offset) (\(reason)); the next opening cuts them")
            } else {
                problems.append("\(logPath) is damaged at byte \(offset) (\(reason)); the \(verification.records) records (\(verification.events) events) before it are intact")
            }
        }
        if verification.unchainedEvents > 0 { problems.append("\(verification.unchainedEvents) events do not chain to their predecessor") }
        if verification.rejectedEvents > 0 { problems.append("\(verification.rejectedEvents) events are refused by the history (bad hash chain)") }
        problems += verification.historyProblems.map { "history: \($0)" }
        report["log"] = .object([
            "bytes": .int(bytes.count), "records": .int(verification.records), "events": .int(verification.events),
            "damageOffset": verification.damageOffset.map { JSON.int($0) } ?? .null,
            "damageReason": .optional(verification.damageReason), "tornTail": .bool(tornTail),
            "unchainedEvents": .int(verification.unchainedEvents), "rejectedEvents": .int(verification.rejectedEvents),
        ])
        let middleDamage = verification.damageOffset != nil && !tornTail

        // 2. The state the log holds.
        var replica = Replica(node: identity.node)
        replica.receive(contentsOf: log.allEvents)
        let digest = replica.digest
        report["digest"] = .string(digest.hex)

        // 3. The checkpoint against the log.
        var checkpoint: [String: JSON] = ["present": .bool(false)]
        do throws(Checkpoint.Problem) {
            let contents = try Checkpoint.read(directory: directory)
            checkpoint = ["present": .bool(true), "events": .int(contents.events.count)]
            if let covered = log.events(upTo: contents.stamp) {
                let same = Set(covered.map(\.id)) == Set(contents.events.map(\.id)) && covered.count == contents.events.count
                checkpoint["matches"] = .bool(same)
                if !same {
                    problems.append("the checkpoint holds \(contents.events.count) events but the log holds \(covered.count) up to its \(contents.stamp); they differ")
                }
            } else if !middleDamage {
                checkpoint["matches"] = .bool(false)
                problems.append("the checkpoint covers a log state (\(contents.stamp)) that is not a prefix of this log")
            }
        } catch .missing {
            warnings.append("no checkpoint (opening reads the whole log; one is written as the store grows)")
        } catch {
            checkpoint = ["present": .bool(true), "matches": .bool(false)]
            problems.append("\(error)")
        }
        report["checkpoint"] = .object(checkpoint)

        // 4. Derived state: the status file against what the log gives.
        var status: [String: JSON] = ["current": .bool(false)]
        if !middleDamage, let summary = StoreSummary.current(directory: directory) {
            let conflicts = Conflicts.all(replica: replica).count
            var mismatches: [String] = []
            if summary.digest != digest { mismatches.append("digest \(summary.digest.short) ≠ \(digest.short)") }
            if summary.eventCount != replica.eventCount { mismatches.append("events \(summary.eventCount) ≠ \(replica.eventCount)") }
            if summary.forkCount != replica.forks.count { mismatches.append("forks \(summary.forkCount) ≠ \(replica.forks.count)") }
            if summary.pendingCount != replica.history.pendingCount { mismatches.append("pending \(summary.pendingCount) ≠ \(replica.history.pendingCount)") }
            if let stored = summary.derived["conflicts"], stored != conflicts { mismatches.append("conflicts \(stored) ≠ \(conflicts)") }
            status = ["current": .bool(true), "matches": .bool(mismatches.isEmpty)]
            if !mismatches.isEmpty {
                problems.append("the status file disagrees with the log: \(mismatches.joined(separator: ", "))")
            }
        }
        report["status"] = .object(status)

        // 5. Entries a newer carnet wrote that this one cannot read: not damage.
        let unreadable = LedgerState(replica: replica).unreadable
        if !unreadable.isEmpty { warnings.append("\(unreadable.count) entries cannot be read by this version (e.g. \(unreadable[0].reason))") }
        if !Directory.exists(directory + "/secret") { warnings.append("no ledger secret in \(directory)/secret: sync will not work") }

        context.output.endProgress()
        report["sound"] = .bool(problems.isEmpty)
        report["problems"] = .array(problems.map(JSON.string))
        report["warnings"] = .array(warnings.map(JSON.string))
        if json {
            context.output.json(.object(report))
        } else {
            let output = context.output
            output.line("log: \(verification.records) records, \(verification.events) events, \(bytes.count) bytes")
            output.line("digest: \(digest.hex)")
            for warning in warnings { output.line(output.yellow("warning: ") + warning) }
            for problem in problems { output.line(output.red("problem: ") + problem) }
            if problems.isEmpty { output.line(output.green("sound")) }
        }
        guard problems.isEmpty else {
            throw CLIError(.failure, "the store is not sound: \(problems[0])")
        }
    }
}
