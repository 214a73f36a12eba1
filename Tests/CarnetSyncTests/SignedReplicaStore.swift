import CarnetCore
import CarnetReplicaNode
import CarnetSync
import CarnetWire

/// A signed ledger's node in memory, for the golden vectors of a signed session: a
/// `ReplicaPeerStore` with a device key that signs the node's own heads and its handshake
/// proofs, and the keys the replica's nodes declared. It vouches only for its own events
/// (enough for two nodes that each send their own); it checks no heads it receives.
final class SignedReplicaStore: PeerStore, Sendable {
    typealias PersistFailure = ReplicaPeerStore.PersistFailure
    let base: ReplicaPeerStore
    let device: DeviceSigner
    let ledger: LedgerID
    /// Tests of a lying peer: a device signature made otherwise (nil: the device's), and
    /// another answer to what this node holds of a node (nil: the truth).
    let signing: (@Sendable ([UInt8]) -> [UInt8]?)?
    let newestOverride: (@Sendable (NodeID) -> EventID?)?

    /// A node whose first event declares `device`'s key, then `operations`.
    init(device: DeviceSigner, ledger: LedgerID, label: String, operations: [(FieldKey, Value)], wallMillis: UInt64,
         signing: (@Sendable ([UInt8]) -> [UInt8]?)? = nil, newestOverride: (@Sendable (NodeID) -> EventID?)? = nil) {
        self.signing = signing
        self.newestOverride = newestOverride
        var replica = Replica(node: device.node)
        replica.assign(NodeKey.declarationKey(for: device.node), .text(device.nodeKey.declarationText), wallMillis: wallMillis)
        for (offset, (key, value)) in operations.enumerated() { replica.assign(key, value, wallMillis: wallMillis + 1 + UInt64(offset)) }
        base = ReplicaPeerStore(replica, ledger: "coop", label: label)
        self.device = device
        self.ledger = ledger
    }

    var replica: Replica { base.replica }
    var ledgerID: LedgerID? { ledger }
    var signsBatches: Bool { true }
    var deviceKey: NodeKey? { device.nodeKey }
    func signWithDevice(_ message: [UInt8]) -> [UInt8]? { signing.map { $0(message) } ?? device.privateKey.sign(message) }
    func newestHeld(of node: NodeID) -> EventID? {
        if let newestOverride { return newestOverride(node) }
        return summary.heads[node]?.max { $0.dot.seq < $1.dot.seq }
    }
    func declaredKey(of node: NodeID) -> NodeKey? {
        base.replica.history.events(of: node, at: 1).lazy.compactMap(NodeKey.declared(by:)).first
    }
    func signedHead(at id: EventID) -> SignedHead? {
        guard id.dot.node == device.node, base.replica.history.contains(id) else { return nil }
        return device.signHead(seq: id.dot.seq, hash: id.hash, ledger: ledger)
    }

    func register(live: Bool, wake: @escaping @Sendable () -> Void) -> (session: Int, summary: SummaryMessage, forks: Int) {
        base.register(live: live, wake: wake)
    }
    func unregister(_ session: Int) { base.unregister(session) }
    func chainEvents(of node: NodeID, endingAt endSeq: UInt64, count: Int) -> [Event]? {
        base.chainEvents(of: node, endingAt: endSeq, count: count)
    }
    func missingPlan(from peer: CompactSummary) -> MissingPlan { base.missingPlan(from: peer) }
    func persist(_ signed: SignedEvents, fromSession session: Int) throws(PersistFailure) -> Int {
        try base.persist(signed, fromSession: session)
    }
    func news(for session: Int) -> [Event] { base.news(for: session) }
    func summaryIfForked(since forks: Int, live: Bool) -> (forks: Int, summary: SummaryMessage)? {
        base.summaryIfForked(since: forks, live: live)
    }
    var node: NodeID { base.node }
    var summary: HistorySummary { base.summary }
}
