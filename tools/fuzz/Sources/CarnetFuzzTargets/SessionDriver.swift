import CarnetCore
import CarnetSync
import CarnetReplicaNode
import CarnetWire

/// Runs the session under test through the node's own driver (`PeerDriver`), over an
/// in-memory node holding the fixture replica of its side, at once: batches to persist go
/// into the replica, requests for missing events are answered from it, refusals are passed
/// back. Collects what the session sends. The node is a format-1 `ReplicaPeerStore`, or a
/// signed ledger's `SignedPeerStore` (the signed session target).
///
/// Checks, on every call, what the driver checks of the session's directives: a `close`
/// comes last in its list and at most once in the session's life, and a closed session
/// says nothing more (a driver would write to a closed socket or persist after the end).
struct SessionDriver<Store: FixtureNode> {
    /// The target whose property a broken contract violates.
    let target: String
    private(set) var driver: PeerDriver
    let store: Store
    /// Every byte the session asked to send, in order.
    private var transport = OutgoingBytes()
    var now: Duration = .zero
    /// How far time moves with each delivery: zero for the chunks of one recorded stream
    /// (one burst of bytes), so that they meet the session at the instant the recording did.
    var deliveryTime: Duration = .milliseconds(1)

    /// The session settings every fuzzed session runs with: small windows and batches, so
    /// that a short input reaches flow control and several batches.
    static func settings(priming: Bool) -> SessionSettings {
        var settings = SessionSettings()
        settings.primingContext = priming ? 256 : 0
        settings.window = 2
        settings.batchEvents = 4
        return settings
    }

    init(target: String, role: SessionRole, secret: [UInt8], nonce: [UInt8], live: Bool, priming: Bool, store: Store) {
        self.target = target
        self.store = store
        driver = PeerDriver(role: role, secret: secret, nonce: nonce, live: live, settings: Self.settings(priming: priming), store: store)
    }

    var session: Session { driver.session }
    var replica: Replica { store.replica }
    var output: [UInt8] { transport.bytes }
    var closed: Bool { driver.isFinished }

    mutating func start() throws(FuzzViolation) {
        driver.start(store: store, transport: &transport, now: now)
        try check()
    }

    /// A delivery at the current instant; the next one comes `deliveryTime` later. The
    /// first is at the session's start, as in the golden vectors: a listener's message 2
    /// carries its clock (zero then), and in a signed ledger the dialer's device proof
    /// signs a hash over it, so only then do the vectors' dialer frames replay as valid.
    mutating func receive(_ bytes: ArraySlice<UInt8>) throws(FuzzViolation) {
        driver.received(Array(bytes), store: store, transport: &transport, now: now)
        now += deliveryTime
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
        if let breach = driver.report.contractBreach { throw FuzzViolation(target, breach) }
    }
}

/// A node the fuzzed session can run on whose whole state the checks can read afterwards.
protocol FixtureNode: PeerStore {
    var replica: Replica { get }
}

extension ReplicaPeerStore: FixtureNode {}
extension SignedPeerStore: FixtureNode {}

extension SessionDriver where Store == ReplicaPeerStore {
    /// The format-1 session target's node: the fixture replica of `role`'s side.
    init(role: SessionRole, live: Bool, priming: Bool) {
        self.init(target: "session", role: role, secret: SessionFixtures.secret, nonce: SessionFixtures.nonce(of: role), live: live, priming: priming,
                  store: ReplicaPeerStore(SessionFixtures.replica(of: role), ledger: SessionFixtures.ledger, label: "\(role)"))
    }
}
