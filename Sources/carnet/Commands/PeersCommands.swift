import CarnetCore
import CarnetNode
import Foundation

/// `carnet peers add HOST:PORT`: a peer `serve` dials.
struct PeersAddCommand: Command {
    static let spec = CommandSpec(
        path: ["peers", "add"],
        summary: "add a peer that `carnet serve` dials",
        arguments: [ArgumentSpec(name: "HOST:PORT", help: "the peer's address (port 7420 when omitted)")],
        examples: ["carnet peers add hub.local:7420"]
    )

    let address: PeerAddress

    init(_ invocation: Invocation) throws {
        do {
            address = try PeerAddress(parsing: invocation.argument(0) ?? "")
        } catch {
            throw CLIError.usage("\(error)")
        }
    }

    func run(in context: Context) throws {
        _ = try NodeDirectory.identity(of: context.directory)
        let added = try PeerBook.add(address.description, directory: context.directory)
        context.output.line(added ? "added \(address); `carnet serve` dials it" : "\(address) was already a peer")
    }
}

/// `carnet peers remove HOST:PORT`.
struct PeersRemoveCommand: Command {
    static let spec = CommandSpec(
        path: ["peers", "remove"],
        summary: "stop dialing a peer and forget what sessions learned about it",
        arguments: [ArgumentSpec(name: "HOST:PORT", help: "the address as `carnet peers list` shows it")],
        discussion: """
        A peer that dials in is shown by its node id, and taken by it, its 8-digit prefix or \
        its label. Takes any address `carnet peers list` shows, exactly as it shows it, even one that \
        does not resolve or does not parse (a typo such as `hub.locla:7420`, a port such as \
        `127.0.0.1:70000` written into the file by hand); `hub.local` and `hub.local:7420` \
        name the same peer. A `carnet serve` running with that peer in its list keeps \
        dialing it until it is restarted; a peer that dials in is listed again while it syncs here.
        """,
        examples: ["carnet peers remove hub.local:7420"]
    )

    /// Taken as typed, not parsed: an address that does not parse can still be in the
    /// list (written by hand or by an older carnet), and must be removable.
    let address: String

    init(_ invocation: Invocation) throws {
        address = (invocation.argument(0) ?? "").trimmingCharacters(in: .whitespaces)
        guard !address.isEmpty else {
            throw CLIError.usage("name the peer to remove, as `carnet peers list` shows it")
        }
    }

    func run(in context: Context) throws {
        _ = try NodeDirectory.identity(of: context.directory)
        guard try PeerBook.remove(address, directory: context.directory) else {
            throw CLIError(.dataError, "\(address) is not a peer of this node; `carnet peers list` shows them")
        }
        context.output.line("removed \(address): not dialed, and what sessions learned about it is forgotten")
    }
}

/// `carnet peers list`: the dialed peers and every peer a session taught about.
struct PeersListCommand: Command {
    static let spec = CommandSpec(
        path: ["peers", "list"],
        summary: "the peers: dialed by `serve`, dialing in, or met in a sync; last sync, last error, what each lacks, its clock",
        options: [.json],
        discussion: """
        A peer that dials this node is listed by its node id, `dialed in`: its address is an \
        ephemeral port. `(live)` after the last sync: a session with it is open now, and the \
        row follows it (what the peer lacks, as it acknowledges what it is sent). \
        clock: the peer's wall clock minus this node's, as the latest handshake measured it; \
        past 5 minutes either way it is marked and a warning follows. last session bytes: \
        what the latest session with it wrote and read on the link, and the --budget it ran \
        under. receipt: the latest custody receipt the peer signed for this node's events \
        (signed ledgers: the seq it holds up to, and when, by its clock; `carnet receipt \
        show` prints it whole). JSON: {address, dialed, dialedIn, node, label, lastSync, \
        lastError, lastErrorAt, lacks, live, liveSince, clockOffsetMillis, clockMeasuredAt, \
        clockSuspect, lastBytesSent, lastBytesReceived, lastBudget, receipt} (receipt: null, or \
        {node, label, seq, time, timeMillis, subject, head, coversAll, signature}).
        """,
        examples: ["carnet peers list", "carnet peers list --json"]
    )

    let json: Bool

    init(_ invocation: Invocation) throws {
        json = invocation.flag("--json")
    }

    func run(in context: Context) throws {
        _ = try NodeDirectory.identity(of: context.directory)
        let rows = try PeerStatus.all(directory: context.directory)
        if json {
            context.output.json(.array(rows.map(\.json)))
            return
        }
        guard !rows.isEmpty else {
            context.output.line("no peers yet: `carnet peers add HOST:PORT`, or `carnet sync HOST:PORT`")
            return
        }
        var table = Table([("peer", .left), ("node", .left), ("dialed", .left), ("last sync", .left), ("lacks", .right),
                           ("clock", .left), ("last session bytes", .left), ("receipt", .left), ("last error", .left)])
        for row in rows {
            table.add([row.address, row.label ?? "-", row.dialedColumn, row.lastSyncColumn,
                       row.lacks.map(String.init) ?? "?", PeerClock.cell(row.clock, context.output), PeerTraffic.cell(row.traffic),
                       row.receipt?.cell ?? "-", row.lastError ?? ""])
        }
        for line in table.render(context.output) { context.output.line(line) }
        for warning in PeerClock.warnings(rows) { context.output.line(context.output.yellow("warning: " + warning)) }
    }
}

/// One peer as `peers list` and `status` show it.
struct PeerStatus {
    var address: String
    var dialed: Bool
    var node: String?
    var label: String?
    var lastSync: String?
    var lastError: String?
    var lastErrorAt: String?
    /// Events this node holds that the peer did not, when last seen (and since).
    var lacks: UInt64?
    /// The peer dials this node (listed by node id: its address is an ephemeral port).
    var dialedIn = false
    /// When the session open with it now began; nil when none is.
    var liveSince: String?
    /// The peer's clock as the latest handshake measured it (nil: never).
    var clock: PeerClock?
    /// The bytes the latest session with it used (nil: none recorded).
    var traffic: PeerTraffic?
    /// The latest custody receipt it signed for this node's events (nil: none).
    var receipt: PeerReceipt?

    /// Every configured peer and every peer a session recorded. `own` is this node's
    /// version vector, when known without opening the store (the status file).
    static func all(directory: String, own known: VersionVector? = nil) throws -> [PeerStatus] {
        let configured = try PeerBook.configured(directory: directory)
        let states = PeerBook.states(directory: directory)
        let own = known ?? NodeStatus.currentVersionVector(directory: directory)
        // A damaged receipts file is told by `status` and `receipt verify`; here it shows none.
        let receipts = (try? PeerReceipt.all(directory: directory, own: own)) ?? []
        return Set(configured).union(states.keys).sorted().map { address in
            let state = states[address]
            return PeerStatus(address: address, dialed: configured.contains(address), node: state?.peerNode?.hex,
                              label: state?.peerLabel, lastSync: state?.lastSyncMillis.map(iso),
                              lastError: state?.lastError, lastErrorAt: state?.lastErrorMillis.map(iso),
                              lacks: own.flatMap { state?.lacks(given: $0) }, clock: PeerClock(state),
                              traffic: PeerTraffic(state),
                              receipt: receipts.first { $0.receipt.holder == state?.peerNode }).followingLive(state)
        }
    }

    static func iso(_ millis: UInt64) -> String {
        Date(timeIntervalSince1970: Double(millis) / 1000).formatted(.iso8601)
    }

    var json: JSON {
        .object([
            "address": .string(address), "dialed": .bool(dialed), "node": .optional(node), "label": .optional(label),
            "lastSync": .optional(lastSync), "lastError": .optional(lastError), "lastErrorAt": .optional(lastErrorAt),
            "lacks": lacks.map { .int($0) } ?? .null,
            "dialedIn": .bool(dialedIn), "live": .bool(liveSince != nil), "liveSince": .optional(liveSince),
            "receipt": receipt?.json ?? .null,
        ].merging(PeerClock.json(clock)) { $1 }.merging(PeerTraffic.json(traffic)) { $1 })
    }
}
