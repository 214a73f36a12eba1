import CarnetCore
import CarnetLedger
import CarnetSync
import CarnetTestKit

/// What the simulation's agenda holds.
enum SimAction: Sendable {
    case network(NetworkEvent)
    /// The fsync under way on a node's disk completes (for the node's life `incarnation`).
    case diskDone(node: Int, incarnation: Int)
    /// A session's timers (handshake and idle timeouts, pings).
    case tick(node: Int, incarnation: Int, ConnectionID)
    case dial(node: Int, loop: Int, token: Int)
    case write(node: Int, count: Int)
    case backup(node: Int)
    case episodeStart(Int)
    case episodeEnd(Int)
    case heal
    case checkConvergence
    case stop
}

/// A deterministic, single-process, virtual-time run of 1–3 hubs and K farms: each node
/// the product's own `SharedStore` over `NodeStore` on a simulated disk (`SimStorage`),
/// each session the product's own `PeerDriver`, over `SimNetwork`, with crashes and
/// restores (RELIABILITY.md, T2).
///
/// A run writes and injects faults for `plan.faultPhase`, heals every fault, lets the
/// nodes sync until they converge (or `plan.quiesceLimit` passes), then checks I1, I2,
/// I4 and the bandwidth bound (`SimChecks`). Everything it does follows from the seed:
/// the same configuration and plan give the same run, action for action.
public struct Simulation: Sendable {
    public let configuration: SimConfiguration
    public let plan: SimPlan
    public internal(set) var nodes: [SimNode] = []
    public internal(set) var network: SimNetwork
    var scheduler = SimScheduler<SimAction>()
    var workload: SimLedgerWorkload
    var tracker = SimTracker()
    /// The driver's own draws: jitter, crash coins.
    var rng: SplitMix64
    var activeEpisodes: [Bool]
    var healTime: SimTime?
    var convergedAt: SimTime?
    /// When the quiet after the heal ran out without convergence and every session was
    /// reset to see whether fresh sessions converge (a diagnosis, not a cure).
    public internal(set) var reconnectedAt: SimTime?
    var finished = false
    /// Prints what happens (sessions, faults) as it happens: for replaying one seed.
    public var tracing = false
    /// Checks I7, the relay bound (`SimChecks.hubReceipts`), in runs of two hubs or more.
    /// `SimCampaign` (carnet-sim, the seed tests) sets it in every run whose sessions speak
    /// grants (SPEC 8.3 rule 8), which make it hold.
    public var checksRelayBound = false

    /// Every node's ledger secret.
    static let secret = Array("the simulated ledger's secret...".utf8)
    /// How often a session's timers are checked (the real driver: every 250 ms at most).
    static let tickInterval = SimTime.seconds(2)
    /// How long the run goes on once the nodes converged (sessions finish closing).
    static let settleTime = SimTime.seconds(60)

    public init(configuration: SimConfiguration, plan: SimPlan) {
        self.configuration = configuration
        self.plan = plan
        let seed = configuration.seed
        network = SimNetwork(links: plan.links, lines: plan.lines, seed: SplitMix64.derivedSeed(seed, 3))
        workload = SimLedgerWorkload(seed: SplitMix64.derivedSeed(seed, 4), nodeCount: configuration.nodeCount)
        rng = SplitMix64.stream(seed, 5)
        activeEpisodes = [Bool](repeating: false, count: plan.episodes.count)
        tracker.hubReceipts = SimHubReceipts(hubs: configuration.hubs)
        var ids = SplitMix64.stream(seed, 6)
        var keys = SplitMix64.stream(seed, 7)
        // A signed campaign's ledger has members: its id derives from the first hub's key
        // and a salt, and the hub's first write is the genesis (`SimMembers`).
        let devices = plan.signedLedger ? (0..<configuration.nodeCount).map { _ in DeviceSigner.generate(using: &keys) } : []
        let salt = DeviceSigner.randomSalt(using: &keys)
        let ledger = devices.first.map { LedgerID.derived(creator: $0.nodeKey.publicKey, salt: salt) } ?? LedgerID(using: &keys)
        // One signed campaign in two (from a stream of its own: every other draw stays as
        // it was) starts from a format-1 history the first hub adopted (SPEC 9.7).
        let adopted = devices.first.flatMap { creator in
            SimAdoption.history(seed: SplitMix64.derivedSeed(seed, 8), creator: creator, ledger: ledger)
        }
        if let creator = devices.first {
            workload.members = SimMembers(
                ledger: ledger, genesis: LedgerGenesis.text(creator: creator.nodeKey.publicKey, salt: salt),
                nodes: devices.map(\.node),
                labels: (0..<configuration.nodeCount).map { $0 < configuration.hubs ? "hub\($0)" : "farm\($0 - configuration.hubs)" },
                hubs: configuration.hubs, adoptedTips: adopted?.tips)
        }
        let creator = devices.first.flatMap { LedgerCreator(publicKey: $0.nodeKey.publicKey, salt: salt, ledger: ledger) }
        for index in 0..<configuration.nodeCount {
            let isHub = index < configuration.hubs
            let device = plan.signedLedger ? devices[index] : nil
            var node = SimNode(index: index, role: isHub ? .hub : .farm,
                               label: isHub ? "hub\(index)" : "farm\(index - configuration.hubs)",
                               node: device?.node ?? NodeID(using: &ids), signed: device.map { (ledger, $0) },
                               creator: creator, fsyncTime: plan.fsyncTimes[index],
                               clockSkewMillis: plan.clockSkewsMillis[index], seed: SplitMix64.derivedSeed(seed, 100 + UInt64(index)))
            do {
                _ = try node.open(now: .zero)
            } catch {
                preconditionFailure("cannot open a new node's store: \(error)")
            }
            if index == 0, let adopted {
                // The first hub was the format-1 hub: it holds the history it adopts from the
                // start, in its first disk image.
                for batch in adopted.batches {
                    do {
                        _ = try node.store?.persist(batch, fromSession: 0)
                    } catch {
                        preconditionFailure("the creator's store refused its own adoption: \(error)")
                    }
                }
            }
            // A signed node's store starts with its key declaration: written, by the node.
            for event in node.replica.allEvents { tracker.created.insert(event.id) }
            node.backups = [(node.durableImage, node.nodeID)]  // the new node: what a restore with no backup goes back to
            node.dialLoops = Self.dialLoops(of: index, configuration: configuration, plan: plan)
            nodes.append(node)
        }
        for write in plan.writes { scheduler.schedule(.write(node: write.node, count: write.count), at: write.time) }
        for backup in plan.backups { scheduler.schedule(.backup(node: backup.node), at: backup.time) }
        for (index, episode) in plan.episodes.enumerated() {
            scheduler.schedule(.episodeStart(index), at: episode.start)
            scheduler.schedule(.episodeEnd(index), at: episode.end)
        }
        scheduler.schedule(.heal, at: plan.faultPhase)
        for node in nodes.indices {
            for loop in nodes[node].dialLoops.indices {
                scheduleDial(node, loop, after: rng.uniform(.zero...(.seconds(10))))
            }
        }
    }

    /// Who a node dials: farms every hub (and a neighbour farm with `farmToFarm`); a hub
    /// every hub before it (the second the first; a third both: the hubs are a mesh).
    static func dialLoops(of index: Int, configuration: SimConfiguration, plan: SimPlan) -> [DialLoop] {
        let hubs = configuration.hubs
        if index < hubs {
            return (0..<index).map { DialLoop(target: $0, interval: plan.pollInterval) }
        }
        var loops = (0..<hubs).map { DialLoop(target: $0, interval: plan.pollInterval) }
        if plan.farmToFarm && configuration.farms > 1 {
            let neighbour = hubs + (index - hubs + 1) % configuration.farms
            loops.append(DialLoop(target: neighbour, interval: plan.pollInterval * 2))
        }
        return loops
    }

    /// Runs a random plan for `configuration` and checks it.
    public static func run(_ configuration: SimConfiguration) -> SimOutcome {
        var simulation = Simulation(configuration: configuration, plan: .random(configuration))
        return simulation.run()
    }

    var now: SimTime { scheduler.now }

    func trace(_ line: @autoclosure () -> String) {
        if tracing { print("[\(now)] \(line())") }
    }

    /// The restores from old backups this run made, and the branches they led to.
    public var restores: [RestoreRecord] { tracker.restores }

    /// Runs to the end and checks the invariants.
    public mutating func run() -> SimOutcome {
        while !finished, let action = scheduler.next() {
            handle(action)
            flushNetwork()
        }
        for node in nodes.indices {
            for slot in nodes[node].sessions {
                addFigures(of: slot)
                noteAnswered(slot)
                let statistics = slot.driver.session.statistics
                trace("\(nodes[node].label) \(slot.side) \(slot.connection) with \(nodes[slot.peer].label) still open: "
                    + "sent \(statistics.bytesSent) B (\(slot.bytesSentAfterHeal) after the heal), \(statistics.eventsSent) events "
                    + "(\(statistics.eventsSentNew) new) in \(statistics.batchesSent) batches")
            }
        }
        tracker.statistics.endTime = now
        tracker.statistics.actions = scheduler.actionsTaken
        tracker.statistics.network = network.counters
        tracker.statistics.convergedAt = convergedAt
        tracker.statistics.eventsAtEnd = nodes[0].replica.eventCount
        tracker.statistics.forks = nodes[0].replica.forks.count
        tracker.statistics.finalDigest = nodes[0].replica.digest.hex
        tracker.statistics.hubCopiesWorst = tracker.hubReceipts.worst
        tracker.statistics.hubDuplicateCopies = tracker.hubReceipts.duplicates
        var failures = SimChecks.check(self)
        if convergedAt == nil {
            failures.insert("did not converge within \(plan.quiesceLimit) of the heal, nor as long after resetting every "
                + "connection: \(divergence)", at: 0)
        } else if let reconnectedAt {
            failures.insert("I2: converged only after every connection was reset at \(reconnectedAt), \(plan.quiesceLimit) after the heal", at: 0)
        }
        return SimOutcome(configuration: configuration, failures: failures,
                          statistics: tracker.statistics, planSummary: plan.summary)
    }

    private mutating func handle(_ action: SimAction) {
        switch action {
        case let .network(event):
            handleNetwork(event)
        case let .diskDone(node, incarnation):
            if nodes[node].isUp && nodes[node].incarnation == incarnation { diskDone(node) }
        case let .tick(node, incarnation, connection):
            if nodes[node].incarnation == incarnation { tick(node, connection) }
        case let .dial(node, loop, token):
            dial(node, loop, token: token)
        case let .write(node, count):
            write(node, count: count)
        case let .backup(node):
            if nodes[node].isUp && healTime == nil { nodes[node].backups.append((nodes[node].durableImage, nodes[node].nodeID)) }
        case let .episodeStart(index):
            startEpisode(index)
        case let .episodeEnd(index):
            endEpisode(index)
        case .heal:
            heal()
        case .checkConvergence:
            checkConvergence()
        case .stop:
            finished = true
        }
    }

    /// Schedules what the network produced.
    private mutating func flushNetwork() {
        guard !network.outbox.isEmpty else { return }
        for (time, event) in network.outbox { scheduler.schedule(.network(event), at: time) }
        network.outbox.removeAll(keepingCapacity: true)
    }
}
