import CarnetCore
import CarnetSync
import CarnetWire

/// One side of an in-memory session: the real session state machine driving a real
/// replica, as `carnet`'s driver does over TCP and a store.
/// The replica a side's session looks contexts up in, as the store does for a real driver.
final class ReplicaBox: @unchecked Sendable {
    // `@unchecked Sendable`: each test drives its sides from one thread.
    var replica: Replica
    init(_ replica: Replica) { self.replica = replica }
}

struct Side {
    var session: Session
    let box: ReplicaBox
    var replica: Replica {
        get { box.replica }
        nonmutating set { box.replica = newValue }
    }
    var end: SessionEnd?
    var persistedBatches = 0
    /// Batches from these nodes are refused (to test refusal); empty normally.
    var refuseNodes: Set<NodeID> = []
    var identifiedPeer: SummaryMessage?
    var acknowledged: [UInt64] = []
    var refused: [UInt64] = []
    var caughtUp = false
    var ledger = "consortium"

    init(role: SessionRole, replica: Replica, secret: [UInt8], nonceSeed: UInt8, live: Bool = false,
         settings: SessionSettings = SessionSettings(), ledger: String = "consortium", retired: [RetiredSecret] = []) {
        let box = ReplicaBox(replica)
        self.box = box
        self.ledger = ledger
        let local = SummaryMessage(live: live, node: replica.node, ledger: ledger, label: "\(role)", summary: replica.compactSummary)
        session = Session(role: role, secret: secret, nonce: [UInt8](repeating: nonceSeed, count: 32), local: local,
                          settings: settings, retired: retired) { node, endSeq, count in
            box.replica.history.chainEvents(of: node, endingAt: endSeq, count: count)
        }
    }

    var localSummary: SummaryMessage {
        SummaryMessage(live: false, node: replica.node, ledger: ledger, label: "side", summary: replica.compactSummary)
    }

    /// Carries out directives; returns the bytes to deliver to the peer.
    mutating func carryOut(_ directives: [SessionDirective], now: Duration) -> [UInt8] {
        var outgoing: [UInt8] = []
        var queue = directives[...]
        while let directive = queue.popFirst() {
            switch directive {
            case let .send(bytes):
                outgoing += bytes
            case let .persist(batch, events):
                if events.contains(where: { refuseNodes.contains($0.dot.node) }) {
                    queue += session.refuse(batch: batch, reason: "refused by test", now: now)
                    continue
                }
                let forksBefore = replica.forks.count
                let summary = replica.receive(contentsOf: events)
                persistedBatches += 1
                let changed = replica.forks.count > forksBefore ? localSummary : nil
                queue += session.persisted(batch: batch, newEvents: UInt64(summary.accepted), changedSummary: changed, now: now)
            case let .offerEventsMissing(summary):
                queue += session.offer(plan: replica.missingPlan(from: replica.expand(summary)), now: now)
            case let .peerIdentified(peer):
                identifiedPeer = peer
            case let .acknowledged(batch, _):
                acknowledged.append(batch)
            case let .refused(batch, _):
                refused.append(batch)
            case let .refuse(batch, reason):
                queue += session.refuse(batch: batch, reason: reason, now: now)
            case .caughtUp:
                caughtUp = true
            case .inputOutOfState: break
            case let .close(end):
                self.end = end
            }
        }
        return outgoing
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
        toListener += dialer.carryOut(dialer.session.start(now: now), now: now)
        toDialer += listener.carryOut(listener.session.start(now: now), now: now)
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
                toDialer += listener.carryOut(listener.session.receive(chunk, now: now), now: now)
            } else {
                let count = min(toDialer.count, Int.random(in: 1...4_096, using: &rng))
                let chunk = Array(toDialer.prefix(count))
                toDialer.removeFirst(count)
                toListener += dialer.carryOut(dialer.session.receive(chunk, now: now), now: now)
            }
        }
        return steps
    }

    /// The connection drops: both sides see EOF.
    mutating func disconnect() {
        toListener = []
        toDialer = []
        _ = dialer.carryOut(dialer.session.peerClosed(now: now), now: now)
        _ = listener.carryOut(listener.session.peerClosed(now: now), now: now)
    }
}

let testSecret: [UInt8] = Array("a ledger secret of 32 bytes.....".utf8)
