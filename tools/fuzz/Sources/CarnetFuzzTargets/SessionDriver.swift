import CarnetCore
import CarnetSync
import CarnetReplicaNode
import CarnetWire

/// Runs the session under test through the node's own driver (`PeerDriver`), over an
/// in-memory node holding the fixture replica of its side, at once: batches to persist go
/// into the replica, requests for missing events are answered from it, refusals are passed
/// back. Collects what the session sends.
///
/// Checks, on every call, what the driver checks of the session's directives: a `close`
/// comes last in its list and at most once in the session's life, and a closed session
/// says nothing more (a driver would write to a closed socket or persist after the end).
struct SessionDriver {
    static let name = "session"
    private(set) var driver: PeerDriver
    let store: ReplicaPeerStore
    /// Every byte the session asked to send, in order.
    private var transport = OutgoingBytes()
    var now: Duration = .zero

    init(role: SessionRole, live: Bool, priming: Bool) {
        var settings = SessionSettings()
        settings.primingContext = priming ? 256 : 0
        settings.window = 2
        settings.batchEvents = 4
        store = ReplicaPeerStore(SessionFixtures.replica(of: role), ledger: SessionFixtures.ledger, label: "\(role)")
        driver = PeerDriver(role: role, secret: SessionFixtures.secret, nonce: SessionFixtures.nonce(of: role), live: live,
                            settings: settings, store: store)
    }

    var session: Session { driver.session }
    var replica: Replica { store.replica }
    var output: [UInt8] { transport.bytes }
    var closed: Bool { driver.isFinished }

    mutating func start() throws(FuzzViolation) {
        driver.start(store: store, transport: &transport, now: now)
        try check()
    }

    mutating func receive(_ bytes: ArraySlice<UInt8>) throws(FuzzViolation) {
        now += .milliseconds(1)
        driver.received(Array(bytes), store: store, transport: &transport, now: now)
        try check()
    }

    mutating func tick(advancing seconds: Int) throws(FuzzViolation) {
        now += .seconds(seconds)
        driver.tick(store: store, transport: &transport, now: now)
        try check()
    }

    mutating func peerClosed() throws(FuzzViolation) {
        driver.peerClosed(store: store, transport: &transport, now: now)
        try check()
    }

    private func check() throws(FuzzViolation) {
        if let breach = driver.report.contractBreach { throw FuzzViolation(Self.name, breach) }
    }
}
