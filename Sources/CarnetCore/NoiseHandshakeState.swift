/// Which side of a Noise handshake this party plays. The initiator sends the first message.
public enum NoiseRole: Equatable, Sendable {
    case initiator, responder
}

/// Noise's HandshakeState (revision 34 §5.3) for the suite `25519_ChaChaPoly_SHA256`: runs
/// any pattern of `NoisePattern`'s table, with `pskN` modifiers, one message at a time.
///
/// Why an engine and not one hard-wired handshake: Carnet's v2 sessions will run
/// `Noise_NNpsk0_25519_ChaChaPoly_SHA256`, with the ledger secret as the PSK (so only
/// members of a ledger can complete a handshake) and each device then signing
/// `handshakeHash` with its Ed25519 key (channel binding, §11.2: the signature cannot be
/// replayed into another session). Running the spec's generic state machine lets the
/// published vectors for 59 patterns check the very code NNpsk0 runs, and leaves room for
/// other patterns later without new cryptographic code.
///
/// No randomness inside: the ephemeral key (and any static key) is passed in. In production
/// the caller generates the ephemeral from a secure source for each handshake, never
/// reusing one; the tests pass the vectors' fixed keys. This keeps the core pure and
/// deterministic.
///
/// A value type, driven by `writeMessage` and `readMessage` in turn; once `isFinished`,
/// `split()` gives the two cipher states, once. Any failure while processing a message
/// (a bad tag, a truncated message, a small-order key) aborts the handshake: the state
/// drops its keys and every later call throws `handshakeAborted`, since a handshake that
/// failed once must not go on. Refusals made before any processing
/// (wrong turn, a message over 65,535 bytes) leave the state as it was.
public struct NoiseHandshakeState: Sendable {
    /// The protocol this handshake runs; its pattern drives every step.
    public let noiseProtocol: NoiseProtocol
    public let role: NoiseRole
    private var symmetric: NoiseSymmetricState
    private var localStatic: X25519.PrivateKey?
    private var localEphemeral: X25519.PrivateKey?
    /// `rs`: the peer's static public key, given or received. After an XX-style handshake
    /// this is the key the application must check it trusts.
    public private(set) var remoteStaticKey: [UInt8]?
    /// `re`: the peer's ephemeral public key, given or received.
    public private(set) var remoteEphemeralKey: [UInt8]?
    private var presharedKeys: [[UInt8]]
    private var pskIndex = 0
    private var messageIndex = 0
    private var phase = Phase.running

    private enum Phase {
        /// Messages still to write or read, or finished but not yet split.
        case running
        /// `split()` has handed out the transport; the secrets are gone.
        case split
        /// A message failed; the secrets are gone.
        case aborted
    }

    /// `Initialize(handshake_pattern, initiator, prologue, s, e, rs, re)` with the PSKs of
    /// §9. The prologue is any data both parties already agree on (a protocol version, say);
    /// it enters `h`, so a mismatch fails the first authenticated message.
    ///
    /// Every key the pattern will need from this party is checked here, so a
    /// misconfiguration fails before any message is sent: `localStatic` when this party
    /// sends `s` or appears in a pre-message, `localEphemeral` when it sends `e`,
    /// `remoteStatic` (32 bytes) when the peer's static key is a pre-message, and exactly
    /// as many 32-byte PSKs as the pattern has `psk` tokens.
    public init(
        noiseProtocol: NoiseProtocol,
        role: NoiseRole,
        prologue: [UInt8] = [],
        localStatic: X25519.PrivateKey? = nil,
        localEphemeral: X25519.PrivateKey? = nil,
        remoteStatic: [UInt8]? = nil,
        remoteEphemeral: [UInt8]? = nil,
        presharedKeys: [[UInt8]] = []
    ) throws(NoiseError) {
        let pattern = noiseProtocol.pattern
        guard presharedKeys.count == pattern.pskCount else {
            throw .wrongPSKCount(expected: pattern.pskCount, given: presharedKeys.count)
        }
        guard presharedKeys.allSatisfy({ $0.count == 32 }) else { throw .invalidKeyLength(.presharedKey) }
        if let remoteStatic, remoteStatic.count != X25519.keyByteCount { throw .invalidKeyLength(.remoteStatic) }
        if let remoteEphemeral, remoteEphemeral.count != X25519.keyByteCount { throw .invalidKeyLength(.remoteEphemeral) }

        let isInitiator = role == .initiator
        let (ownPre, peerPre) = isInitiator
            ? (pattern.initiatorPreMessage, pattern.responderPreMessage)
            : (pattern.responderPreMessage, pattern.initiatorPreMessage)
        let ownTokens = pattern.messages.indices
            .filter { $0.isMultiple(of: 2) == isInitiator }
            .flatMap { pattern.messages[$0] }
        if localStatic == nil, ownPre.contains(.s) || ownTokens.contains(.s) { throw .missingKey(.localStatic) }
        if localEphemeral == nil, ownPre.contains(.e) || ownTokens.contains(.e) { throw .missingKey(.localEphemeral) }
        if remoteStatic == nil, peerPre.contains(.s) { throw .missingKey(.remoteStatic) }
        if remoteEphemeral == nil, peerPre.contains(.e) { throw .missingKey(.remoteEphemeral) }

        self.noiseProtocol = noiseProtocol
        self.role = role
        self.localStatic = localStatic
        self.localEphemeral = localEphemeral
        remoteStaticKey = remoteStatic
        remoteEphemeralKey = remoteEphemeral
        self.presharedKeys = presharedKeys
        symmetric = NoiseSymmetricState(protocolName: noiseProtocol.name)
        symmetric.mixHash(prologue)
        // Pre-messages: the initiator's keys first, then the responder's, each side hashing
        // the same public keys (its own or the peer's). An `e` here is mixed into the key too
        // in PSK handshakes (§9.2), as in a message.
        for (tokens, ofInitiator) in [(pattern.initiatorPreMessage, true), (pattern.responderPreMessage, false)] {
            let own = ofInitiator == isInitiator
            for token in tokens {
                let key: [UInt8]?
                switch token {
                case .e: key = own ? localEphemeral?.publicKey : remoteEphemeral
                case .s: key = own ? localStatic?.publicKey : remoteStatic
                default: preconditionFailure("pre-messages hold only e and s")
                }
                guard let key else { preconditionFailure("checked above") }
                symmetric.mixHash(key)
                if token == .e, pattern.usesPSK { symmetric.mixKey(key) }
            }
        }
    }

    /// The same, from the protocol's name (`Noise_NNpsk0_25519_ChaChaPoly_SHA256`).
    public init(
        protocolName: String,
        role: NoiseRole,
        prologue: [UInt8] = [],
        localStatic: X25519.PrivateKey? = nil,
        localEphemeral: X25519.PrivateKey? = nil,
        remoteStatic: [UInt8]? = nil,
        remoteEphemeral: [UInt8]? = nil,
        presharedKeys: [[UInt8]] = []
    ) throws(NoiseError) {
        try self.init(
            noiseProtocol: NoiseProtocol(name: protocolName), role: role, prologue: prologue,
            localStatic: localStatic, localEphemeral: localEphemeral,
            remoteStatic: remoteStatic, remoteEphemeral: remoteEphemeral, presharedKeys: presharedKeys)
    }

    /// Whether every handshake message has been written or read.
    public var isFinished: Bool { phase != .aborted && messageIndex == noiseProtocol.pattern.messages.count }

    /// Whether the next handshake message is this party's to write (false once finished).
    public var isMyTurn: Bool {
        phase == .running && messageIndex < noiseProtocol.pattern.messages.count
            && messageIndex.isMultiple(of: 2) == (role == .initiator)
    }

    /// `GetHandshakeHash()`: `h`, the transcript hash. Once `isFinished` it is the same on
    /// both sides and unique to this session, which is why Carnet signs it (§11.2). Kept
    /// after `split()`.
    public var handshakeHash: [UInt8] { symmetric.handshakeHash }

    /// `WriteMessage(payload)`: the next handshake message, ending with `payload` (encrypted
    /// once a key exists: check the pattern's §7.7 properties before sending secrets early).
    public mutating func writeMessage(payload: [UInt8] = []) throws(NoiseError) -> [UInt8] {
        try writeMessage(payloadBoundTo: { _ in payload })
    }

    /// `WriteMessage` whose payload is made from `h` as it stands once the message's tokens
    /// are processed, just before the payload is encrypted: a signature over that `h`
    /// binds the payload to this handshake's transcript so far (every earlier message and
    /// this message's keys), the channel binding of §11.2 for a party that must prove
    /// itself inside a handshake message rather than after it.
    public mutating func writeMessage(payloadBoundTo makePayload: (_ handshakeHash: [UInt8]) -> [UInt8]) throws(NoiseError) -> [UInt8] {
        try checkTurn(writing: true)
        var next = self
        var message: [UInt8] = []
        do throws(NoiseError) {
            for token in noiseProtocol.pattern.messages[messageIndex] {
                switch token {
                case .e:
                    guard let ephemeral = next.localEphemeral else { throw NoiseError.missingKey(.localEphemeral) }
                    message += ephemeral.publicKey
                    next.mixEphemeral(ephemeral.publicKey)
                case .s:
                    guard let local = next.localStatic else { throw NoiseError.missingKey(.localStatic) }
                    message += try next.symmetric.encryptAndHash(local.publicKey)
                default:
                    try next.mixSecret(token)
                }
            }
            message += try next.symmetric.encryptAndHash(makePayload(next.symmetric.handshakeHash))
        } catch {
            abort()
            throw error
        }
        guard message.count <= NoiseProtocol.maximumMessageLength else { throw .messageTooLong(message.count) }
        next.messageIndex += 1
        self = next
        return message
    }

    /// `ReadMessage(message)`: the payload of the peer's next handshake message. Throws
    /// (and aborts the handshake) when the message is short, a tag fails or a key is of
    /// small order; nothing of a failed message is kept.
    public mutating func readMessage(_ message: [UInt8]) throws(NoiseError) -> [UInt8] {
        try readMessageBound(message).payload
    }

    /// `ReadMessage`, with `h` as it stood before the payload was decrypted: what a
    /// signature made by `writeMessage(payloadBoundTo:)` covers.
    public mutating func readMessageBound(_ message: [UInt8]) throws(NoiseError) -> (payload: [UInt8], handshakeHash: [UInt8]) {
        try checkTurn(writing: false)
        guard message.count <= NoiseProtocol.maximumMessageLength else { throw .messageTooLong(message.count) }
        var next = self
        var rest = message[...]
        let payload: [UInt8]
        var boundHash: [UInt8] = []
        do throws(NoiseError) {
            for token in noiseProtocol.pattern.messages[messageIndex] {
                switch token {
                case .e:
                    guard rest.count >= X25519.keyByteCount else { throw NoiseError.messageTooShort }
                    let key = Array(rest.prefix(X25519.keyByteCount))
                    rest = rest.dropFirst(X25519.keyByteCount)
                    next.remoteEphemeralKey = key
                    next.mixEphemeral(key)
                case .s:
                    let length = X25519.keyByteCount + (next.symmetric.cipher.hasKey ? ChaCha20Poly1305.tagSize : 0)
                    guard rest.count >= length else { throw NoiseError.messageTooShort }
                    let field = Array(rest.prefix(length))
                    rest = rest.dropFirst(length)
                    next.remoteStaticKey = try next.symmetric.decryptAndHash(field)
                default:
                    try next.mixSecret(token)
                }
            }
            if next.symmetric.cipher.hasKey, rest.count < ChaCha20Poly1305.tagSize { throw NoiseError.messageTooShort }
            boundHash = next.symmetric.handshakeHash
            payload = try next.symmetric.decryptAndHash(Array(rest))
        } catch {
            abort()
            throw error
        }
        next.messageIndex += 1
        self = next
        return (payload, boundHash)
    }

    /// `Split()`, oriented for this party: what to send and receive with after the
    /// handshake. Throws `handshakeNotFinished` before the last message. Works once: it
    /// then drops the chaining key and the local keys, and a second call throws
    /// `alreadySplit`, because a second pair of cipher states would start again at nonce
    /// 0 under the same keys.
    public mutating func split() throws(NoiseError) -> NoiseTransport {
        guard phase != .aborted else { throw .handshakeAborted }
        guard phase != .split else { throw .alreadySplit }
        guard isFinished else { throw .handshakeNotFinished }
        let (initiatorToResponder, responderToInitiator) = symmetric.split()
        phase = .split
        symmetric.dropKeys()
        localStatic = nil
        localEphemeral = nil
        presharedKeys = []
        let oneWay = noiseProtocol.pattern.isOneWay
        switch role {
        case .initiator:
            return NoiseTransport(
                sending: initiatorToResponder, receiving: oneWay ? nil : responderToInitiator,
                handshakeHash: handshakeHash, remoteStaticKey: remoteStaticKey)
        case .responder:
            return NoiseTransport(
                sending: oneWay ? nil : responderToInitiator, receiving: initiatorToResponder,
                handshakeHash: handshakeHash, remoteStaticKey: remoteStaticKey)
        }
    }

    // MARK: Steps

    private func checkTurn(writing: Bool) throws(NoiseError) {
        guard phase != .aborted else { throw .handshakeAborted }
        guard messageIndex < noiseProtocol.pattern.messages.count else { throw .handshakeFinished }
        guard isMyTurn == writing else { throw .wrongTurn }
    }

    /// The `e` token's hashing: MixHash(e.pub), and in PSK handshakes MixKey(e.pub) too
    /// (§9.2), so that the key that encrypts after a `psk` depends on a fresh ephemeral.
    private mutating func mixEphemeral(_ publicKey: [UInt8]) {
        symmetric.mixHash(publicKey)
        if noiseProtocol.pattern.usesPSK { symmetric.mixKey(publicKey) }
    }

    /// The DH tokens and `psk`. `es` means DH(initiator's e, responder's s) from either side,
    /// so each side picks its own key and the peer's by its role.
    private mutating func mixSecret(_ token: NoisePattern.Token) throws(NoiseError) {
        let isInitiator = role == .initiator
        switch token {
        case .ee:
            symmetric.mixKey(try dh(ephemeral: true, remoteEphemeral: true))
        case .es:
            symmetric.mixKey(try dh(ephemeral: isInitiator, remoteEphemeral: !isInitiator))
        case .se:
            symmetric.mixKey(try dh(ephemeral: !isInitiator, remoteEphemeral: isInitiator))
        case .ss:
            symmetric.mixKey(try dh(ephemeral: false, remoteEphemeral: false))
        case .psk:
            symmetric.mixKeyAndHash(presharedKeys[pskIndex])
            pskIndex += 1
        case .e, .s:
            preconditionFailure("e and s are handled by the caller")
        }
    }

    /// DH(local, remote) with the chosen keys. X25519 reports an all-zero result (a peer key
    /// of small order) as nil, which fails the handshake: such a "secret" is known to all.
    private func dh(ephemeral: Bool, remoteEphemeral: Bool) throws(NoiseError) -> [UInt8] {
        guard let local = ephemeral ? localEphemeral : localStatic else {
            throw .missingKey(ephemeral ? .localEphemeral : .localStatic)
        }
        guard let remote = remoteEphemeral ? remoteEphemeralKey : remoteStaticKey else {
            throw .missingKey(remoteEphemeral ? .remoteEphemeral : .remoteStatic)
        }
        guard let shared = local.sharedSecret(with: remote) else { throw .invalidPublicKey }
        return shared
    }

    /// Drops every secret this state holds and refuses all later calls.
    private mutating func abort() {
        phase = .aborted
        symmetric = NoiseSymmetricState(protocolName: noiseProtocol.name)
        localStatic = nil
        localEphemeral = nil
        presharedKeys = []
    }
}
