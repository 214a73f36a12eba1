import CarnetCore
import CarnetReplicaNode
import CarnetSync
import CarnetTestKit
import CarnetWire

/// One side of an in-memory session: the real driver (`PeerDriver`) running the real
/// session state machine over an in-memory node (`ReplicaPeerStore`), as `carnet` runs
/// them over TCP and its store. Each call returns the bytes to deliver to the peer.
typealias Side = DrivenPeer

extension DrivenPeer {
    init(role: SessionRole, replica: Replica, secret: [UInt8], nonceSeed: UInt8, live: Bool = false,
         settings: SessionSettings = SessionSettings(), ledger: String = "consortium", retired: [RetiredSecret] = []) {
        self.init(role: role, secret: secret, nonce: [UInt8](repeating: nonceSeed, count: 32), live: live, settings: settings,
                  retired: retired, store: ReplicaPeerStore(replica, ledger: ledger, label: "\(role)"))
    }

    var replica: Replica { store.replica }
    var end: SessionEnd? { driver.report.end }
    /// Batches this side stored for its peer.
    var persistedBatches: Int { store.persistedBatches }
    /// Batches from these nodes are refused (to test refusal); empty normally.
    var refuseNodes: Set<NodeID> {
        get { store.refusedNodes }
        nonmutating set { store.refusedNodes = newValue }
    }
    var identifiedPeer: SummaryMessage? { driver.report.peer }
    /// This side's batches the peer refused.
    var refused: [UInt64] { driver.report.refusedBatches.map(\.batch) }
    var caughtUp: Bool { driver.report.caughtUpAt != nil }

    /// The node writes an entry; the driver pushes it to a live peer.
    mutating func write(_ operation: Operation, wallMillis: UInt64, now: Duration) -> (event: Event, bytes: [UInt8]) {
        let event = store.write(operation, wallMillis: wallMillis)
        return (event, newsArrived(now: now))
    }
}

/// Runs two sides against each other, delivering bytes in seeded random chunks and
/// interleavings, until both closed or nothing moves. Bounded: fails after `maxSteps`.
struct SessionPair {
    var dialer: Side
    var listener: Side
    var toListener: [UInt8] = []
    var toDialer: [UInt8] = []
    var rng: SplitMix64
    var now: Duration = .zero
    /// Cut the connection once this many bytes went from dialer to listener (nil: never).
    var cutAfterBytes: Int?
    var deliveredToListener = 0

    init(dialer: Side, listener: Side, seed: UInt64) {
        self.dialer = dialer
        self.listener = listener
        rng = SplitMix64(seed: seed)
    }

    mutating func start() {
        toListener += dialer.start(now: now)
        toDialer += listener.start(now: now)
    }

    /// Returns the number of steps taken; stops when both ends closed or nothing moves.
    @discardableResult
    mutating func run(maxSteps: Int = 100_000) -> Int {
        var steps = 0
        while steps < maxSteps {
            steps += 1
            now += .milliseconds(1)
            let canToListener = !toListener.isEmpty && !listener.session.isClosed
            let canToDialer = !toDialer.isEmpty && !dialer.session.isClosed
            if !canToListener && !canToDialer { break }
            let towardListener = canToListener && (!canToDialer || Bool.random(using: &rng))
            if towardListener {
                var count = min(toListener.count, Int.random(in: 1...4_096, using: &rng))
                if let cut = cutAfterBytes {
                    count = min(count, cut - deliveredToListener)
                    if count <= 0 {
                        disconnect()
                        break
                    }
                }
                let chunk = Array(toListener.prefix(count))
                toListener.removeFirst(count)
                deliveredToListener += count
                toDialer += listener.receive(chunk, now: now)
            } else {
                let count = min(toDialer.count, Int.random(in: 1...4_096, using: &rng))
                let chunk = Array(toDialer.prefix(count))
                toDialer.removeFirst(count)
                toListener += dialer.receive(chunk, now: now)
            }
        }
        return steps
    }

    /// The connection drops: both sides see EOF.
    mutating func disconnect() {
        toListener = []
        toDialer = []
        _ = dialer.peerClosed(now: now)
        _ = listener.peerClosed(now: now)
    }
}

let testSecret: [UInt8] = Array("a ledger secret of 32 bytes.....".utf8)
