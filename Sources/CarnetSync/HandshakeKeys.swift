import CarnetCore
import CarnetWire

/// The cryptography of the handshake (protocol/SPEC.md, "Authentication"): proofs that a
/// side knows the ledger secret, bound to both sides' fresh nonces and to the prover's
/// role, and the per-direction keys that MAC every later frame.
///
/// A proof covers the verifier's fresh nonce, so a recorded handshake replayed later
/// fails; it names the prover's role, so a proof reflected back to its maker fails.
public struct HandshakeKeys: Sendable {
    let secret: [UInt8]
    let role: SessionRole
    let ownNonce: [UInt8]
    let peerNonce: [UInt8]

    public init(secret: [UInt8], role: SessionRole, ownNonce: [UInt8], peerNonce: [UInt8]) {
        self.secret = secret
        self.role = role
        self.ownNonce = ownNonce
        self.peerNonce = peerNonce
    }

    static let proofLabel = Array("carnet/1 proof".utf8)
    static let keyLabel = Array("carnet/1 key".utf8)

    /// HMAC(secret, "carnet/1 proof" ‖ role of the prover ‖ prover's nonce ‖ verifier's nonce).
    static func proof(secret: [UInt8], prover: SessionRole, proverNonce: [UInt8], verifierNonce: [UInt8]) -> [UInt8] {
        HMACSHA256.authenticate(proofLabel + [prover.rawValue] + proverNonce + verifierNonce, key: secret).bytes
    }

    /// This side's proof.
    public var ownProof: [UInt8] {
        Self.proof(secret: secret, prover: role, proverNonce: ownNonce, verifierNonce: peerNonce)
    }

    /// True when `proof` is the peer's proof for this session.
    public func verifyPeerProof(_ proof: [UInt8]) -> Bool {
        let expected = Self.proof(secret: secret, prover: role.peer, proverNonce: peerNonce, verifierNonce: ownNonce)
        return HMACSHA256.constantTimeEquals(proof, expected)
    }

    /// HMAC(secret, "carnet/1 key" ‖ role of the sender ‖ dialer's nonce ‖ listener's nonce).
    func key(sender: SessionRole) -> [UInt8] {
        let (dialerNonce, listenerNonce) = role == .dialer ? (ownNonce, peerNonce) : (peerNonce, ownNonce)
        return HMACSHA256.authenticate(Self.keyLabel + [sender.rawValue] + dialerNonce + listenerNonce, key: secret).bytes
    }

    static let secretIDLabel = Array("carnet/1 secret id".utf8)

    /// The secret's id for HELLO: HMAC(secret, "carnet/1 secret id"), first 8 bytes. Names
    /// a secret without revealing anything that helps to guess it.
    public static func secretID(_ secret: [UInt8]) -> UInt64 {
        HMACSHA256.authenticate(secretIDLabel, key: secret).w0
    }

    static let sealLabel = Array("carnet/1 seal".utf8)
    static let stateLabel = Array("carnet/1 state".utf8)

    /// The dialer's state tag: a keyed digest of its compact summary under its nonce.
    public static func stateTag(secret: [UInt8], dialerNonce: [UInt8], summary: CompactSummary) -> UInt64 {
        HMACSHA256.authenticate(stateLabel + dialerNonce + summary.encoded, key: secret).w0
    }

    /// The ciphers of SUMMARY bodies: this side's and the peer's.
    public var summaryCiphers: (outgoing: SummaryCipher, incoming: SummaryCipher) {
        func key(_ sender: SessionRole) -> [UInt8] {
            let (dialerNonce, listenerNonce) = role == .dialer ? (ownNonce, peerNonce) : (peerNonce, ownNonce)
            return HMACSHA256.authenticate(Self.sealLabel + [sender.rawValue] + dialerNonce + listenerNonce, key: secret).bytes
        }
        return (SummaryCipher(key: key(role)), SummaryCipher(key: key(role.peer)))
    }

    /// The MACs of this session: this side's frames under its key, the peer's under theirs.
    public var authenticators: (outgoing: FrameAuthenticator, incoming: FrameAuthenticator) {
        (FrameAuthenticator(key: key(sender: role)), FrameAuthenticator(key: key(sender: role.peer)))
    }
}

/// MACs the frames of one direction: the first 16 bytes of HMAC(key, u64be(n) ‖ type ‖
/// body), where n counts this direction's authenticated frames from 0. The count makes a
/// dropped, replayed or reordered frame fail as surely as an altered one.
public struct FrameAuthenticator: Sendable {
    private let key: [UInt8]
    /// Frames sealed or opened so far in this direction.
    public private(set) var count: UInt64 = 0

    init(key: [UInt8]) {
        self.key = key
    }

    private func mac(type: FrameType, body: [UInt8]) -> [UInt8] {
        var hmac = HMACSHA256(key: key)
        hmac.update([UInt8(count >> 56), UInt8((count >> 48) & 0xFF), UInt8((count >> 40) & 0xFF), UInt8((count >> 32) & 0xFF),
                     UInt8((count >> 24) & 0xFF), UInt8((count >> 16) & 0xFF), UInt8((count >> 8) & 0xFF), UInt8(count & 0xFF)])
        hmac.update([type.rawValue])
        hmac.update(body)
        return Array(hmac.finalize().bytes.prefix(FrameLimits.macLength))
    }

    /// The frame for `message`, with its MAC.
    public mutating func seal(_ message: SessionMessage) -> Frame {
        seal(type: message.frameType, body: message.body)
    }

    /// The frame for a body already encoded (an enciphered SUMMARY), with its MAC.
    public mutating func seal(type: FrameType, body: [UInt8]) -> Frame {
        let frame = Frame(type: type, payload: body + mac(type: type, body: body))
        count += 1
        return frame
    }

    /// The body of `frame` once its MAC checks; nil when it does not.
    public mutating func open(_ frame: Frame) -> [UInt8]? {
        guard frame.payload.count >= FrameLimits.macLength else { return nil }
        let body = Array(frame.payload.dropLast(FrameLimits.macLength))
        let received = Array(frame.payload.suffix(FrameLimits.macLength))
        guard HMACSHA256.constantTimeEquals(received, mac(type: frame.type, body: body)) else { return nil }
        count += 1
        return body
    }
}

/// Encrypts SUMMARY bodies: the listener sends its summary before the dialer has proved
/// itself (so that a sync takes two round trips, not three), and a stranger must not read
/// it. The keystream is HMAC-SHA256 as a pseudo-random function in counter mode, under a
/// per-session, per-direction key, with the summary's index in the input so that no
/// keystream block is ever used twice: `block(i, j) = HMAC(key, u64be(i) ‖ u64be(j))`.
/// The frame's MAC still covers the ciphertext (encrypt, then MAC).
public struct SummaryCipher: Sendable {
    private let key: [UInt8]
    /// Summaries enciphered (or deciphered) so far in this direction.
    public private(set) var count: UInt64 = 0

    init(key: [UInt8]) {
        self.key = key
    }

    /// Enciphers or deciphers (the same operation) the next summary body.
    public mutating func apply(_ bytes: [UInt8]) -> [UInt8] {
        var out = bytes
        var block: UInt64 = 0
        var offset = 0
        while offset < out.count {
            var input = ByteWriter(capacity: 16)
            input.uint64BigEndian(count)
            input.uint64BigEndian(block)
            let stream = HMACSHA256.authenticate(input.bytes, key: key).bytes
            for index in 0..<min(32, out.count - offset) { out[offset + index] ^= stream[index] }
            offset += 32
            block += 1
        }
        count += 1
        return out
    }
}

/// A secret the node held before its current one, by id, with a note for the message a
/// peer still using it receives: "it was <note>", as "replaced on 2026-11-29 (rotated by hub)".
public struct RetiredSecret: Sendable, Equatable {
    public var id: UInt64
    public var note: String

    public init(secret: [UInt8], note: String) {
        id = HandshakeKeys.secretID(secret)
        self.note = note
    }
}
