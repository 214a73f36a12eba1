/// The two cipher states of a finished Noise handshake (`Split()`, §5.2), one per
/// direction, for the session's transport messages.
///
/// Why a wrapper and not the bare pair: it holds them the right way round for this party
/// (the spec's c1 is initiator-to-responder), enforces the 65,535-byte message limit of
/// §3 and the one-way rule of N, K and X (the responder never sends), and carries the
/// handshake hash and the peer's static key that authentication decisions need.
///
/// Messages must be decrypted in the order they were encrypted, as over a stream such
/// as TCP; a failed decryption leaves the receiving counter where it was, but the session
/// should then close, since on a stream it means tampering or a lost message.
///
/// A value type holding two counters: keep exactly one copy. Encrypting from two copies
/// would reuse nonces under one key, which breaks ChaCha20-Poly1305's confidentiality and
/// integrity. The same holds for a `NoiseHandshakeState` copied mid-handshake.
public struct NoiseTransport: Sendable {
    private var sending: NoiseCipherState?
    private var receiving: NoiseCipherState?
    /// `h` at the end of the handshake: the channel-binding value (§11.2).
    public let handshakeHash: [UInt8]
    /// The peer's static public key, when the pattern had one.
    public let remoteStaticKey: [UInt8]?

    init(sending: NoiseCipherState?, receiving: NoiseCipherState?, handshakeHash: [UInt8], remoteStaticKey: [UInt8]?) {
        self.sending = sending
        self.receiving = receiving
        self.handshakeHash = handshakeHash
        self.remoteStaticKey = remoteStaticKey
    }

    /// The largest payload one transport message can carry: the limit less the tag.
    public static let maximumPayloadLength = NoiseProtocol.maximumMessageLength - ChaCha20Poly1305.tagSize

    /// The next outgoing message: ciphertext ‖ tag. Throws `messageTooLong` for a payload
    /// over `maximumPayloadLength` (nothing is consumed), `wrongTurn` for a responder of a
    /// one-way pattern.
    public mutating func encrypt(_ payload: [UInt8], associatedData: [UInt8] = []) throws(NoiseError) -> [UInt8] {
        guard var cipher = sending else { throw .wrongTurn }
        guard payload.count <= Self.maximumPayloadLength else {
            throw .messageTooLong(payload.count + ChaCha20Poly1305.tagSize)
        }
        let message = try cipher.encrypt(payload, associatedData: associatedData)
        sending = cipher
        return message
    }

    /// The payload of the next incoming message.
    public mutating func decrypt(_ message: [UInt8], associatedData: [UInt8] = []) throws(NoiseError) -> [UInt8] {
        guard var cipher = receiving else { throw .wrongTurn }
        guard message.count <= NoiseProtocol.maximumMessageLength else { throw .messageTooLong(message.count) }
        let payload = try cipher.decrypt(message, associatedData: associatedData)
        receiving = cipher
        return payload
    }

    /// The next outgoing *record*: like `encrypt`, with the same key and counter nonce, but
    /// without the 65,535-byte limit. For an application whose records are not Noise
    /// transport messages, because it frames them itself (Carnet's SEALED frames carry up
    /// to 1 MiB, protocol/SPEC.md 8.1): ChaCha20-Poly1305 takes far longer plaintexts, and
    /// the limit exists only so that Noise messages fit a 16-bit length field. Never mix
    /// both calls on one direction of a session: the peer must open with the matching one.
    public mutating func encryptRecord(_ payload: [UInt8], associatedData: [UInt8] = []) throws(NoiseError) -> [UInt8] {
        guard var cipher = sending else { throw .wrongTurn }
        let record = try cipher.encrypt(payload, associatedData: associatedData)
        sending = cipher
        return record
    }

    /// The payload of the next incoming record (`encryptRecord`'s counterpart). A failure
    /// leaves the counter where it was.
    public mutating func decryptRecord(_ record: [UInt8], associatedData: [UInt8] = []) throws(NoiseError) -> [UInt8] {
        guard var cipher = receiving else { throw .wrongTurn }
        let payload = try cipher.decrypt(record, associatedData: associatedData)
        receiving = cipher
        return payload
    }

    /// `Rekey()` of the sending key; the peer must rekey its receiving key at the same
    /// message (the rule is the application's, §11.3).
    public mutating func rekeySending() {
        sending?.rekey()
    }

    /// `Rekey()` of the receiving key.
    public mutating func rekeyReceiving() {
        receiving?.rekey()
    }

    /// The nonces of the next message each way (nil for a direction a one-way pattern
    /// lacks), for a session that rekeys or closes before they run out.
    public var sendingNonce: UInt64? { sending?.nonce }
    public var receivingNonce: UInt64? { receiving?.nonce }
}
