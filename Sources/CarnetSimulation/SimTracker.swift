import CarnetCore
import CarnetSync
import CarnetTestKit

/// What the simulation knows that no node does: every event ever made, which writes were
/// acknowledged, what restores destroyed, and what each session cost. The checks compare
/// the nodes against it.
struct SimTracker: Sendable {
    /// Every event any node made (acknowledged or not): nothing else may appear anywhere.
    var created = Set<EventID>()
    /// Local writes acknowledged to their writer (durable), in order.
    var acknowledged: [EventID] = []
    /// Events a restore removed from the node restored (they may live on elsewhere).
    var lostAtRestore = Set<EventID>()
    var restores: [RestoreRecord] = []
    /// Store calls that failed (the simulated disk has no faults: each is a bug).
    var storeErrors: [String] = []
    /// Per node, the events it lacked when the faults healed (what the bandwidth bound is
    /// measured against).
    var lackedAtHeal: [[Event]] = []
    /// After the heal: bytes of the copies a node received again that its peer could not
    /// know it held (another peer's copy arrived after this session's summary was sent),
    /// or that the plan's rule for a forked node sends whatever the peer holds (by design).
    var excusedBytesAfterHeal = 0
    /// EVENTS frames sent after the heal, with their size, and the batches that reached
    /// their receiving session (persisted or refused there). One that never arrived was
    /// lost in flight when its session was cut: the batch I6 lets the next session send
    /// again.
    var batchesSentAfterHeal: [SentBatch: Int] = [:]
    var batchesArrived = Set<SentBatch>()
    /// Every copy of an event each hub persisted, for the relay bound.
    var hubReceipts = SimHubReceipts(hubs: 0)
    var statistics = SimStatistics()

    /// Bytes of the EVENTS frames sent after the heal that never reached a session.
    var bytesLostInFlightAfterHeal: Int {
        batchesSentAfterHeal.reduce(0) { $0 + (batchesArrived.contains($1.key) ? 0 : $1.value) }
    }
}

/// One batch of one session: its connection, the end that sent it, and its number.
struct SentBatch: Hashable, Sendable {
    let connection: ConnectionID
    let sender: ConnectionEnd
    let batch: UInt64
}

/// A restore from an old backup, and what it led to.
public struct RestoreRecord: Sendable {
    public var node: Int
    /// The id the restored node writes under (the backup's).
    public var nodeID: NodeID
    public var time: SimTime
    /// Length of that id's chain in the backup: the restored node's next write takes the
    /// seq after it again.
    public var backupChainLength: UInt64
    /// Events of that id past the backup that the node held before the restore: the
    /// original branch.
    public var originalBranch: [EventID]
    /// Events the node wrote under that id after the restore: the new branch.
    public var newBranch: [EventID] = []
}

/// Counters of a run, for reports and the soak summary.
public struct SimStatistics: Sendable {
    public var writesAcknowledged = 0
    /// Writes not attempted because their node was down.
    public var writesSkipped = 0
    /// Records that reached the disk in the crash that stopped their acknowledgement.
    public var unacknowledgedSurvivors = 0
    public var crashes = 0
    public var restores = 0
    public var sessions = 0
    public var sessionsCompleted = 0
    /// How sessions ended, by reason ("completed", "failed badMAC"…).
    public var endings: [String: Int] = [:]
    public var bytesSent = 0
    /// Events sessions sent, and how many of them were new to their receiver.
    public var eventsSent: UInt64 = 0
    public var eventsSentNew: UInt64 = 0
    public var batchesSent = 0
    public var framesSent = 0
    public var bytesSentAfterHeal = 0
    /// Of those, the SUMMARY frames sessions sent again to tell their peer of a fork.
    public var resummaryBytesAfterHeal = 0
    /// Of those, PING and PONG frames: live sessions' keepalive, bounded by time (one PING
    /// per interval and side, each answered), not by the events lacked.
    public var keepaliveBytesAfterHeal = 0
    public var keepaliveFramesAfterHeal = 0
    public var keepaliveFramesAllowed = 0
    /// Connections with a session after the heal (the per-session allowance counts these).
    public var sessionsAfterHeal = 0
    public var eventsLackedAtHeal = 0
    /// After the heal: events a node received again that its peer knew it held (from its
    /// summary or from this session's acknowledgements: what I6 calls sending what is
    /// already persisted), and events it received twice because two peers sent them at
    /// once, neither able to know.
    public var eventsResentAfterHeal = 0
    public var eventsRacedAfterHeal = 0
    /// Of the resent events, those of a forked node (the plan sends such a node's branches
    /// generously, by design: forks are rare).
    public var eventsResentByForkRule = 0
    /// The most copies of one event that reached one hub, and the copies beyond the first
    /// at all hubs (issue 19, item 5: `SimHubReceipts`).
    public var hubCopiesWorst = 0
    public var hubDuplicateCopies = 0
    /// `EventBatch` size of what each node lacked at the heal, summed (computed only when
    /// the bytes sent after the heal exceed the per-session allowance alone).
    public var lackedBytesAtHeal: Int?
    public var healTime: SimTime = .zero
    public var convergedAt: SimTime?
    public var endTime: SimTime = .zero
    public var forks = 0
    /// Times a node learned that its own history forked and continued under a new id.
    public var continuations = 0
    /// The first node's state digest at the end (equal everywhere when I2 holds).
    public var finalDigest = ""
    public var eventsAtEnd = 0
    public var actions = 0
    public var network = SimNetwork.Counters()

    mutating func record(_ end: SessionEnd) {
        let key: String
        switch end.outcome {
        case .completed: key = "completed"
        case let .failed(code, _): key = "failed \(code)"
        case let .closedByPeer(code, _): key = "closed by peer \(code)"
        case .interrupted: key = "interrupted"
        }
        endings[key, default: 0] += 1
    }

    /// "completed=12, failed badMAC=2…", sorted (dictionary order never shows).
    public var endingsSummary: String {
        endings.keys.sorted().map { "\($0)=\(endings[$0]!)" }.joined(separator: ", ")
    }
}
