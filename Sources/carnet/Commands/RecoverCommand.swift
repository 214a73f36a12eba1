import CarnetNode
import Foundation

/// `carnet recover [--json]`: the way out of a damaged store, which every other command
/// refuses (rightly: skipping damage is a decision, and this command is where a person
/// makes it).
struct RecoverCommand: Command {
    static let spec = CommandSpec(
        path: ["recover"],
        summary: "repair a damaged store: keep every intact event, set the damaged bytes aside, sync fetches the rest",
        options: [.json],
        discussion: """
        Keeps every sound record of events.log, before and after the damage (this node's \
        own unsynced events included: they exist nowhere else), moves the damaged bytes \
        into events.log.damaged-<UTC time> in the node directory (never deleted), writes a \
        log that opens (new file, fsync, rename, fsync of the directory), drops the \
        checkpoint and status file of the old log, and checks the result as `carnet verify` \
        does. When the damaged bytes may have held events this node wrote, it continues \
        under a new node id linked to the old one, so that no sequence number a peer may \
        hold is written twice. Then `carnet sync HOST:PORT` fetches from a peer what the \
        damage took. On a sound store it says so and changes nothing. Refused while \
        `carnet serve` runs on the directory. JSON: {sound, changed, kept: {records, \
        events}, setAside: {file, bytes, regions: [{start, end, reason, asideStart, \
        asideEnd}]}, continuedFrom, node, waitingEvents, waitingOwnEvents, verify: {sound, \
        problems, warnings}, next}.
        """,
        examples: ["carnet recover", "carnet recover --json"]
    )

    let json: Bool

    init(_ invocation: Invocation) throws {
        json = invocation.flag("--json")
    }

    func run(in context: Context) throws {
        let outcome = try NodeRecovery.run(directory: context.directory, wallMillis: context.wallMillis(),
                                           freshNodeID: Context.randomNodeID)
        let next = Self.nextStep(outcome)
        if json {
            context.output.json(Self.json(outcome, next: next))
        } else {
            for line in Self.lines(outcome, directory: context.directory) { context.output.line(line) }
            if let next { context.output.line("next: \(next)") }
        }
        guard outcome.after.isSound else {
            throw CLIError(.failure, "the store is still not sound after recovery: \(outcome.after.problems[0])")
        }
    }

    static func lines(_ outcome: NodeRecovery.Outcome, directory: String) -> [String] {
        guard let report = outcome.store else {
            return ["\(directory) is sound: nothing to recover, nothing was changed"]
        }
        var lines: [String] = []
        lines.append("kept \(report.keptRecords) intact records (\(report.keptEvents) events)")
        if let file = report.asideFile {
            lines.append("set aside \(report.damagedBytes) damaged bytes in \(file):")
            for region in report.regions {
                lines.append("  bytes \(region.range.lowerBound)..<\(region.range.upperBound) of events.log (\(region.reason))"
                    + " → bytes \(region.asideRange.lowerBound)..<\(region.asideRange.upperBound) of that file")
            }
            lines.append("wrote a new events.log of the intact records")
        }
        if report.checkpointDropped { lines.append("dropped the checkpoint and status file of the old log; they are rebuilt as the store is used") }
        if let previous = report.continuedFrom {
            lines.append("this node continues as node \(report.node.short), linked to \(previous.short): the damaged bytes may have held "
                + "events it wrote that a peer holds, and their sequence numbers must not be written again")
        }
        if report.waitingEvents > 0 {
            lines.append("\(report.waitingEvents) kept events (\(report.waitingOwnEvents) of this node's own) wait for predecessors that were in the damage")
        }
        lines.append(outcome.after.isSound ? "verify: sound" : "verify: not sound: \(outcome.after.problems.joined(separator: "; "))")
        return lines
    }

    /// What the person does next: fetch from a peer what the damage took.
    static func nextStep(_ outcome: NodeRecovery.Outcome) -> String? {
        guard let report = outcome.store, report.logRewritten else { return nil }
        let peer = outcome.peers.first ?? "HUB"
        return "run `carnet sync \(peer)` to fetch the rest from a peer that holds this ledger"
    }

    static func json(_ outcome: NodeRecovery.Outcome, next: String?) -> JSON {
        let report = outcome.store
        let regions = (report?.regions ?? []).map { region -> JSON in
            .object(["start": .int(region.range.lowerBound), "end": .int(region.range.upperBound), "reason": .string(region.reason),
                     "asideStart": .int(region.asideRange.lowerBound), "asideEnd": .int(region.asideRange.upperBound)])
        }
        return .object([
            "sound": .bool(outcome.wasSound),
            "changed": .bool(report?.changedAnything ?? false),
            "kept": .object(["records": .int(report?.keptRecords ?? outcome.after.records),
                             "events": .int(report?.keptEvents ?? outcome.after.events)]),
            "setAside": .object(["file": .optional(report?.asideFile), "bytes": .int(report?.damagedBytes ?? 0),
                                 "regions": .array(regions)]),
            "continuedFrom": .optional(report?.continuedFrom?.hex),
            "node": .optional(report?.node.hex),
            "waitingEvents": .int(report?.waitingEvents ?? 0),
            "waitingOwnEvents": .int(report?.waitingOwnEvents ?? 0),
            "verify": .object(["sound": .bool(outcome.after.isSound), "problems": .array(outcome.after.problems.map(JSON.string)),
                               "warnings": .array(outcome.after.warnings.map(JSON.string))]),
            "next": .optional(next),
        ])
    }
}
