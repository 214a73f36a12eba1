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
    /// This side's wall clock when the session started (milliseconds since 1970): the
    /// dialer's goes in message 1; a listener's refusal carries it in message 2.
    let wallMillis: UInt64
    /// A listening process's replay cache (nil: none, as for a dialer or a test).
    private let replays: ReplayCheck?
    /// Whether both sides prove their devices (a signed ledger, SPEC 8.2.7).
    let provesDevices: Bool

    /// The dialer's byte budget for message 1 (0: none).
    private let budgetBytes: UInt32
    /// A dialer that asks the listener for a custody receipt (message 1's bit 1, SPEC 9.6).
    let asksForReceipt: Bool
    /// A dialer that asks for grants (message 1's bit 2); a listener that puts them in force
    /// when asked (false: one that refuses the bit, as before grants existed).
    let speaksGrants: Bool

    init(role: SessionRole, secret: [UInt8], ledgerID: LedgerID?, retired: [RetiredSecret], nonce: [UInt8], wallMillis: UInt64,
         replays: ReplayCheck? = nil, provesDevices: Bool = false, budgetBytes: UInt32 = 0, asksForReceipt: Bool = false,
         speaksGrants: Bool = false) {
        self.budgetBytes = budgetBytes
        self.speaksGrants = speaksGrants
        // Only a signed ledger has device keys to sign a receipt with.
        self.asksForReceipt = asksForReceipt && provesDevices
        precondition(nonce.count == 32, "a session's randomness is 32 random bytes")
        self.role = role
        psk = HandshakeKeys.psk(secret: secret, ledgerID: ledgerID)
        self.retired = retired.map { ($0.psk(ledgerID: ledgerID), $0.note) }
        ephemeral = nonce
        self.wallMillis = wallMillis
        self.replays = replays
        self.provesDevices = provesDevices
    }

    // MARK: - Dialer

    /// The dialer's message 1: its ephemeral key, and (encrypted under the PSK) its clock
    /// and the state tag of what it holds, so that a listener holding the same answers
    /// "same" at once.
    func opening(holding summary: CompactSummary) -> (NoiseHandshakeState, Frame) {
        var noise = HandshakeKeys.handshake(role: .dialer, ephemeral: ephemeral, psk: psk)
        let flags = (provesDevices ? DialerHello.identityFlag : 0) | (asksForReceipt ? DialerHello.receiptFlag : 0)
            | (speaksGrants ? DialerHello.grantsFlag : 0)
        let hello = DialerHello(flags: flags, wallMillis: wallMillis,
                                stateTag: HandshakeKeys.stateTag(of: summary), budgetBytes: budgetBytes)
        guard let message = try? noise.writeMessage(payload: hello.encoded) else { preconditionFailure("message 1 is 69 bytes") }
        return (noise, Frame(type: .handshake1, payload: message))
    }

    enum ReplyOutcome {
        /// The listener holds the secret: the channel, its first SUMMARY (nil when it
        /// follows as the first SEALED frame), and in a signed ledger its device proof with
        /// the handshake hash it signed (checked against the node its SUMMARY names).
        /// `peerMillis` is the listener's clock as it wrote message 2.
        /// `grants`: the listener put grants in force (message 2's bit 2).
        case admitted(NoiseTransport, SummaryMessage?, (proof: DeviceProof, handshakeHash: [UInt8])?, peerMillis: UInt64, grants: Bool)
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
        guard let (payload, boundHash) = try? noise.readMessageBound(frame.payload) else {
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
        if case let .error(error)? = reply.message {
            // Authenticated: only a holder of the secret this side used could write it.
            return .closedByPeer(error.code, error.message)
        }
        let proof = reply.identity.map { (proof: $0, handshakeHash: boundHash) }
        if reply.identity?.asksForKey == true {
            return .failed(SessionFailure(.malformed, "the peer's device proof asks for a key, which only a dialer may"))
        }
        if provesDevices != (proof != nil) {
            return .failed(provesDevices
                ? SessionFailure(.authenticationFailed, "the peer did not prove its device, which a signed ledger requires")
                : SessionFailure(.malformed, "the peer sent a device proof in a ledger without device keys"))
        }
        if reply.grants && !speaksGrants {
            return .failed(SessionFailure(.malformed, "the peer put grants in force, which this side did not ask for"))
        }
        switch reply.message {
        case let .summary(summary)?:
            return .admitted(split(&noise), summary, proof, peerMillis: reply.wallMillis, grants: reply.grants)
        case nil:
            return .admitted(split(&noise), nil, proof, peerMillis: reply.wallMillis, grants: reply.grants)
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
            let hello: DialerHello
            do {
                hello = try DialerHello.decode(payload)
            } catch {
                return refusal(noise, SessionFailure(.malformed, "the peer's handshake message is malformed: \(error)"))
            }
            guard (hello.flags & DialerHello.identityFlag != 0) == provesDevices else {
                return refusal(noise, provesDevices
                    ? SessionFailure(.authenticationFailed, "the peer did not offer to prove its device, which a signed ledger requires",
                                     toPeer: "this ledger is signed: a node must prove its device in the handshake, and this "
                                         + "one did not offer to (is it running an older Carnet?)")
                    : SessionFailure(.malformed, "the peer offered a device proof in a ledger without device keys"))
            }
            guard hello.flags & DialerHello.grantsFlag == 0 || speaksGrants else {
                // What a version-2 listener from before grants answers; the dialer dials again without.
                return refusal(noise, SessionFailure(.malformed, "the peer's handshake message is malformed: handshake flags "
                                                         + "\(hello.flags) (this node does not speak grants)"))
            }
            guard hello.flags & DialerHello.receiptFlag == 0 || provesDevices else {
                return refusal(noise, SessionFailure(.malformed, "the peer asked for a custody receipt in a ledger without device keys"))
            }
            return .admitted(noise, hello)
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

    /// Message 2 carrying `message` (nil: the SUMMARY follows) and the listener's clock
    /// `wallMillis`, and the channel it opens. `prove` makes the listener's device proof
    /// from the handshake hash before the payload (nil in format 1).
    func reply(_ noise: inout NoiseHandshakeState, _ message: SessionMessage?, wallMillis: UInt64, grants: Bool = false,
               proving prove: (([UInt8]) -> DeviceProof)? = nil) -> (Frame, NoiseTransport) {
        guard let bytes = try? noise.writeMessage(payloadBoundTo: { hash in
            ListenerReply(wallMillis: wallMillis, message: message, identity: prove?(hash), grants: grants).encoded
        }) else {
            preconditionFailure("the caller keeps message 2 within Noise's limit")
        }
        return (Frame(type: .handshake2, payload: bytes), split(&noise))
    }

    /// The largest listener reply (flags and inner message) message 2 can carry: Noise's
    /// 65,535 bytes less the ephemeral key and the tag.
    static let maxReplyLength = NoiseProtocol.maximumMessageLength - X25519.keyByteCount - ChaCha20Poly1305.tagSize

    private func refusal(_ noise: NoiseHandshakeState, _ failure: SessionFailure) -> OpeningOutcome {
        var noise = noise
        let error = SessionMessage.error(ErrorMessage(code: failure.code, message: failure.toPeer ?? failure.message))
        return .refused(reply(&noise, error, wallMillis: wallMillis).0, failure)
    }

    private func split(_ noise: inout NoiseHandshakeState) -> NoiseTransport {
        guard let transport = try? noise.split() else { preconditionFailure("split once, after the last message") }
        return transport
    }
}

extension Session {
    /// For a listener: the dialer's message 1 read under this ledger's current secret, was
    /// no replay (`HandshakeSteps.acceptOpening` admitted it), and message 2 went out. The
    /// dialer knows the secret, but is not authenticated yet (`isAuthenticated` needs its
    /// first SEALED frame: message 1 alone may be a recording). `serve`'s handshake
    /// deadline ends here (SPEC 8.4): a dialer sends its first SEALED frame only once it
    /// has taken the listener's SUMMARY, which may come in parts (SPEC 8.1) and take a
    /// loaded farm seconds; from here the idle timeout, counted from message 1, bounds it
    /// (`awaitsFirstSealedFrame`).
    public var admittedOpening: Bool {
        guard role == .listener, case .established = state else { return false }
        return true
    }

    /// For a listener: message 1 admitted, and no SEALED frame of the dialer opened yet
    /// (bytes of one may have arrived). `serve` gives that frame the idle timeout from
    /// message 1 (SPEC 8.4), as a trickle of bytes would reset the idle timeout itself.
    public var awaitsFirstSealedFrame: Bool {
        guard role == .listener, case let .established(established) = state else { return false }
        return established.channel.opened == 0
    }
}
