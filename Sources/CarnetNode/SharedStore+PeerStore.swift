import CarnetCore
import CarnetSync

/// The node's store is what its sessions' driver runs on: everything but `persist` has the
/// name and shape `PeerStore` asks for already.
extension SharedStore: PeerStore {
    public typealias PersistFailure = NodeError

    public func persist(_ events: [Event], fromSession session: Int) throws(NodeError) -> Int {
        try receive(events, fromSession: session)
    }
}
