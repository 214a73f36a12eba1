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

    func lend<Store: PeerStore>(_ store: Store) {
        lookUp = { node, endSeq, count in store.chainEvents(of: node, endingAt: endSeq, count: count) }
    }

    func end() {
        lookUp = nil
    }

    func chainEvents(of node: NodeID, endingAt endSeq: UInt64, count: Int) -> [Event]? {
        guard let lookUp else { preconditionFailure("a session read its store outside a call of its driver") }
        return lookUp(node, endSeq, count)
    }
}
