import CarnetCore
import CarnetReplicaNode
import CarnetSync
import CarnetWire
import Synchronization

/// A signed ledger's node in memory, for the signed session target: a `ReplicaPeerStore`
/// with a device key, answering the session as `NodeStore` does in a signed ledger. It
/// refuses a batch its heads do not vouch for (`SignedChains`, with what it holds), keeps
/// the heads it stores, signs its own heads and handshake proofs with its key, and reads
/// the keys its nodes declared.
///
/// It also watches what no signed node may do, for the target to report: store a batch
/// it refused (the driver asks `refusal(of:)` first, and nothing changes in between in a
/// one-threaded harness, so the two answers must agree), or take in a fork of its own
/// chain (only its own device key could have signed the other branch).
///
/// `Sendable` without `@unchecked`: the base store is, and the findings live in a `Mutex`.
final class SignedPeerStore: PeerStore, Sendable {
    typealias PersistFailure = ReplicaPeerStore.PersistFailure
    let base: ReplicaPeerStore
    let device: DeviceSigner
    let ledger: LedgerID
    private let findings = Mutex<[String]>([])

    init(_ replica: Replica, device: DeviceSigner, ledger: LedgerID, ledgerName: String, label: String) {
        precondition(replica.node == device.node, "a signed node writes under the id its device key derives")
        base = ReplicaPeerStore(replica, ledger: ledgerName, label: label)
        self.device = device
        self.ledger = ledger
    }

    var replica: Replica { base.replica }
    /// What this node did that a signed node must not (see the type's documentation).
    var violations: [String] { findings.withLock { $0 } }

    var ledgerID: LedgerID? { ledger }
    var signsBatches: Bool { true }
    var deviceKey: NodeKey? { device.nodeKey }
    func signWithDevice(_ message: [UInt8]) -> [UInt8]? { device.privateKey.sign(message) }
    func declaredKey(of node: NodeID) -> NodeKey? {
        base.replica.history.events(of: node, at: 1).lazy.compactMap(NodeKey.declared(by:)).first
    }

    func signedHead(at id: EventID) -> SignedHead? {
        let replica = base.replica
        if let kept = replica.signedHeads.head(at: id) { return kept }
        guard id.dot.node == device.node, replica.history.contains(id) else { return nil }
        return device.signHead(seq: id.dot.seq, hash: id.hash, ledger: ledger)
    }

    /// As `NodeStore.chainToSignedHead(after:)`: the held events after `id` up to the lowest
    /// kept head above it on the same chain, and that head.
    func chainToSignedHead(after id: EventID) -> (events: [Event], head: SignedHead)? {
        let replica = base.replica
        for head in replica.signedHeads.heads(of: id.dot.node) where head.seq > id.dot.seq {
            var events: [Event] = []
            var current = head.eventID
            while current.dot.seq > id.dot.seq, let event = replica.history.event(current) ?? replica.history.pendingEvent(current) {
                events.append(event)
                current = EventID(dot: Dot(node: current.dot.node, seq: current.dot.seq - 1), hash: event.previous)
            }
            if current == id { return (events.reversed(), head) }
        }
        return nil
    }

    func refusal(of batch: SignedEvents) -> String? {
        rejection(of: batch).map { "refused: \($0)" }
    }

    private func rejection(of batch: SignedEvents) -> ChainRejection? {
        SignedChains.rejection(of: batch.events, heads: batch.heads, ledger: ledger, held: base.replica.heldChains)
    }

    func persist(_ signed: SignedEvents, fromSession session: Int) throws(PersistFailure) -> Int {
        if let rejection = rejection(of: signed) {
            findings.withLock { $0.append("the session stored a batch the node refuses: \(rejection)") }
            throw PersistFailure(description: "\(rejection)")
        }
        let new = try base.persist(signed, fromSession: session)
        if base.node != device.node {
            findings.withLock { $0.append("a batch forked the node's own signed chain, which only its device key can sign") }
        }
        return new
    }

    func register(live: Bool, wake: @escaping @Sendable () -> Void) -> (session: Int, summary: SummaryMessage, forks: Int) {
        base.register(live: live, wake: wake)
    }
    func unregister(_ session: Int) { base.unregister(session) }
    func chainEvents(of node: NodeID, endingAt endSeq: UInt64, count: Int) -> [Event]? {
        base.chainEvents(of: node, endingAt: endSeq, count: count)
    }
    func missingPlan(from peer: CompactSummary) -> MissingPlan { base.missingPlan(from: peer) }
    func news(for session: Int) -> [Event] { base.news(for: session) }
    func summaryIfForked(since forks: Int, live: Bool) -> (forks: Int, summary: SummaryMessage)? {
        base.summaryIfForked(since: forks, live: live)
    }
    var node: NodeID { base.node }
    var summary: HistorySummary { base.summary }
}
