import CarnetCore
import CarnetSync

/// The node's store is what its sessions' driver runs on: everything but `node` has the
/// name and shape `PeerStore` asks for already.
extension SharedStore: PeerStore {
    public typealias PersistFailure = NodeError

    /// The id this node writes under now (a new one once it continued: `NodeStore.persist`).
    public var node: NodeID { identity.node }

}
