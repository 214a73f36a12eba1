import CarnetCore
import CarnetReplicaNode
import CarnetSync
import CarnetTestKit
import CarnetWire
import Testing

/// What the one driver does when the node or the connection fails under a session: the
/// harness's honest in-memory node never does, so these fail it on purpose.
struct PeerDriverTests {
    @Test func aBatchTheStoreCannotPersistEndsTheSessionTellingThePeer() {
        let history = RandomHistory(seed: 5, nodes: 3, steps: 60)
        let listener = Side(role: .listener, replica: Replica(node: NodeID.derived(from: "empty hub")), secret: testSecret, nonceSeed: 2)
        listener.store.persistFailure = "the disk is full"
        var pair = SessionPair(dialer: Side(role: .dialer, replica: history.replicas[0], secret: testSecret, nonceSeed: 1),
                               listener: listener, seed: 5)
        pair.start()
        pair.run()
        guard case let .failed(code, message)? = pair.listener.end?.outcome else {
            Issue.record("the listener should fail: \(String(describing: pair.listener.end))")
            return
        }
        #expect(code == .storageFailed && message.contains("the disk is full"), "\(message)")
        if case .closedByPeer(.storageFailed, _)? = pair.dialer.end?.outcome {} else {
            Issue.record("the dialer should be told: \(String(describing: pair.dialer.end))")
        }
        #expect(pair.listener.replica.eventCount == 0 && pair.listener.persistedBatches == 0)
    }

    @Test func aFailedSendEndsTheSessionWithTheTransportsReason() {
        let store = ReplicaPeerStore(Replica(node: NodeID.derived(from: "farm")))
        var driver = PeerDriver(role: .dialer, secret: testSecret, nonce: [UInt8](repeating: 1, count: 32), live: false, store: store)
        var transport = BrokenTransport()
        driver.start(store: store, transport: &transport, now: .zero)
        #expect(driver.isFinished && driver.report.sendFailure == "connection reset by peer")
        #expect(driver.report.end == nil, "the session itself did not end: the connection did")
        // Nothing more is carried out once the transport failed.
        driver.tick(store: store, transport: &transport, now: .seconds(60))
        #expect(transport.attempts == 1)
        driver.finish(store: store)
    }
}

private struct BrokenTransport: PeerTransport {
    var attempts = 0

    mutating func send(_ bytes: [UInt8]) throws(PeerTransportFailure) {
        attempts += 1
        throw PeerTransportFailure("connection reset by peer")
    }
}
