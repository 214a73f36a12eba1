import CarnetCore
import CarnetWire

/// The handshake as this side takes it (protocol/SPEC.md, section 8): its HELLO out, the
/// peer's HELLO checked, the peer's PROOF checked. `HandshakeKeys` holds the cryptography of
/// the proofs and keys; this holds the rules of each step and what a step that fails tells
/// the peer, so that `Session` only moves from state to state.
struct HandshakeSteps: Sendable {
    let role: SessionRole
    private let secret: [UInt8]
    /// Secrets this node held before the current one (`carnet secret rotate`), to tell a
    /// peer still on one of them how to rejoin.
    private let retired: [RetiredSecret]
    /// This side's fresh nonce: 32 random bytes, so a recorded handshake replays nowhere.
    private let ownNonce: [UInt8]

    init(role: SessionRole, secret: [UInt8], retired: [RetiredSecret], nonce: [UInt8]) {
        precondition(nonce.count == HelloMessage.nonceLength, "a session nonce is 32 random bytes")
        self.role = role
        self.secret = secret
        self.retired = retired
        self.ownNonce = nonce
    }

    /// This side's HELLO. A dialer's carries a keyed tag of the summary it holds, so that a
    /// listener holding the same can answer "same" at once.
    func hello(holding summary: CompactSummary) -> Frame {
        let tag = role == .dialer ? HandshakeKeys.stateTag(secret: secret, dialerNonce: ownNonce, summary: summary) : 0
        let hello = HelloMessage(role: role, nonce: ownNonce, stateTag: tag, secretID: HandshakeKeys.secretID(secret))
        return Frame(type: .hello, payload: SessionMessage.hello(hello).body)
    }

    /// The peer's HELLO, checked: the handshake of this session, and the HELLO (its state
    /// tag is the listener's to compare).
    func acceptHello(_ frame: Frame) -> Result<(HandshakeKeys, HelloMessage), SessionFailure> {
        guard frame.type == .hello,
              case let .hello(hello)? = try? SessionMessage.decode(type: .hello, body: frame.payload) else {
            return .failure(SessionFailure(.notCarnet, "the peer's first message is not a Carnet HELLO"))
        }
        guard hello.role == role.peer else {
            return .failure(SessionFailure(.unexpectedMessage, "both ends of the connection claim to be the \(role)"))
        }
        guard hello.nonce != ownNonce else {
            return .failure(SessionFailure(.unexpectedMessage, "the peer echoed this side's nonce (a reflected handshake)"))
        }
        if hello.secretID != 0, let old = retired.first(where: { $0.id == hello.secretID }) {
            // Only a hint (anyone may copy an id off the wire), so it can only end the
            // session, never admit a peer; the message tells the peer how to rejoin.
            return .failure(SessionFailure(.secretRetired,
                                           "the peer still uses the ledger's old secret, \(old.note): it must get "
                                               + "the new secret file and run `carnet secret install FILE`",
                                           toPeer: "this node's ledger secret is no longer valid: it was \(old.note). "
                                               + "Get the new secret file from whoever replaced it and run "
                                               + "`carnet secret install FILE`"))
        }
        return .success((HandshakeKeys(secret: secret, role: role, ownNonce: ownNonce, peerNonce: hello.nonce), hello))
    }

    /// For a listener: whether the dialer's HELLO named `summary` by its state tag, that is,
    /// the dialer holds exactly what this side holds.
    func dialer(of hello: HelloMessage, holds summary: CompactSummary) -> Bool {
        HandshakeKeys.stateTag(secret: secret, dialerNonce: hello.nonce, summary: summary) == hello.stateTag
    }

    /// This side's PROOF (sent before the channel's MACs start).
    func proof(_ handshake: HandshakeKeys) -> Frame {
        Frame(type: .proof, payload: handshake.ownProof)
    }

    /// What the peer's frame after its HELLO says.
    enum ProofOutcome {
        /// The peer knows the secret: the channel opens.
        case proven
        /// The peer sent an ERROR instead (it refused this side's HELLO).
        case closedByPeer(SessionErrorCode, String)
        case failed(SessionFailure)
    }

    func acceptProof(_ frame: Frame, of handshake: HandshakeKeys) -> ProofOutcome {
        if frame.type == .error, case let .error(error)? = try? SessionMessage.decode(type: .error, body: frame.payload) {
            return .closedByPeer(error.code, error.message)
        }
        guard frame.type == .proof else {
            return .failed(SessionFailure(.unexpectedMessage, "expected the peer's proof, got a \(frame.type) message"))
        }
        guard frame.payload.count == 32 else {
            return .failed(SessionFailure(.malformed, "the peer's proof is \(frame.payload.count) bytes long, not 32"))
        }
        guard handshake.verifyPeerProof(frame.payload) else {
            return .failed(SessionFailure(.authenticationFailed,
                                          "the peer did not prove it knows this ledger's secret (a wrong secret, or another ledger)"))
        }
        return .proven
    }
}
