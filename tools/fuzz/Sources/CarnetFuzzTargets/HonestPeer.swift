import CarnetCore
import CarnetSync
import CarnetWire

/// The harness's side of an envelope-mode session: an honest handshake with the known
/// secret, then frames sealed (and summaries enciphered) with the keys it derives.
struct HonestPeer {
    enum Command {
        case bytes([UInt8])
        case wait(Int)
        case hangUp
    }

    let role: SessionRole
    let handshakeKeys: HandshakeKeys
    private var outgoing: FrameAuthenticator
    private var summaries: SummaryCipher

    init(facing sessionRole: SessionRole) {
        role = sessionRole.peer
        handshakeKeys = HandshakeKeys(secret: SessionFixtures.secret, role: role, ownNonce: SessionFixtures.nonce(of: role),
                                  peerNonce: SessionFixtures.nonce(of: sessionRole))
        outgoing = handshakeKeys.authenticators.outgoing
        summaries = handshakeKeys.summaryCiphers.outgoing
    }

    /// The HELLO and the proof. (A real dialer sends its proof after the listener's; the
    /// session reads the stream in order, so sending both at once is the same to it.)
    mutating func handshake(_ source: inout FuzzInput) -> [UInt8] {
        var tag: UInt64 = 0
        if role == .dialer {
            tag = source.byte() & 1 == 1
                ? HandshakeKeys.stateTag(secret: SessionFixtures.secret, dialerNonce: SessionFixtures.nonce(of: role),
                                     summary: SessionFixtures.summary(of: role.peer))
                : source.uint64()
        }
        let hello = SessionMessage.hello(HelloMessage(role: role, nonce: SessionFixtures.nonce(of: role), stateTag: tag))
        return Frame(type: .hello, payload: hello.body).encoded + Frame(type: .proof, payload: handshakeKeys.ownProof).encoded
    }

    mutating func command(_ source: inout FuzzInput) -> Command {
        let op = source.byte()
        switch op % 8 {
        case 0...3:
            let type = FrameType.allCases[Int(source.byte()) % FrameType.allCases.count]
            let body = source.take(source.length())
            return .bytes(outgoing.seal(type: type, body: type == .summary ? summaries.apply(body) : body).encoded)
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
        [0, type.rawValue - 1] + FuzzInput.lengthPrefix(plainBody.count) + plainBody
    }
}
