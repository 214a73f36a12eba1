import CarnetCore
import CarnetLedger
import CarnetNode

/// `carnet status [--json]`: who this node is and what it holds.
///
/// Fast path: when the status file describes the log exactly as it is, the answer comes
/// from it and the identity file, without reading the log, in milliseconds on a store of
/// any size. Otherwise the store is opened and the status file rewritten.
struct StatusCommand: Command {
    static let spec = CommandSpec(
        path: ["status"], summary: "who this node is and what it holds",
        options: [.json],
        discussion: """
        JSON fields: node, label, ledger, ledgerId (null for a format-1 ledger), signed (whether
        every commit is signed and only signed events are stored), events, versionVector (node hex → highest contiguous
        seq), labels (node hex → label, for the nodes of the version vector whose label the
        ledger carries), digest (SHA-256 of each node's seq and heads, protocol/SPEC.md §5: equal on two nodes
        exactly when they have accepted the same events; pending ones count nowhere), conflicts, forks, pending,
        fromStatusFile, and peers: for each peer
        dialed by `serve`, dialing in (by node id) or met in a sync, {address, dialed, dialedIn, node, label, lastSync,
        lastError, lastErrorAt, lacks, live, liveSince, clockOffsetMillis, clockMeasuredAt, clockSuspect, receipt} (lacks: events
        this node holds that the peer was not shown to hold, kept current while a live session runs; clockOffsetMillis:
        the peer's wall clock minus this node's at the latest handshake, suspect past 5 minutes); receipts: the latest \
        custody receipt from each peer that stored this node's events (signed ledgers), {node, label, seq, time, \
        timeMillis, subject, head, coversAll, signature} (node: the holder; coversAll: whether seq reaches this node's \
        newest event; checked when it arrived, `carnet receipt verify` checks it again); server: what this node's `carnet serve` counted since it started
        (null if none ran here): {running, pid, sessions {open, peak, started, completed,
        failed}, failures (by error code), rejected (hostile or broken input, by reason),
        authenticationFailures, busyRefusals, unauthenticated {open, peak, evicted, \
        timedOut} (connections not authenticated yet), events {sent, received, receivedNew}, bytes} (events and
        bytes of the sessions still open included, within a second).
        """,
        examples: ["carnet status --json"]
    )

    var json: Bool

    init(_ invocation: Invocation) throws {
        json = invocation.flag("--json")
    }

    /// The figures shown, whichever path produced them.
    struct Figures {
        var status: NodeStatus
        var identity: NodeStatus.Identity { status.identity }
        var summary: NodeStatus.Summary { status.summary }
        var fromStatusFile: Bool { status.fromStatusFile }
        /// Only known when the store was opened.
        var eventsSinceCheckpoint: Int? { status.eventsSinceCheckpoint }
        var peers: [PeerStatus] = []
        /// The custody receipts kept (signed ledgers).
        var receipts: [PeerReceipt] = []
        /// What this node's `carnet serve` counted, when one ran here.
        var server: ServerCounters?
        /// Every node's label the ledger carries (`NodeLabelsFromViews`); the node's own always.
        var labels: [NodeID: String] = [:]
        /// This device's standing among the ledger's members, from the views file (nil when
        /// it is stale: shown as unknown rather than guessed).
        var members: MembersView?
        /// What `verify` last found, and whether the log is still the one it checked.
        var verification: (record: NodeStatus.Verification, coverage: NodeStatus.Verification.Coverage)?
        /// False when the log's last record fails its checksum (checked on every call).
        var lastRecordSound = true
    }

    func run(in context: Context) throws {
        var figures = try Self.figures(context)
        figures.peers = try PeerStatus.all(directory: context.directory, own: figures.summary.history.versionVector)
        figures.server = ServerCounters.load(directory: context.directory)
        do {
            figures.receipts = try PeerReceipt.all(directory: context.directory, own: figures.summary.history.versionVector)
        } catch {
            context.output.warn("\(error); `carnet receipt verify` says more")
        }
        // One read of the views file for both: its header, table and these two small sections.
        let views = LedgerViewsFile.current(directory: context.directory, parts: [.labels, .members])
        figures.labels = NodeLabelsFromViews.labels(views, own: figures.identity)
        figures.members = views?.members
        if let record = NodeStatus.Verification.load(directory: context.directory) {
            figures.verification = (record, record.coverage(directory: context.directory))
        }
        figures.lastRecordSound = figures.summary.stamp.lastRecordIsSound(directory: context.directory)
        if !figures.lastRecordSound {
            context.output.warn("the log's last record fails its checksum: run `carnet verify` (and `carnet recover` if it finds damage)")
        }
        if json {
            context.output.json(Self.json(figures))
        } else {
            print(figures, context.output)
        }
    }

    static func figures(_ context: Context) throws -> Figures {
        let (status, notices) = try NodeStatus.read(directory: context.directory, wallMillis: context.wallMillis())
        for notice in notices { context.output.warn(notice) }
        return Figures(status: status)
    }

    static func json(_ figures: Figures) -> JSON {
        var vector: [String: JSON] = [:]
        var labels: [String: JSON] = [:]
        for (node, seq) in figures.summary.history.versionVector.sortedEntries {
            vector[node.hex] = .int(seq)
            if let label = figures.labels[node] { labels[node.hex] = .string(label) }
        }
        return .object([
            "node": .string(figures.identity.node.hex),
            "label": .string(figures.identity.label),
            "ledger": .string(figures.identity.ledger),
            "ledgerId": figures.identity.ledgerID.map { .string($0.hex) } ?? .null,
            "signed": .bool(figures.identity.isSigned),
            "members": .bool(figures.members?.enforced ?? false),
            "roles": figures.members.map { members in
                members.enforced ? .optional(members.ownRoles?.description) : .string(MemberRoles.creator.description)
            } ?? .null,
            "revoked": .bool(figures.members?.ownRevoked ?? false),
            "heldAside": .optional(figures.members.map { Int64($0.heldAside) }),
            "notCounted": .optional(figures.members.map { Int64($0.revoked + $0.outOfRole) }),
            "events": .int(figures.summary.eventCount),
            "versionVector": .object(vector),
            "labels": .object(labels),
            "digest": .string(figures.summary.digest.hex),
            "conflicts": .int(figures.status.conflicts),
            "forks": .int(figures.summary.forkCount),
            "pending": .int(figures.summary.pendingCount),
            "fromStatusFile": .bool(figures.fromStatusFile),
            "lastRecordSound": .bool(figures.lastRecordSound),
            "verified": figures.verification.map { verification in
                .object(["atMillis": .int(Int64(verification.record.atMillis)), "sound": .bool(verification.record.sound),
                         "log": .string(Self.coverageName(verification.coverage))])
            } ?? .null,
            "peers": .array(figures.peers.map(\.json)),
            "receipts": .array(figures.receipts.map(\.json)),
            "server": figures.server.map(serverJSON) ?? .null,
        ])
    }

    /// The counters of this node's `carnet serve` (the last one, if none runs now).
    static func serverJSON(_ counters: ServerCounters) -> JSON {
        func map(_ values: [String: Int]) -> JSON { .object(values.mapValues { JSON.int($0) }) }
        return .object([
            "running": .bool(UserFiles.processIsRunning(counters.pid)),
            "pid": .int(counters.pid), "startedMillis": .int(counters.startedMillis), "updatedMillis": .int(counters.updatedMillis),
            "sessions": .object([
                "open": .int(counters.openSessions), "peak": .int(counters.peakSessions), "started": .int(counters.sessionsStarted),
                "completed": .int(counters.sessionsCompleted), "failed": .int(counters.sessionsFailed),
            ]),
            "failures": map(counters.failures),
            "rejected": map(counters.rejected),
            "authenticationFailures": .int(counters.authenticationFailures),
            "busyRefusals": .int(counters.busyRefusals),
            "unauthenticated": .object(["open": .int(counters.unauthenticatedOpen), "peak": .int(counters.unauthenticatedPeak),
                                        "evicted": .int(counters.unauthenticatedEvicted), "timedOut": .int(counters.unauthenticatedTimedOut)]),
            "events": .object(["sent": .int(counters.eventsSent), "received": .int(counters.eventsReceived),
                               "receivedNew": .int(counters.eventsReceivedNew)]),
            "bytes": .object(["sent": .int(counters.bytesSent), "received": .int(counters.bytesReceived)]),
        ])
    }

    static func coverageName(_ coverage: NodeStatus.Verification.Coverage) -> String {
        switch coverage {
        case .same: "unchanged"
        case .grown: "grown"
        case .rewritten: "rewritten"
        case .other: "replaced"
        }
    }

    /// What `status` can say of the log's soundness: it reads small files, not the log,
    /// so it says when every record was last checked rather than that all is well.
    static func verifiedLine(_ figures: Figures, _ output: Output) -> String {
        guard figures.lastRecordSound else { return output.red("the last record fails its checksum: run `carnet verify`") }
        guard let (record, coverage) = figures.verification, coverage != .other else {
            return output.yellow("never, for this log: `carnet verify` checks every record (status reads only small files)")
        }
        let when = HLCTimestamp(physical: record.atMillis, logical: 0).readable + " UTC"
        guard record.sound else {
            return output.red("damage found at \(when): run `carnet verify` again, then `carnet recover`")
        }
        switch coverage {
        case .rewritten:
            return output.red("every record was sound at \(when), but the log was written to since without growing "
                              + "(a change in the middle?): run `carnet verify`")
        case .grown:
            let since = figures.summary.stamp.size - record.stamp.size
            return "every record sound at \(when); \(since) bytes written since, not verified"
        default:
            return "every record sound at \(when); the log has neither grown nor been written to since"
        }
    }

    /// This device's roles, and what of the ledger waits for an enrolment.
    static func rolesLine(_ members: MembersView?, _ output: Output) -> String {
        guard let members else { return output.dim("unknown until the views are saved again (any command that opens the store)") }
        guard members.enforced else { return "every role (no members: the ledger's genesis is not held, or it predates members)" }
        var text = members.ownRevoked ? output.red("revoked: what this device writes counts on no node")
            : members.ownRoles.map(\.description) ?? output.yellow("not enrolled yet: what this device writes waits for an administrator's `carnet member add`")
        if members.heldAside > 0 { text += "; \(members.heldAside) events of devices not enrolled held aside" }
        if members.revoked + members.outOfRole > 0 { text += "; " + output.yellow("\(members.revoked + members.outOfRole) events count nowhere (see `carnet conflicts`)") }
        return text
    }

    private func print(_ figures: Figures, _ output: Output) {
        let summary = figures.summary
        let conflicts = figures.status.conflicts
        var lines: [(String, String)] = [
            ("node", "\(figures.identity.node.hex) (\(figures.identity.label))"),
            ("ledger", figures.identity.ledgerID.map { "\(figures.identity.ledger) (signed; id \($0.hex))" }
                ?? "\(figures.identity.ledger) (format 1: unsigned)"),
            ("events", "\(summary.eventCount) from \(summary.history.versionVector.nodes.count) node(s)"),
            ("digest", summary.digest.hex),
        ]
        if figures.identity.isSigned { lines.append(("roles", Self.rolesLine(figures.members, output))) }
        lines += [
            ("conflicts", conflicts == 0 ? "none" : output.yellow("\(conflicts) open — see `carnet conflicts`")),
            ("forks", summary.forkCount == 0 ? "none" : output.red("\(summary.forkCount)")),
        ]
        if summary.pendingCount > 0 {
            lines.append(("pending", "\(summary.pendingCount) events wait for their predecessor (sync again)"))
        }
        if let tail = figures.eventsSinceCheckpoint {
            lines.append(("checkpoint", tail == 0 ? "covers every event" : "\(tail) events since the last checkpoint"))
        }
        lines.append(("log", "\(summary.stamp.size) bytes"))
        lines.append(("verified", Self.verifiedLine(figures, output)))
        if let server = figures.server {
            let running = UserFiles.processIsRunning(server.pid)
            let rejected = server.rejected.values.reduce(0, +)
            lines.append(("server", "\(running ? "running (pid \(server.pid))" : "not running"): \(server.openSessions) sessions open, "
                + "\(server.sessionsCompleted) completed, \(server.sessionsFailed) failed (\(server.authenticationFailures) authentication, "
                + "\(rejected) rejected input), \(server.eventsReceivedNew) new events received"))
        }
        for (key, value) in lines {
            output.line(output.bold(key.rightPadded(to: 11)) + value)
        }
        output.line(output.dim("\nversion vector:"))
        var table = Table([("node", .left), ("label", .left), ("seq", .right)])
        for (node, seq) in summary.history.versionVector.sortedEntries {
            table.add([node.short, figures.labels[node] ?? "", "\(seq)"])
        }
        table.print(output)
        if !figures.receipts.isEmpty {
            output.line(output.dim("\ncustody receipts:"))
            for receipt in figures.receipts { output.line(receipt.sentence) }
        }
        guard !figures.peers.isEmpty else { return }
        output.line(output.dim("\npeers:"))
        var peers = Table([("peer", .left), ("node", .left), ("last sync", .left), ("lacks", .right), ("clock", .left), ("last error", .left)])
        for peer in figures.peers {
            peers.add([peer.peerColumn, peer.label ?? "-", peer.lastSyncColumn, peer.lacks.map(String.init) ?? "?",
                       PeerClock.cell(peer.clock, output), peer.lastError ?? ""])
        }
        peers.print(output)
        for warning in PeerClock.warnings(figures.peers) { output.line(output.yellow("warning: " + warning)) }
    }
}
