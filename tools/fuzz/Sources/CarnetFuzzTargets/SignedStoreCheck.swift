import CarnetCore

/// What a signed node holds after a fuzzed session, checked without `SignedChains` (the
/// rule the store applies), so that a wrong rule is caught as surely as a session that
/// goes around it: every event it holds of another node lies on the hash chain below a
/// head it keeps, signed by that node's declared key for this ledger. And what the store
/// saw (`SignedPeerStore.violations`): no batch stored that it refused, no fork of its
/// own chain; nothing stored at all unless the peer's device was verified.
struct SignedStoreCheck {
    static let name = SignedSessionTarget.name
    let store: SignedPeerStore
    /// The node whose device proof the session verified, if any.
    let peerDevice: NodeID?

    func check() throws(FuzzViolation) {
        if let first = store.violations.first { throw FuzzViolation(Self.name, first) }
        let replica = store.replica
        let stored = store.base.persistedBatches
        try require(stored == 0 || peerDevice != nil, Self.name,
                    "the node stored \(stored) batches from a peer whose device proof it never verified")
        let history = replica.history
        for node in history.nodeIDs where node != store.device.node {
            let held = history.events(of: node) + history.pendingEvents.filter { $0.dot.node == node }
            guard !held.isEmpty else { continue }
            guard let key = history.events(of: node, at: 1).lazy.compactMap(NodeKey.declared(by:)).first else {
                throw FuzzViolation(Self.name, "the node holds events of \(node.short) but not the key it declared")
            }
            var covered = Set<EventID>()
            for head in replica.signedHeads.heads(of: node) {
                guard head.isValid(for: key, ledger: store.ledger) else {
                    throw FuzzViolation(Self.name, "the node keeps a head at \(head.dot) whose signature does not verify")
                }
                var current = head.eventID
                while covered.insert(current).inserted,
                      let event = history.event(current) ?? history.pendingEvent(current), current.dot.seq > 1 {
                    current = EventID(dot: Dot(node: node, seq: current.dot.seq - 1), hash: event.previous)
                }
            }
            if let unsigned = held.first(where: { !covered.contains($0.id) }) {
                throw FuzzViolation(Self.name, "the node holds \(unsigned.dot) of another node, which no signed head it keeps vouches for")
            }
        }
    }
}
