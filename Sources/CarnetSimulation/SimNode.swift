import CarnetCore
import CarnetNode
import CarnetStore
import CarnetTestKit
import CarnetWire

/// One simulated node: the real node (`SharedStore` over `NodeStore`) on its own simulated
/// disk, its sessions, its dial schedule, and the one operation its disk is syncing.
///
/// The real store fsyncs inside the call that writes; the simulation gives that fsync its
/// latency by keeping the node busy meanwhile (`inFlight`): what the call wrote to its
/// peer goes out when the fsync completes, and every other input of the node (bytes,
/// timers, news, local writes) waits in `inputs`, as the real node's sessions wait on the
/// store's lock.
public struct SimNode: Sendable {
    public enum Role: Sendable, Equatable {
        case hub
        case farm
    }

    public let index: Int
    public let role: Role
    public let label: String
    /// The node's disk (one directory): replaced by what survives at each crash.
    public internal(set) var storage: SimStorage
    /// The running process's store; nil while the node is down.
    public internal(set) var store: SharedStore?
    /// What the driver calls get: `store`, observed.
    var observed: SimPeerStore?
    /// The replica at the crash, for reports while the node is down.
    var replicaAtCrash: Replica
    public var isUp: Bool { store != nil }
    /// Bumped at every crash: what was scheduled for an earlier life is ignored.
    var incarnation = 0
    /// Open sessions, in connection order.
    var sessions: [SessionSlot] = []
    var dialLoops: [DialLoop] = []
    /// Copies of the durable image taken during the run, with the id they were taken
    /// under (backups a restore goes back to).
    var backups: [(image: SimDiskImage, node: NodeID)] = []
    /// The restore waiting for the node's restart, to be recorded once the store is open.
    var pendingRestore: (node: NodeID, time: SimTime, before: [EventID])?
    /// Inputs that wait while the disk syncs, oldest first.
    var inputs: [SimInput] = []
    /// The operation whose fsync is under way.
    var inFlight: SimInFlight?
    /// Time one fsync takes on this node's disk.
    let fsyncTime: SimTime
    /// How wrong this node's wall clock is (the HLC must cope).
    let clockSkewMillis: Int64
    /// Session nonces.
    var rng: SplitMix64
    /// Fresh node ids for the store (seeded: every run the same).
    let ids: SimNodeIDs
    /// The wall clock the store reads when it must open itself again.
    let clock = SimWallClock()
    /// Sessions the store woke since the simulation last looked.
    var wakes = SimWakes()
    /// The restore (in the tracker) whose id this node writes under now, if any.
    var restoreRecord: Int?
    /// When each event this node holds became durable here: tells a resend (the node held
    /// the event before its peer sent it) from a race (two peers sent it at once).
    var durableSince: [EventID: SimTime] = [:]

    /// The directory of the node on its disk.
    public static let directory = "/carnet/node"

    init(index: Int, role: Role, label: String, node: NodeID, signed: (ledger: LedgerID, device: DeviceSigner)? = nil,
         creator: LedgerCreator? = nil, fsyncTime: SimTime, clockSkewMillis: Int64, seed: UInt64) {
        self.index = index
        self.role = role
        self.label = label
        self.fsyncTime = fsyncTime
        self.clockSkewMillis = clockSkewMillis
        rng = SplitMix64(seed: seed)
        ids = SimNodeIDs(seed: SplitMix64.derivedSeed(seed, 1))
        storage = SimStorage(seed: SplitMix64.derivedSeed(seed, 2))
        replicaAtCrash = Replica(node: node)
        do {
            try NodeStore.create(directory: Self.directory, ledger: "sim", label: label, node: node, signed: signed,
                                 creator: creator, wallMillis: 1_780_000_000_000, storage: storage)
        } catch {
            preconditionFailure("cannot create a node on an empty simulated disk: \(error)")
        }
    }

    /// What the node holds (as it was at the crash while it is down).
    public var replica: Replica { store?.replica ?? replicaAtCrash }
    /// The id this node writes under now.
    public var nodeID: NodeID { store?.identity.node ?? replicaAtCrash.node }

    /// The node's wall clock at virtual time `now`: a fixed epoch, plus its skew.
    func wallMillis(_ now: SimTime) -> UInt64 {
        UInt64(max(0, 1_780_000_000_000 + now.milliseconds + clockSkewMillis))
    }

    func slotIndex(_ connection: ConnectionID) -> Int? {
        sessions.firstIndex { $0.connection == connection }
    }

    /// The durable image now: what a backup copies (an operation still syncing is not
    /// durable yet, so the image before it).
    var durableImage: SimDiskImage {
        var random = SplitMix64(seed: 0)  // dropping unsynced bytes draws nothing
        return (inFlight?.imageBefore ?? storage.currentImage).crashed(.dropUnsynced, using: &random)
    }

    /// Starts the process: opens the store from the disk (which continues under a new id
    /// when it finds its own history forked). Returns the id the disk named, to compare.
    mutating func open(now: SimTime) throws(NodeError) -> NodeID? {
        let named = try? NodeIdentity.load(directory: Self.directory, storage: storage).node
        clock.set(wallMillis(now))
        let clock = self.clock
        let ids = self.ids
        let store = try SharedStore(directory: Self.directory, wallMillis: wallMillis(now), wallClock: { clock.millis },
                                    storage: storage, keepingChainsCold: true, freshNodeID: { ids.next() })
        self.store = store
        wakes = SimWakes()
        observed = SimPeerStore(store)
        return named
    }

    /// The process dies: store, sessions and waiting inputs are gone; the disk becomes
    /// `image` (what the crash left).
    mutating func crash(leaving image: SimDiskImage, seed: UInt64) {
        replicaAtCrash = replica
        store = nil
        observed = nil
        incarnation += 1
        sessions = []
        inputs = []
        inFlight = nil
        storage = SimStorage(seed: seed, image: image)
        for index in dialLoops.indices {
            dialLoops[index].connection = nil
            dialLoops[index].token += 1
            dialLoops[index].nextAt = nil
        }
    }
}

/// An input of a node, kept while its disk syncs.
enum SimInput: Sendable {
    case network(NetworkEvent)
    case tick(ConnectionID)
    /// The store woke this session: there is news.
    case news(ConnectionID)
    case write(SimOperation)
}

/// An operation whose fsync is under way: what it will acknowledge or send once durable,
/// and the disk before it (what a crash that loses it goes back to).
struct SimInFlight: Sendable {
    var imageBefore: SimDiskImage
    /// The session whose driver call wrote, and the frames it wrote meanwhile.
    var connection: ConnectionID?
    var frames: [SimFrame] = []
    /// Local events (writes, a link event) acknowledged when the fsync completes.
    var acknowledging: [Event] = []
}
