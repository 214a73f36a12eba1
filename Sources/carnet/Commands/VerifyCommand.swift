import CarnetNode

/// `carnet verify [--json]`: checks the node's files without changing them.
struct VerifyCommand: Command {
    static let spec = CommandSpec(
        path: ["verify"], summary: "check checksums, hash chains, checkpoint and derived state; exit 0 only if sound",
        options: [.json],
        discussion: """
        Checks, reading only: every log record's framing and checksum; every event's hash
        chain; that the checkpoint holds exactly the log's events up to its stamp; that the
        status file's digest and counts equal those recomputed from the log, and that the
        views file (stock, balances, conflicts, catalog) equals the views folded again from
        every event, and that the entry index equals the one made again from every record
        (each when current). A torn tail (an unfinished, never acknowledged write) is a warning:
        the next opening cuts it. Damage before the end is a failure (exit 1) and its byte
        offset is reported. JSON: {sound, problems, warnings, log: {bytes, records, events,
        damageOffset, damageReason, tornTail, unchainedEvents, rejectedEvents}, checkpoint:
        {present, events, matches}, status: {current, matches}, views: {current, matches},
        entryIndex: {current, matches}, digest, signatures, unsignedEvents}.
        """,
        examples: ["carnet verify", "carnet verify --json"]
    )

    var json: Bool

    init(_ invocation: Invocation) throws {
        json = invocation.flag("--json")
    }

    func run(in context: Context) throws {
        context.output.progress("verifying \(context.directory)/events.log…")
        let audit = try StoreAudit.run(directory: context.directory)
        context.output.endProgress()
        var checkpoint: [String: JSON] = ["present": .bool(audit.checkpointPresent)]
        if let events = audit.checkpointEvents { checkpoint["events"] = .int(events) }
        if let matches = audit.checkpointMatches { checkpoint["matches"] = .bool(matches) }
        var status: [String: JSON] = ["current": .bool(audit.statusCurrent)]
        if let matches = audit.statusMatches { status["matches"] = .bool(matches) }
        var views: [String: JSON] = ["current": .bool(audit.viewsCurrent)]
        if let matches = audit.viewsMatch { views["matches"] = .bool(matches) }
        var entries: [String: JSON] = ["current": .bool(audit.entryIndexCurrent)]
        if let matches = audit.entryIndexMatch { entries["matches"] = .bool(matches) }
        let report: [String: JSON] = [
            "log": .object([
                "bytes": .int(audit.logBytes), "records": .int(audit.records), "events": .int(audit.events),
                "damageOffset": audit.damageOffset.map { JSON.int($0) } ?? .null,
                "damageReason": .optional(audit.damageReason), "tornTail": .bool(audit.tornTail),
                "unchainedEvents": .int(audit.unchainedEvents), "rejectedEvents": .int(audit.rejectedEvents),
            ]),
            "digest": .string(audit.digest.hex),
            "signatures": audit.signatures.map { JSON.int($0) } ?? .null,
            "unsignedEvents": .int(audit.unsignedEvents),
            "checkpoint": .object(checkpoint),
            "status": .object(status),
            "views": .object(views),
            "entryIndex": .object(entries),
            "sound": .bool(audit.isSound),
            "problems": .array(audit.problems.map(JSON.string)),
            "warnings": .array(audit.warnings.map(JSON.string)),
        ]
        if json {
            context.output.json(.object(report))
        } else {
            let output = context.output
            output.line("log: \(audit.records) records, \(audit.events) events, \(audit.logBytes) bytes")
            output.line("digest: \(audit.digest.hex)")
            if let signatures = audit.signatures {
                let adopted = audit.adoptionHeads == 0 ? "" : " (\(audit.adoptionHeads) of them the creator's adoption of format-1 history)"
                output.line("signatures: \(signatures) signed heads verified\(adopted); "
                            + (audit.unsignedEvents > 0 ? "\(audit.unsignedEvents) events are not covered"
                               : audit.adoptionHeads > 0 ? "every event is signed by its author or adopted by the creator"
                               : "every event is signed by its author"))
            }
            if audit.viewsMatch == true {
                output.line("views: the views file equals the views folded again from every event")
            }
            if audit.entryIndexMatch == true {
                output.line("entry index: equals the index made again from every record")
            }
            for warning in audit.warnings { output.line(output.yellow("warning: ") + warning) }
            for problem in audit.problems { output.line(output.red("problem: ") + problem) }
            if audit.isSound { output.line(output.green("sound")) }
        }
        // What was checked, for `status`: it cannot see the middle of the log itself.
        let record = NodeStatus.Verification(atMillis: context.wallMillis(), sound: audit.isSound, stamp: audit.stamp)
        do {
            try record.save(directory: context.directory)
        } catch {
            context.output.warn("could not note this verification for `carnet status` (\(error))")
        }
        guard audit.isSound else {
            throw CLIError(.failure, "the store is not sound: \(audit.problems[0])")
        }
    }
}
