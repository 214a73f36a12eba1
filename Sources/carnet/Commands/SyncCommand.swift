import CarnetCore
import CarnetNode
import CarnetSync
import Foundation

/// `carnet sync HOST:PORT`: one session with one peer, both directions, then exit.
struct SyncCommand: Command {
    static let spec = CommandSpec(
        path: ["sync"],
        summary: "one sync session with a peer, both directions; reports events, bytes and time",
        arguments: [ArgumentSpec(name: "HOST:PORT", help: "the peer's address (port 7420 when omitted)")],
        options: [.json, .value("--timeout", "SECONDS", "give up connecting after this long (default 10)"),
                  .value("--budget", "SIZE", "use at most SIZE bytes on the link, both ways, handshake included: 200k, 1.5M, "
                      + "or plain bytes (k = 1,000, M = 1,000,000); own unsent entries go first")],
        discussion: """
        Both nodes must belong to the same ledger and hold its secret (the file `secret` in \
        each node directory). Only the events each side lacks travel, and an interrupted \
        sync resumes where it stopped: what was acknowledged is stored. A sync that \
        stopped early says how many events the peer confirmed storing; in JSON, \
        sent.newEvents counts those confirmed (sent.events, those written to the connection). \
        The handshake measures the peer's clock against this node's: past 5 minutes either \
        way, a warning says which is ahead (entries stamped by a clock ahead sort after \
        everyone's); so does one for events received stamped more than 5 minutes ahead of \
        this node's clock. JSON: clock.peerOffsetMillis (the peer's clock minus this \
        node's), clock.suspect, clock.eventsStampedAhead, clock.farthestStampAheadMillis. \
        With --budget, the bytes this node writes and reads on the connection, the \
        handshake's included, stay within SIZE: this node's own entries the peer lacks go \
        first (they exist nowhere else), then what this node lacks; each side stops at the \
        batch that would cross it, keeps what was acknowledged, and the report says what is \
        left, with exit status 75 when something is (run the same sync again). JSON adds \
        budget {bytes, ownToSend, ownSent, ownLeft, toReceive, complete}. In a signed ledger, \
        when the peer's latest custody receipt does not cover this node's newest event, the \
        sync asks for a new one (`carnet receipt show`); JSON: receipt {node, seq, time} or null.
        """,
        examples: ["carnet sync hub.local", "carnet sync 192.168.1.10:7420 --json", "carnet sync hub.local --budget 200k"]
    )

    let address: PeerAddress
    let json: Bool
    let timeout: Duration
    /// `--budget`, in bytes; nil without one.
    let budget: UInt32?

    /// Below this a budget cannot carry a handshake and a summary.
    static let smallestBudget = 1_000

    init(_ invocation: Invocation) throws {
        do {
            address = try PeerAddress(parsing: invocation.argument(0) ?? "")
        } catch {
            throw CLIError.usage("\(error)")
        }
        json = invocation.flag("--json")
        let seconds = try invocation.positiveInt("--timeout") ?? 10
        timeout = .seconds(seconds)
        if let text = invocation.value("--budget") {
            guard let size = ByteSize(parsing: text) else {
                throw CLIError.usage("--budget takes a size such as 200k, 1.5M or 50000 (bytes; k = 1,000), not \"\(text)\"")
            }
            guard size.bytes >= Self.smallestBudget, size.bytes <= Int(UInt32.max) else {
                throw CLIError.usage("--budget \(text) is \(ByteSize.grouped(size.bytes)) bytes: give between 1k (a handshake and a "
                                         + "summary need some hundreds) and 4G (4,294,967,295 bytes)")
            }
            budget = UInt32(size.bytes)
        } else {
            budget = nil
        }
    }

    func run(in context: Context) throws {
        // Dial first: the TCP handshake (a round trip on a slow link) overlaps opening the
        // store.
        let dialer = SyncClient.Dialer(address, timeout: timeout)
        let secret = try LedgerSecret.load(directory: context.directory)
        // Cold (`keepingChainsCold`): a farm that joins a hub takes in every event it holds,
        // and need not keep them all in memory to write its views.
        let store = try SharedStore(directory: context.directory, wallMillis: context.wallMillis(), keepingChainsCold: true)
        let connection = try dialer.connection(directory: context.directory)
        let (nodeBefore, forksBefore) = (store.identity.node, store.forkCount)
        var settings = SessionSettings()
        settings.budgetBytes = budget ?? 0
        // A one-shot session does not ask for grants: they cost a round trip when events
        // flow (a farm's day over a 64 kbit/s, 600 ms link: 2.18 s → 2.79 s), and the relay
        // storms they bound come from live sessions (`serve`, which speaks them). SPEC 8.3
        // rule 8.
        settings.grants = false
        let report = try SyncClient.sync(store: store, secret: secret, connection: connection, name: address.description,
                                         settings: settings)
        let history = HistoryNews(before: nodeBefore, after: store.identity.node, newForks: store.forkCount - forksBefore)
        let leftovers = budget == nil ? nil : SyncLeftovers(report: report, own: store.identity.node, holding: store.summary)
        if json {
            guard case var .object(fields) = Self.json(report) else { return }
            fields["continuedAs"] = .optional(history.continuedAs?.hex)
            fields["newForks"] = .int(history.newForks)
            if let budget { fields["budget"] = BudgetReport.json(budget: budget, leftovers) }
            context.output.json(.object(fields))
        } else {
            for line in Self.lines(report) { context.output.line(line) }
            for line in history.lines { context.output.warn(line) }
        }
        for line in ClockWarning.lines(report.statistics, peer: report.peer?.label ?? report.address) { context.output.warn(line) }
        if let failure = Self.failure(report) {
            throw CLIError(.unavailable, "the sync with \(report.address) failed: \(failure)")
        }
        if let leftovers, !leftovers.isEmpty {
            throw CLIError(.tempFail, BudgetReport.sentence(leftovers, budget: budget ?? 0, peer: address.description))
        }
    }

    /// Why the sync failed, for people. A peer's ERROR text is the peer's word, not this
    /// node's: a fake listener could send anything. It is quoted as such, made safe for
    /// the terminal (`TerminalText`).
    static func failure(_ report: SessionReport) -> String? {
        guard let failure = report.failure, !report.succeeded else { return nil }
        if report.transportError == nil, case let .closedByPeer(code, message)? = report.end?.outcome {
            // An ERROR sent in clear, before any handshake, proves nothing of its sender
            // (the session marks it): say so outside the quotes, and take no advice from it.
            let marker = "(unauthenticated) "
            if message.hasPrefix(marker) {
                return "the peer closed the connection before any authentication (\(code)); an unauthenticated peer said: "
                    + "\"\(TerminalText.sanitized(String(message.dropFirst(marker.count))))\""
            }
            return "the peer closed the session (\(code)); the peer said: \"\(TerminalText.sanitized(message))\""
        }
        return TerminalText.sanitized(failure)
    }

    static func lines(_ report: SessionReport) -> [String] {
        let stats = report.statistics
        // In a signed ledger the peer's device proved the node it names (SPEC 8.2.7).
        let device = stats.peerDevice == nil ? "" : ", device verified"
        let who = report.peer.map { "\($0.label) (\($0.node.short)\(device))" } ?? "the peer"
        let seconds = String(format: "%.2f", report.elapsed.secondsValue)
        var lines = [report.succeeded
            ? "synced with \(who) at \(report.address) in \(seconds) s, \(stats.waits) round trip\(stats.waits == 1 ? "" : "s")"
            : "sync with \(who) at \(report.address) stopped after \(seconds) s"]
        lines.append(sentLine(stats, succeeded: report.succeeded))
        lines.append("  received  \(stats.eventsReceived) events (\(stats.eventsReceivedNew) new here), \(stats.bytesReceived) bytes")
        for refused in report.refusedBatches { lines.append("  refused   \(refused)") }
        if let receipt = report.receipt {
            // Checked by the session before it was kept (SPEC 9.6).
            lines.append("  receipt   the peer signed that it holds this node's events up to seq \(receipt.seq) (`carnet receipt show`)")
        }
        return lines
    }

    /// What was sent, said as the peer confirmed it. Events count as sent once written to
    /// the socket; only the peer's acknowledgements say what it stored (and how many of
    /// those were new to it). After a complete session the two agree; after a cut, the
    /// events written but not acknowledged may or may not have arrived: the line says
    /// what the peer confirmed, and leaves the rest to the next sync, which sends what the
    /// peer still lacks.
    static func sentLine(_ stats: SessionStatistics, succeeded: Bool) -> String {
        guard !succeeded else {
            return "  sent      \(stats.eventsSent) events (\(stats.eventsSentNew) new to the peer), \(stats.bytesSent) bytes"
        }
        return "  sent      \(stats.eventsSent) events, \(stats.bytesSent) bytes, before the session stopped; the peer confirmed storing "
            + "\(stats.eventsSentNew) new to it (the next sync sends whatever it still lacks)"
    }

    static func json(_ report: SessionReport) -> JSON {
        let stats = report.statistics
        var peer: [String: JSON] = ["address": .string(report.address)]
        if let identity = report.peer {
            peer["node"] = .string(identity.node.hex)
            peer["label"] = .string(identity.label)
            peer["deviceVerified"] = .bool(stats.peerDevice == identity.node)
        }
        return .object([
            "succeeded": .bool(report.succeeded),
            "error": .optional(report.succeeded ? nil : report.failure),
            "peer": .object(peer),
            "elapsedMillis": .int(Int64(report.elapsed.secondsValue * 1000)),
            "roundTrips": .int(stats.waits),
            "grants": .bool(stats.grantsInForce),
            "sent": .object(["events": .int(stats.eventsSent), "newEvents": .int(stats.eventsSentNew), "bytes": .int(stats.bytesSent),
                             "batches": .int(stats.batchesSent)]),
            "received": .object(["events": .int(stats.eventsReceived), "newEvents": .int(stats.eventsReceivedNew),
                                 "bytes": .int(stats.bytesReceived)]),
            "refusedBatches": .array(report.refusedBatches.map(JSON.string)),
            "receipt": report.receipt.map { .object(["node": .string($0.holder.hex), "seq": .int($0.seq),
                                                      "time": .string(PeerStatus.iso($0.heldAtMillis))]) } ?? .null,
            "clock": .object([
                "peerOffsetMillis": stats.peerClockOffsetMillis.map { .int($0) } ?? .null,
                "suspect": .bool(stats.peerClockOffsetMillis.map(ClockOffset.isSuspect) ?? false),
                "eventsStampedAhead": .int(stats.eventsStampedAhead),
                "farthestStampAheadMillis": .int(stats.farthestStampAheadMillis),
            ]),
        ])
    }
}

/// What a sync revealed about histories, told to the person at the keyboard: a fork of
/// this node (its directory was restored from an older copy) or of another node.
struct HistoryNews {
    var continuedAs: NodeID?
    var previous: NodeID
    var newForks: Int

    init(before: NodeID, after: NodeID, newForks: Int) {
        continuedAs = before == after ? nil : after
        previous = before
        self.newForks = max(0, newForks)
    }

    var lines: [String] {
        if let continuedAs {
            return ["this node's own history diverges from what the peer holds: the node's directory was restored "
                + "from an older copy (or copied) and wrote again under numbers already used. Nothing is lost: both "
                + "histories are kept as a fork, and this node now writes as \(continuedAs.short), linked to "
                + "\(previous.short). Review the entries of both branches with `carnet conflicts`."]
        }
        if newForks > 0 {
            return ["the peer brought \(newForks) fork\(newForks == 1 ? "" : "s"): a node with two histories (a restored "
                + "backup, or a forged event). Both are kept; review them with `carnet conflicts`."]
        }
        return []
    }
}

extension Duration {
    var secondsValue: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
