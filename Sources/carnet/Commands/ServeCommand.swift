import CarnetNode
import Foundation

/// `carnet serve`: runs the node until SIGINT or SIGTERM.
struct ServeCommand: Command {
    static let spec = CommandSpec(
        path: ["serve"],
        summary: "run the node: accept peers, sync with the listed peers on a schedule, push new events live",
        options: [
            .value("--listen", "HOST:PORT", "where to accept peers (default 0.0.0.0:7420)"),
            OptionSpec(name: "--peer", value: "HOST:PORT", help: "a peer to dial (also those of `carnet peers add`)", repeatable: true),
            .value("--interval", "SECONDS", "between two syncs with a dialed peer that went well (default 30)"),
            .value("--max-sessions", "N", "sessions at once; more are told to retry later (default 256)"),
            .value("--max-pending", "N", "connections not authenticated yet; past it the oldest is closed (default 128)"),
            .value("--max-pending-per-address", "N", "of those, from one address (default 32)"),
            .value("--handshake-deadline", "SECONDS", "a connection that showed no ledger secret by then is closed (default 5)"),
        ],
        discussion: """
        Sessions with peers that also run `serve` stay open: events written on one node \
        (by `carnet record` on the same directory, or received from another peer) reach \
        the others within a second. A peer that cannot be reached is tried again after 1 s, \
        2 s, 4 s... up to 5 minutes, with jitter. SIGINT or SIGTERM ends every session \
        cleanly (peers are told why) within 2 s at any size; the status and views files \
        are left current when that is quick, else the next reading command rebuilds \
        them. One `serve` per node directory: a second is refused with the first's pid \
        and address (the file `serve.lock`); a server that was killed leaves nothing that blocks the next. Under systemd \
        (deploy/systemd/carnet-serve.service), it tells the manager when it listens \
        (READY=1 on NOTIFY_SOCKET, for Type=notify) and logs to the journal one line per \
        event with a syslog priority, without its own timestamps.
        """,
        examples: ["carnet serve", "carnet serve --listen 127.0.0.1:7421 --peer hub.local:7420 --interval 60"]
    )

    let listen: PeerAddress
    let peers: [PeerAddress]
    let interval: Duration
    let maxSessions: Int
    let pending: (total: Int, perAddress: Int, deadline: Duration)

    init(_ invocation: Invocation) throws {
        do {
            listen = try PeerAddress(parsing: invocation.value("--listen") ?? "0.0.0.0:7420")
            peers = try invocation.all("--peer").map { text throws(AddressError) in try PeerAddress(parsing: text) }
        } catch {
            throw CLIError.usage("\(error)")
        }
        interval = .seconds(try invocation.positiveInt("--interval") ?? 30)
        maxSessions = try invocation.positiveInt("--max-sessions") ?? 256
        pending = (try invocation.positiveInt("--max-pending") ?? 128, try invocation.positiveInt("--max-pending-per-address") ?? 32,
                   .seconds(try invocation.positiveInt("--handshake-deadline") ?? 5))
        guard pending.total >= pending.perAddress else {
            throw CLIError.usage("--max-pending (\(pending.total)) must be at least --max-pending-per-address (\(pending.perAddress))")
        }
    }

    func run(in context: Context) throws {
        let secret = try LedgerSecret.load(directory: context.directory)
        var dialed = peers
        for text in try PeerBook.configured(directory: context.directory) {
            guard let address = try? PeerAddress(parsing: text), !dialed.contains(address) else { continue }
            dialed.append(address)
        }
        // Cold (`keepingChainsCold`): the hub stays up, and its memory should follow the
        // ledger's state, not its history. Its saves read the conflicts' entries in bulk,
        // in the order they lie (BENCHMARKS §12, "Events kept out of memory").
        let store = try SharedStore(directory: context.directory, wallMillis: context.wallMillis(), keepingChainsCold: true)
        var configuration = Server.Configuration()
        configuration.listen = listen
        configuration.peers = dialed
        configuration.interval = interval
        configuration.maxSessions = maxSessions
        (configuration.maxPending, configuration.maxPendingPerAddress, configuration.handshakeDeadline) = pending
        configuration.seed = UInt64.random(in: 0...UInt64.max)
        configuration.session.grants = store.speaksGrants
        let log = ServeLog(environment: context.environment)
        let server = try Server(store: store, secret: secret, configuration: configuration) { message in
            log.write(message)  // may quote a peer: ServeLog makes it one safe line
        }
        let environment = context.environment
        try StopSignals.watch { signal in
            log.write("\(signal): stopping")
            ServiceNotify.send("STOPPING=1", environment: environment)
            server.stop()
        }
        let identity = store.identity
        let listening = "\(identity.label) (\(identity.node.short)) of ledger \(identity.ledger) listening on \(listen.host):\(server.port ?? listen.port)"
        // The first line on stdout says where the node listens (scripts and the demo read it).
        context.output.line("carnet serve: " + listening)
        fflush(nil)
        // The listening socket is bound and queues connections from here on: a service
        // manager may call the node ready (`Type=notify`, deploy/systemd).
        if let failure = ServiceNotify.send("READY=1\nSTATUS=" + listening, environment: context.environment) {
            log.write("warning: \(failure)")
        }
        server.run()
        log.write("stopped")
    }
}
