import CarnetCore
import CarnetSync
import CarnetWire

/// The fixed world the signed session target runs in: the signed golden vectors' world
/// (protocol/vectors/session-v2-signed.txt), so that their transcripts replay as valid
/// sessions. A signed ledger (ledger id 40…4f, the known secret), a farm (the dialer) and
/// a hub (the listener) with Ed25519 device keys from fixed seeds; each node's seq 1
/// declares its key, then the farm assigns lot/L1.qty and the hub product/P0001.price.
///
/// Two meetings, as in the vectors: the first (each lacks the other's events, and the
/// farm lacks the hub's key; ephemeral keys d1 and 15), and an in-sync one after it (each
/// holds both chains and the other's signed head; ephemeral keys d2 and 25).
struct SignedSessionWorld: Sendable {
    enum Meeting: Sendable {
        case first
        case inSync
    }

    static let secret = SessionFixtures.secret
    static let ledger = LedgerID(bytes: (0x40..<0x50).map { UInt8($0) })!
    /// The ledger's name in the SUMMARY messages, as the vectors' stores give it.
    static let ledgerName = "coop"
    static let t0: UInt64 = 1_780_300_800_000
    static let farmDevice = device(seed: 0xFA, salt: 0x01)
    static let hubDevice = device(seed: 0x4B, salt: 0x02)

    let meeting: Meeting

    /// Ed25519 signatures are deterministic (RFC 8032): so are the proofs and heads.
    static func device(seed: UInt8, salt: UInt8) -> DeviceSigner {
        DeviceSigner(privateKey: Ed25519.PrivateKey(seed: [UInt8](repeating: seed, count: 32))!,
                     salt: [UInt8](repeating: salt, count: NodeKey.saltByteCount))
    }

    static func device(of role: SessionRole) -> DeviceSigner {
        role == .dialer ? farmDevice : hubDevice
    }

    static func label(of role: SessionRole) -> String {
        role == .dialer ? "farm" : "hub"
    }

    /// A side's session randomness (its ephemeral key), as in the vectors.
    func nonce(of role: SessionRole) -> [UInt8] {
        let byte: UInt8 = switch (meeting, role) {
        case (.first, .dialer): 0xD1
        case (.first, .listener): 0x15
        case (.inSync, .dialer): 0xD2
        case (.inSync, .listener): 0x25
        }
        return [UInt8](repeating: byte, count: 32)
    }

    /// What the side playing `role` holds at this meeting.
    func replica(of role: SessionRole) -> Replica {
        switch (meeting, role) {
        case (.first, .dialer): Self.farm
        case (.first, .listener): Self.hub
        case (.inSync, .dialer): Self.farmInSync
        case (.inSync, .listener): Self.hubInSync
        }
    }

    /// The node of the side playing `role`, fresh for one session.
    func store(of role: SessionRole) -> SignedPeerStore {
        SignedPeerStore(replica(of: role), device: Self.device(of: role), ledger: Self.ledger, ledgerName: Self.ledgerName,
                        label: Self.label(of: role))
    }

    /// The first SUMMARY the side playing `role` sends: what its store registers.
    func summaryMessage(of role: SessionRole, live: Bool) -> SummaryMessage {
        SummaryMessage(live: live, node: Self.device(of: role).node, ledger: Self.ledgerName, label: Self.label(of: role),
                       summary: replica(of: role).compactSummary)
    }

    /// Both directions of a session between the fixture sides.
    func wiretap() -> SessionWiretap {
        SessionWiretap(secret: Self.secret, ledgerID: Self.ledger, dialerNonce: nonce(of: .dialer), listenerNonce: nonce(of: .listener))
    }

    /// The fixture dialer's message 1, as its session writes it: the device-proof flag,
    /// clock 0, its state tag.
    var dialerMessage1: [UInt8] {
        wiretap().message1(payload: DialerHello(flags: DialerHello.identityFlag, wallMillis: 0,
                                                stateTag: HandshakeKeys.stateTag(of: replica(of: .dialer).compactSummary)).encoded)
    }

    /// A node whose seq 1 declares its device's key, then one assignment.
    private static func node(_ device: DeviceSigner, assigning key: FieldKey, _ value: Value, wallMillis: UInt64) -> Replica {
        var replica = Replica(node: device.node)
        replica.assign(NodeKey.declarationKey(for: device.node), .text(device.nodeKey.declarationText), wallMillis: wallMillis)
        replica.assign(key, value, wallMillis: wallMillis + 1)
        return replica
    }

    static let farm = node(farmDevice, assigning: FieldKey("lot", "L1", "qty"), .int(120), wallMillis: t0 + 5)
    static let hub = node(hubDevice, assigning: FieldKey("product", "P0001", "price"), .int(320), wallMillis: t0)

    /// The other side's chain and the head its author signed over it, taken in as a
    /// session of the first meeting stores them.
    private static func takingIn(_ replica: Replica, from other: Replica, signedBy device: DeviceSigner) -> Replica {
        var replica = replica
        let events = other.history.events(of: device.node)
        let last = events.last!
        replica.admit(SignedEvents(events: events, heads: [device.signHead(seq: last.dot.seq, hash: last.hash, ledger: ledger)]))
        return replica
    }

    static let farmInSync = takingIn(farm, from: hub, signedBy: hubDevice)
    static let hubInSync = takingIn(hub, from: farm, signedBy: farmDevice)
}
