import CarnetCore

/// The store, lent to a session for the length of one driver call.
///
/// `Session` reads primed batches' contexts through a closure it is given once, at its
/// start; the driver keeps no store between calls. So the closure reads through this loan,
/// which the driver fills when a call begins and empties when it ends. A session asking
/// outside a driver call is a bug, and stops the program.
///
/// `@unchecked Sendable` is sound: `lookUp` is set and cleared only by `PeerDriver` around
/// one of its calls, and read only by the session inside that same call, on the calling
/// thread. A driver is a value whose calls are serial (each is `mutating`), so one loan is
/// never in use on two threads at once.
final class PeerStoreLoan: @unchecked Sendable {
    private var lookUp: ((NodeID, UInt64, Int) -> [Event]?)?
    private var headAt: ((EventID) -> SignedHead?)?
    private var ownNode: (() -> NodeID)?
    private var extendAt: ((EventID) -> (events: [Event], head: SignedHead)?)?
    private var device: (key: () -> NodeKey?, sign: ([UInt8]) -> [UInt8]?, declared: (NodeID) -> NodeKey?, newest: (NodeID) -> EventID?)?

    func lend<Store: PeerStore>(_ store: Store) {
        lookUp = { node, endSeq, count in store.chainEvents(of: node, endingAt: endSeq, count: count) }
        headAt = { store.signedHead(at: $0) }
        ownNode = { store.node }
        extendAt = { store.chainToSignedHead(after: $0) }
        device = ({ store.deviceKey }, { store.signWithDevice($0) }, { store.declaredKey(of: $0) }, { store.newestHeld(of: $0) })
    }

    /// The store's device key, signature and declared keys, for `DeviceCredentials`.
    var deviceKey: NodeKey? {
        guard let device else { preconditionFailure("a session read its store outside a call of its driver") }
        return device.key()
    }

    func signWithDevice(_ message: [UInt8]) -> [UInt8]? {
        guard let device else { preconditionFailure("a session read its store outside a call of its driver") }
        return device.sign(message)
    }

    func declaredKey(of node: NodeID) -> NodeKey? {
        guard let device else { preconditionFailure("a session read its store outside a call of its driver") }
        return device.declared(node)
    }

    func newestHeld(of node: NodeID) -> EventID? {
        guard let device else { preconditionFailure("a session read its store outside a call of its driver") }
        return device.newest(node)
    }

    func chainToSignedHead(after id: EventID) -> (events: [Event], head: SignedHead)? {
        guard let extendAt else { preconditionFailure("a session read its store outside a call of its driver") }
        return extendAt(id)
    }

    func end() {
        lookUp = nil
        headAt = nil
        ownNode = nil
        extendAt = nil
        device = nil
    }

    func signedHead(at id: EventID) -> SignedHead? {
        guard let headAt else { preconditionFailure("a session read its store outside a call of its driver") }
        return headAt(id)
    }

    var node: NodeID {
        guard let ownNode else { preconditionFailure("a session read its store outside a call of its driver") }
        return ownNode()
    }

    func chainEvents(of node: NodeID, endingAt endSeq: UInt64, count: Int) -> [Event]? {
        guard let lookUp else { preconditionFailure("a session read its store outside a call of its driver") }
        return lookUp(node, endSeq, count)
    }
}
