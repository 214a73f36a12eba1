import CarnetCore
import CarnetSync
import CarnetWire

/// The fixed world the session target runs in: the golden vectors' secret and nonces
/// (protocol/vectors/session-v2.txt), so that the vector transcripts replay as valid
/// sessions, and two small replicas, a farm (the dialer) and a hub (the listener), that
/// differ enough for a session to send batches both ways, one of them primed.
enum SessionFixtures {
    /// The known test secret: bytes 0...31, as in the golden vectors.
    static let secret: [UInt8] = (0..<32).map { UInt8($0) }
    static let ledger = "consortium"
    static let t0: UInt64 = 1_780_300_800_000
    static let farmNode = NodeID(high: 0x0011_2233_4455_6677, low: 0x8899_AABB_CCDD_EEFF)
    static let hubNode = NodeID(high: 0xFFEE_DDCC_BBAA_9988, low: 0x7766_5544_3322_1100)
    static let otherNode = NodeID(high: 0xAABB_0000_0000_0001, low: 0x0000_0000_0000_0002)

    /// A side's session randomness (its ephemeral key), as in the golden vectors.
    static func nonce(of role: SessionRole) -> [UInt8] {
        [UInt8](repeating: role == .dialer ? 0xD1 : 0x15, count: 32)
    }

    /// Both directions of a session between the fixture sides (their fixed ephemerals).
    static func wiretap() -> SessionWiretap {
        SessionWiretap(secret: secret, dialerNonce: nonce(of: .dialer), listenerNonce: nonce(of: .listener))
    }

    /// The fixture dialer's message 1, as its session writes it (clock 0, its state tag).
    static let dialerMessage1: [UInt8] = wiretap().message1(
        payload: DialerHello(wallMillis: 0, stateTag: HandshakeKeys.stateTag(of: farm.compactSummary)).encoded)

    /// The replica of the side playing `role`.
    static func replica(of role: SessionRole) -> Replica {
        role == .dialer ? farm : hub
    }

    /// The compact summary of the side playing `role`, computed once: every input starts a
    /// session with one.
    static func summary(of role: SessionRole) -> CompactSummary {
        role == .dialer ? farmSummary : hubSummary
    }

    private static let farmSummary = farm.compactSummary
    private static let hubSummary = hub.compactSummary

    /// Eight harvests with templated ids, lots and days, then a price: the farm's events.
    static let farm: Replica = {
        var replica = Replica(node: farmNode)
        for index in 1...8 {
            let entry = Entry(id: "h-00112233-\(100 + index)", kind: "harvest",
                              fields: [Field("qty", .int(Int64(100 + index))), Field("lot", .text("L-2026-\(500 + index)")),
                                       Field("day", .day(Int32(20_600 + index))), Field("organic", .bool(index % 2 == 0))])
            replica.write(.append(entry), wallMillis: t0 + UInt64(index) * 1_000)
        }
        replica.assign(FieldKey("product", "P0001", "price"), .int(310), wallMillis: t0 + 9_000)
        return replica
    }()

    /// The hub: the farm's first four events, a price of its own and a third node's event.
    static let hub: Replica = {
        var replica = Replica(node: hubNode)
        replica.admit(contentsOf: Array(farm.history.chainEvents(of: farmNode, after: 0, max: 4)))
        replica.assign(FieldKey("product", "P0001", "price"), .int(320), wallMillis: t0 + 500)
        var other = Replica(node: otherNode)
        other.write(.append(Entry(id: "s-aabb-001", kind: "sale", fields: [Field("qty", .int(-3)), Field("to", .text("market"))])),
                    wallMillis: t0 + 700)
        replica.admit(contentsOf: other.allEvents)
        return replica
    }()
}
