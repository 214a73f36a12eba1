import CarnetCore
import CarnetWire

/// The handshake as this side takes it (protocol/SPEC.md 8.2): the dialer's Noise message
/// 1 out and the listener's message 2 read; or, for a listener, message 1 read (under the
/// current secret, else a retired one, else not at all) and message 2 written.
/// `HandshakeKeys` holds the cryptography; this holds the rules of each step and what a
/// step that fails tells the peer, so that `Session` only moves from state to state.
struct HandshakeSteps: Sendable {
    let role: SessionRole
    private let psk: [UInt8]
    /// The PSKs of secrets this node held before the current one (`carnet secret rotate`),
    /// with their notes: only to tell a peer still on one how to rejoin.
    private let retired: [(psk: [UInt8], note: String)]
    /// This side's ephemeral X25519 private key: 32 fresh random bytes per session, so a
    /// recorded handshake replays into no usable session.
    private let ephemeral: [UInt8]
    /// The dialer's wall clock for message 1 (milliseconds since 1970).
    private let wallMillis: UInt64
    /// A listening process's replay cache (nil: none, as for a dialer or a test).
    private let replays: ReplayCheck?

    init(role: SessionRole, secret: [UInt8], ledgerID: LedgerID?, retired: [RetiredSecret], nonce: [UInt8], wallMillis: UInt64,
         replays: ReplayCheck? = nil) {
        precondition(nonce.count == 32, "a session's randomness is 32 random bytes")
        self.role = role
        psk = HandshakeKeys.psk(secret: secret, ledgerID: ledgerID)
        self.retired = retired.map { ($0.psk(ledgerID: ledgerID), $0.note) }
        ephemeral = nonce
        self.wallMillis = wallMillis
        self.replays = replays
    }

    // MARK: - Dialer

    /// The dialer's message 1: its ephemeral key, and (encrypted under the PSK) its clock
    /// and the state tag of what it holds, so that a listener holding the same answers
    /// "same" at once.
    func opening(holding summary: CompactSummary) -> (NoiseHandshakeState, Frame) {
        var noise = HandshakeKeys.handshake(role: .dialer, ephemeral: ephemeral, psk: psk)
        let hello = DialerHello(wallMillis: wallMillis, stateTag: HandshakeKeys.stateTag(of: summary))
        guard let message = try? noise.writeMessage(payload: hello.encoded) else { preconditionFailure("message 1 is 82 bytes") }
        return (noise, Frame(type: .handshake1, payload: message))
    }

    enum ReplyOutcome {
        /// The listener holds the secret: the channel, and its first SUMMARY (nil when it
        /// follows as the first SEALED frame).
        case admitted(NoiseTransport, SummaryMessage?)
        case closedByPeer(SessionErrorCode, String)
        case failed(SessionFailure)
    }

    /// The listener's answer to message 1: message 2, or an ERROR in clear (a busy node),
    /// which proves nothing and is shown as unauthenticated.
    func acceptReply(_ frame: Frame, to noise: NoiseHandshakeState) -> ReplyOutcome {
        if frame.type == .error {
            guard case let .error(error)? = try? SessionMessage.decode(type: .error, body: frame.payload) else {
                return .failed(SessionFailure(.malformed, "the peer's answer to the handshake is a malformed ERROR"))
            }
            return .closedByPeer(error.code, "(unauthenticated) " + error.message)
        }
        var noise = noise
        guard let payload = try? noise.readMessage(frame.payload) else {
            return .failed(SessionFailure(.authenticationFailed,
                                          "the peer's handshake reply did not decrypt: it does not hold this ledger's secret, "
                                              + "or the bytes were altered on the way"))
        }
        let reply: ListenerReply
        do {
            reply = try ListenerReply.decode(payload)
        } catch {
            return .failed(SessionFailure(.malformed, "the peer's handshake reply is malformed: \(error)"))
        }
        switch reply.message {
        case let .error(error)?:
            // Authenticated: only a holder of the secret this side used could write it.
            return .closedByPeer(error.code, error.message)
        case let .summary(summary)?:
            return .admitted(split(&noise), summary)
        case nil:
            return .admitted(split(&noise), nil)
        case .some:
            return .failed(SessionFailure(.malformed, "the peer's handshake reply carries neither a SUMMARY nor an ERROR"))
        }
    }

    // MARK: - Listener

    enum OpeningOutcome {
        /// A member dialed in: the handshake, ready for message 2, and what it said.
        case admitted(NoiseHandshakeState, DialerHello)
        /// Not admitted: what to send first (nothing to a stranger), and why.
        case refused(Frame?, SessionFailure)
    }

    /// The dialer's message 1, read under the current secret's PSK, else under each retired
    /// one. Under a retired PSK the answer is message 2 carrying ERROR `secret-retired`,
    /// which only the holder of that old secret can read; under none, nothing at all. A
    /// message 1 this process answered before (its ephemeral key is in the replay cache)
    /// gets nothing either: its answer's size would tell the replayer whether this node's
    /// state changed. Only messages that decrypt enter the cache, so a stranger cannot
    /// fill it.
    func acceptOpening(_ frame: Frame) -> OpeningOutcome {
        var noise = HandshakeKeys.handshake(role: .listener, ephemeral: ephemeral, psk: psk)
        if let payload = try? noise.readMessage(frame.payload) {
            if let replays, !replays(Array(frame.payload.prefix(X25519.keyByteCount))) {
                return .refused(nil, SessionFailure(.authenticationFailed,
                                                    "a peer sent a handshake this node already answered (a recording of an "
                                                        + "earlier session's message 1, replayed); nothing was sent to it"))
            }
            do {
                return .admitted(noise, try DialerHello.decode(payload))
            } catch {
                return refusal(noise, SessionFailure(.malformed, "the peer's handshake message is malformed: \(error)"))
            }
        }
        for old in retired {
            var noise = HandshakeKeys.handshake(role: .listener, ephemeral: ephemeral, psk: old.psk)
            guard (try? noise.readMessage(frame.payload)) != nil else { continue }
            return refusal(noise, SessionFailure(.secretRetired,
                                                 "the peer still uses the ledger's old secret, \(old.note): it must get "
                                                     + "the new secret file and run `carnet secret install FILE`",
                                                 toPeer: "this node's ledger secret is no longer valid: it was \(old.note). "
                                                     + "Get the new secret file from whoever replaced it and run "
                                                     + "`carnet secret install FILE`"))
        }
        return .refused(nil, SessionFailure(.authenticationFailed,
                                            "a peer dialed in without this ledger's secret (its handshake did not decrypt under "
                                                + "the current secret or a retired one); nothing was sent to it"))
    }

    /// Message 2 carrying `reply`, and the channel it opens.
    func reply(_ noise: inout NoiseHandshakeState, _ reply: ListenerReply) -> (Frame, NoiseTransport) {
        guard let message = try? noise.writeMessage(payload: reply.encoded) else {
            preconditionFailure("the caller keeps message 2 within Noise's limit")
        }
        return (Frame(type: .handshake2, payload: message), split(&noise))
    }

    /// The largest listener reply (flags and inner message) message 2 can carry: Noise's
    /// 65,535 bytes less the ephemeral key and the tag.
    static let maxReplyLength = NoiseProtocol.maximumMessageLength - X25519.keyByteCount - ChaCha20Poly1305.tagSize

    private func refusal(_ noise: NoiseHandshakeState, _ failure: SessionFailure) -> OpeningOutcome {
        var noise = noise
        let error = SessionMessage.error(ErrorMessage(code: failure.code, message: failure.toPeer ?? failure.message))
        return .refused(reply(&noise, ListenerReply(message: error)).0, failure)
    }

    private func split(_ noise: inout NoiseHandshakeState) -> NoiseTransport {
        guard let transport = try? noise.split() else { preconditionFailure("split once, after the last message") }
        return transport
    }
}
