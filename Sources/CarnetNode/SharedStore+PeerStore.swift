import CarnetCore
import CarnetSync

/// The node's store is what its sessions' driver runs on: everything but `persist` and
/// `node` has the name and shape `PeerStore` asks for already.
extension SharedStore: PeerStore {
    public typealias PersistFailure = NodeError

    /// The id this node writes under now (a new one once it continued: `NodeStore.receive`).
    public var node: NodeID { identity.node }

    public func persist(_ events: [Event], fromSession session: Int) throws(NodeError) -> Int {
        try receive(events, fromSession: session)
    }
}
