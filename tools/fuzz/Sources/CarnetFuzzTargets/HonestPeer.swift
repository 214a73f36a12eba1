import CarnetCore
import CarnetSync
import CarnetWire

/// The harness's side of an envelope-mode session: an honest Noise handshake with the
/// known secret and the fixtures' ephemeral keys, then messages sealed under the keys the
/// session derives too (`SessionWiretap`).
struct HonestPeer {
    enum Command {
        case bytes([UInt8])
        case wait(Int)
        case hangUp
    }

    let role: SessionRole
    private var tap: SessionWiretap
    /// What the plaintext of the next sealed message starts with, once (a signed ledger's
    /// device proof or key: `SignedHonestPeer`).
    var firstFramePrefix: [UInt8]?

    init(facing sessionRole: SessionRole, tap: SessionWiretap = SessionFixtures.wiretap()) {
        role = sessionRole.peer
        self.tap = tap
    }

    /// The harness's handshake message: as dialer, message 1 (the state tag chosen by the
    /// input); as listener, message 2 answering the fixture dialer's message 1 (which the
    /// session under test sends) with the hub's full summary.
    mutating func handshake(_ source: inout FuzzInput) -> [UInt8] {
        if role == .dialer {
            let tag = source.byte() & 1 == 1 ? HandshakeKeys.stateTag(of: SessionFixtures.summary(of: role.peer)) : source.uint64()
            let message = tap.message1(payload: DialerHello(wallMillis: 0, stateTag: tag).encoded)
            return Frame(type: .handshake1, payload: message).encoded
        }
        let summary = SummaryMessage(live: false, node: SessionFixtures.hubNode, ledger: SessionFixtures.ledger, label: "listener",
                                     summary: SessionFixtures.summary(of: .listener))
        let reply = ListenerReply(message: .summary(summary)).encoded
        let message = tap.message2(after: SessionFixtures.dialerMessage1, payload: reply) ?? []
        return Frame(type: .handshake2, payload: message).encoded
    }

    mutating func command(_ source: inout FuzzInput) -> Command {
        let op = source.byte()
        switch op % 8 {
        case 0...3:
            let type = FrameType.inner[Int(source.byte()) % FrameType.inner.count]
            let body = source.take(source.length())
            defer { firstFramePrefix = nil }
            return .bytes(tap.seal((firstFramePrefix ?? []) + [type.rawValue] + body, from: role).encoded)
        case 4:
            let type = FrameType.allCases[Int(source.byte()) % FrameType.allCases.count]
            return .bytes(Frame(type: type, payload: source.take(source.length())).encoded)
        case 5:
            return .wait(Int(source.byte() % 64))
        case 6:
            return .hangUp
        default:
            return .bytes(source.take(source.length()))
        }
    }

    /// The script command that makes this peer send `message` sealed: how seeds are written.
    static func sealedCommand(type: FrameType, plainBody: [UInt8]) -> [UInt8] {
        [0, UInt8(FrameType.inner.firstIndex(of: type) ?? 0)] + FuzzInput.lengthPrefix(plainBody.count) + plainBody
    }
}
