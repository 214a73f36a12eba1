import CarnetSync
import CarnetTestKit

/// The size of a simulated consortium and the seed everything in its run derives from.
public struct SimConfiguration: Sendable, CustomStringConvertible {
    public var seed: UInt64
    /// Farms (K).
    public var farms: Int
    /// Always-on hubs (1 to 3): nodes 0 to `hubs - 1`; farms follow.
    public var hubs: Int
    /// Events written in the whole run, about.
    public var events: Int

    public init(seed: UInt64, farms: Int = 5, hubs: Int = 1, events: Int = 300) {
        precondition(farms >= 1 && (1...3).contains(hubs), "1–3 hubs and at least one farm")
        self.seed = seed
        self.farms = farms
        self.hubs = hubs
        self.events = events
    }

    public var nodeCount: Int { hubs + farms }
    public var description: String { "seed=\(seed) K=\(farms) hubs=\(hubs)" }
}

/// Everything a run will do, decided before it starts: the network's shape, the writes,
/// the faults and when they happen. Random plans come from the seed
/// (`SimPlan.random`); named scenarios build theirs by hand.
public struct SimPlan: Sendable {
    /// How farms sync.
    public enum Mode: Sendable, Equatable {
        /// `carnet sync` now and then: one-shot sessions, after writes and every
        /// `pollInterval`.
        case oneShot
        /// `carnet serve` dialing the hub: sessions stay open and push news both ways.
        case live
    }

    public var mode: Mode
    /// Writes and faults happen in [0, faultPhase); then every fault heals.
    public var faultPhase: SimTime
    /// Between two sessions of a farm with a peer that went well, while faults run.
    public var pollInterval: SimTime
    /// The same after the heal.
    public var quiescePollInterval: SimTime
    /// After the heal, the run fails if the nodes have not converged within this time.
    public var quiesceLimit: SimTime
    /// Farms also dial a neighbour farm (a LAN or a shared road), not only the hubs.
    public var farmToFarm: Bool
    public var settings: SessionSettings
    /// Per directed link, `[from * nodeCount + to]`.
    public var links: [LinkConditions]
    public var lines: [AccessLine]
    public var fsyncTimes: [SimTime]
    public var clockSkewsMillis: [Int64]
    public var episodes: [SimEpisode]
    public var writes: [SimWrite]
    public var backups: [SimBackup]
    /// The ledger is signed (format 2): every node has a device key, signs its commits, and
    /// stores only what signatures vouch for; batches carry signed heads.
    public var signedLedger = false

    public init(mode: Mode, faultPhase: SimTime, pollInterval: SimTime, quiescePollInterval: SimTime,
                quiesceLimit: SimTime, farmToFarm: Bool, settings: SessionSettings, links: [LinkConditions],
                lines: [AccessLine], fsyncTimes: [SimTime], clockSkewsMillis: [Int64], episodes: [SimEpisode],
                writes: [SimWrite], backups: [SimBackup]) {
        self.mode = mode
        self.faultPhase = faultPhase
        self.pollInterval = pollInterval
        self.quiescePollInterval = quiescePollInterval
        self.quiesceLimit = quiesceLimit
        self.farmToFarm = farmToFarm
        self.settings = settings
        self.links = links
        self.lines = lines
        self.fsyncTimes = fsyncTimes
        self.clockSkewsMillis = clockSkewsMillis
        self.episodes = episodes
        self.writes = writes
        self.backups = backups
    }

    /// A one-line account of the plan, for failure reports.
    public var summary: String {
        let faults = episodes.map { "\($0.fault)@\($0.start)+\(($0.end - $0.start))" }.joined(separator: ", ")
        return "mode=\(mode) phase=\(faultPhase) writes=\(writes.reduce(0) { $0 + $1.count }) farmToFarm=\(farmToFarm) faults=[\(faults)]"
    }
}

/// One fault, active from `start` until `end` (or the heal, whichever comes first).
public struct SimEpisode: Sendable {
    public var start: SimTime
    public var end: SimTime
    public var fault: SimFault

    public init(start: SimTime, end: SimTime, fault: SimFault) {
        self.start = start
        self.end = end
        self.fault = fault
    }
}

public enum SimFault: Sendable, CustomStringConvertible {
    /// Links cut (stalled) while the episode lasts: partitions, clogs, a farm offline.
    case partition(PartitionShape)
    /// Loss, resets, duplicated and reordered frames on these links.
    case linkFaults([DirectedLink], loss: Double, resetPerLoss: Double, duplicate: Double, reorder: Double)
    /// The node's process dies at the start (the write being synced survives with
    /// probability `keepInFlight`) and restarts at the end.
    case crash(node: Int, keepInFlight: Double)
    /// The node dies at the start and restarts at the end from one of its earlier backups
    /// (`backup` counts back from the newest taken before the start; the empty disk when
    /// there is none), keeping its node id: its next writes reuse sequence numbers.
    case restore(node: Int, backup: Int)

    public var description: String {
        switch self {
        case let .partition(shape): "partition(\(shape))"
        case let .linkFaults(links, loss, reset, duplicate, reorder):
            "links(\(links.count) loss=\(Int(loss * 100))% reset=\(Int(reset * 100))% dup=\(Int(duplicate * 100))% reorder=\(Int(reorder * 100))%)"
        case let .crash(node, keep): "crash(\(node) keep=\(Int(keep * 100))%)"
        case let .restore(node, backup): "restore(\(node) backup=-\(backup))"
        }
    }
}

/// `count` local writes at `node` at `time` (a person recording a few entries).
public struct SimWrite: Sendable {
    public var time: SimTime
    public var node: Int
    public var count: Int

    public init(time: SimTime, node: Int, count: Int) {
        self.time = time
        self.node = node
        self.count = count
    }
}

/// A copy of `node`'s durable state taken at `time` (if it is up then).
public struct SimBackup: Sendable {
    public var time: SimTime
    public var node: Int

    public init(time: SimTime, node: Int) {
        self.time = time
        self.node = node
    }
}
