import CarnetCore
import CarnetNode
import CarnetStore
import CarnetSync
import CarnetWire
import Foundation
import Testing

private let ledgerID = LedgerID(bytes: Array(repeating: 0x42, count: 16))!
private let secret = Array("a ledger secret of 32 bytes.....".utf8)

/// A node of a signed ledger in a temporary directory, its device made from a seed.
private struct SignedNode {
    let directory: String
    let device: DeviceSigner

    init(label: String, seed: UInt64) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("carnet-signed-\(UUID().uuidString)").path
        var generator = SplitMix64(seed: seed)
        device = DeviceSigner.generate(using: &generator)
        try NodeStore.create(directory: directory, ledger: "coop", label: label, node: device.node,
                             signed: (ledgerID, device), wallMillis: 1_790_000_000_000)
    }

    func open() throws -> SharedStore { try SharedStore(directory: directory, wallMillis: 1_790_000_000_000) }

    func write(_ count: Int, prefix: String) throws {
        var store = try NodeStore(directory: directory, wallMillis: 1_790_000_000_000) { NodeID.derived(from: "x") }
        for index in 0..<count {
            try store.write(.append(Entry(id: "\(prefix)-\(index)", kind: "harvest", fields: [Field("qty", .int(Int64(index)))])),
                            wallMillis: 1_790_000_000_001 + UInt64(index))
        }
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: directory) }
}

/// A store that signs its handshakes with another device's key: an impostor's, or a
/// corrupted key. Everything else is the real store's.
private final class WrongSigner: PeerStore, Sendable {
    typealias PersistFailure = NodeError
    let base: SharedStore
    let signer: DeviceSigner

    init(_ base: SharedStore, signingWith signer: DeviceSigner) {
        self.base = base
        self.signer = signer
    }

    func signWithDevice(_ message: [UInt8]) -> [UInt8]? { signer.privateKey.sign(message) }
    var deviceKey: NodeKey? { base.deviceKey }
    func declaredKey(of node: NodeID) -> NodeKey? { base.declaredKey(of: node) }
    func register(live: Bool, wake: @escaping @Sendable () -> Void) -> (session: Int, summary: SummaryMessage, forks: Int) {
        base.register(live: live, wake: wake)
    }
    func unregister(_ session: Int) { base.unregister(session) }
    func chainEvents(of node: NodeID, endingAt endSeq: UInt64, count: Int) -> [Event]? {
        base.chainEvents(of: node, endingAt: endSeq, count: count)
    }
    func missingPlan(from peer: CompactSummary) -> MissingPlan { base.missingPlan(from: peer) }
    func refusal(of batch: SignedEvents) -> String? { base.refusal(of: batch) }
    func persist(_ signed: SignedEvents, fromSession session: Int) throws(NodeError) -> Int {
        try base.persist(signed, fromSession: session)
    }
    var ledgerID: LedgerID? { base.ledgerID }
    var signsBatches: Bool { base.signsBatches }
    func signedHead(at id: EventID) -> SignedHead? { base.signedHead(at: id) }
    func chainToSignedHead(after id: EventID) -> (events: [Event], head: SignedHead)? { base.chainToSignedHead(after: id) }
    func news(for session: Int) -> [Event] { base.news(for: session) }
    func summaryIfForked(since forks: Int, live: Bool) -> (forks: Int, summary: SummaryMessage)? {
        base.summaryIfForked(since: forks, live: live)
    }
    var node: NodeID { base.node }
    var summary: HistorySummary { base.summary }
}

/// Two drivers over in-memory pipes, whole deliveries in turn, until both are finished.
private func runSession<Dialer: PeerStore, Listener: PeerStore>(_ dialerStore: Dialer,
                                                               _ listenerStore: Listener) -> (dialer: PeerDriver, listener: PeerDriver) {
    var dialer = PeerDriver(role: .dialer, secret: secret, nonce: [UInt8](repeating: 1, count: 32), live: false, store: dialerStore)
    var listener = PeerDriver(role: .listener, secret: secret, nonce: [UInt8](repeating: 2, count: 32), live: false,
                              store: listenerStore)
    var toListener = OutgoingBytes(), toDialer = OutgoingBytes()
    dialer.start(store: dialerStore, transport: &toListener, now: .zero)
    listener.start(store: listenerStore, transport: &toDialer, now: .zero)
    for _ in 0..<100 {
        let forListener = toListener.take(), forDialer = toDialer.take()
        if forListener.isEmpty && forDialer.isEmpty { break }
        if !forListener.isEmpty && !listener.isFinished {
            listener.received(forListener, store: listenerStore, transport: &toDialer, now: .zero)
        }
        if !forDialer.isEmpty && !dialer.isFinished { dialer.received(forDialer, store: dialerStore, transport: &toListener, now: .zero) }
    }
    if !listener.isFinished { listener.peerClosed(store: listenerStore, transport: &toDialer, now: .zero) }
    if !dialer.isFinished { dialer.peerClosed(store: dialerStore, transport: &toListener, now: .zero) }
    dialer.finish(store: dialerStore)
    listener.finish(store: listenerStore)
    return (dialer, listener)
}

/// Device authentication in a signed ledger's handshake (SPEC 8.2.7), end to end on real
/// stores: each side learns which node the other's device is, a wrong signature stores
/// nothing, and an in-sync session stays within its byte budget.
struct DeviceAuthenticationTests {
    @Test func bothSidesLearnWhichNodeTheOthersDeviceIsAndInSyncStaysUnder400Bytes() throws {
        let farm = try SignedNode(label: "farm", seed: 11), hub = try SignedNode(label: "hub", seed: 12)
        defer { farm.cleanUp(); hub.cleanUp() }
        try farm.write(3, prefix: "f")
        let farmStore = try farm.open(), hubStore = try hub.open()
        // First meeting: neither holds the other's declaration; both proofs carry the key.
        let first = runSession(farmStore, hubStore)
        #expect(first.dialer.report.end?.isSuccess == true, "\(String(describing: first.dialer.report.end))")
        #expect(first.listener.report.end?.isSuccess == true, "\(String(describing: first.listener.report.end))")
        #expect(first.dialer.session.statistics.peerDevice == hub.device.node)
        #expect(first.listener.session.statistics.peerDevice == farm.device.node)
        #expect(hubStore.declaredKey(of: farm.device.node) == farm.device.nodeKey)
        // In sync: both proofs are a signature alone, checked against the held declarations.
        let again = runSession(farmStore, hubStore)
        #expect(again.dialer.report.end?.isSuccess == true && again.listener.report.end?.isSuccess == true)
        #expect(again.listener.session.statistics.peerDevice == farm.device.node)
        #expect(again.dialer.session.statistics.peerDevice == hub.device.node)
        let stats = again.dialer.session.statistics
        let total = stats.bytesSent + stats.bytesReceived
        #expect(total <= 400, "an in-sync session of a signed ledger: \(total) bytes")
        #expect(stats.waits == 1)
        print("signed in-sync session: \(total) bytes (dialer sent \(stats.bytesSent), received \(stats.bytesReceived))")
    }

    @Test func aListenerSigningWithAnotherKeyIsRefusedAndNothingIsStored() throws {
        let farm = try SignedNode(label: "farm", seed: 21), hub = try SignedNode(label: "hub", seed: 22)
        defer { farm.cleanUp(); hub.cleanUp() }
        try hub.write(4, prefix: "h")
        let farmStore = try farm.open()
        var generator = SplitMix64(seed: 99)
        let impostor = WrongSigner(try hub.open(), signingWith: DeviceSigner.generate(using: &generator))
        let before = farmStore.summary
        let (dialer, _) = runSession(farmStore, impostor)
        guard case let .failed(code, reason)? = dialer.report.end?.outcome else {
            Issue.record("the dialer did not refuse: \(String(describing: dialer.report.end))")
            return
        }
        #expect(code == .authenticationFailed)
        #expect(reason.contains("does not verify"), "\(reason)")
        #expect(dialer.session.statistics.peerDevice == nil)
        #expect(farmStore.summary == before, "nothing of the impostor was stored")
    }

    @Test func aDialerSigningWithAnotherKeyIsRefusedAndNothingIsStored() throws {
        let farm = try SignedNode(label: "farm", seed: 31), hub = try SignedNode(label: "hub", seed: 32)
        defer { farm.cleanUp(); hub.cleanUp() }
        try farm.write(4, prefix: "f")
        let hubStore = try hub.open()
        var generator = SplitMix64(seed: 98)
        let impostor = WrongSigner(try farm.open(), signingWith: DeviceSigner.generate(using: &generator))
        let before = hubStore.summary
        let (dialer, listener) = runSession(impostor, hubStore)
        guard case let .failed(code, reason)? = listener.report.end?.outcome else {
            Issue.record("the listener did not refuse: \(String(describing: listener.report.end))")
            return
        }
        #expect(code == .authenticationFailed && reason.contains("does not verify"), "\(reason)")
        #expect(listener.session.statistics.peerDevice == nil && !listener.session.isAuthenticated)
        #expect(hubStore.summary == before, "nothing of the impostor was stored")
        if case .closedByPeer(.authenticationFailed, _)? = dialer.report.end?.outcome {} else {
            Issue.record("the dialer is told: \(String(describing: dialer.report.end))")
        }
    }
}
