/// Why a Noise handshake or transport step was refused.
///
/// One typed enum for the whole engine so that the session layer can tell a peer's fault
/// (`decryptionFailed`, `invalidPublicKey`, `messageTooShort`) from its own misuse
/// (`wrongTurn`, `missingKey`, `handshakeFinished`) and log or close accordingly, without
/// string matching. Cases carry only public facts (lengths, names, indices), never key
/// material.
public enum NoiseError: Error, Equatable, Sendable {
    // MARK: Protocol names and patterns

    /// The name is not `Noise_<pattern>_<dh>_<cipher>_<hash>`.
    case malformedProtocolName(String)
    /// The suite is not `25519_ChaChaPoly_SHA256`, the only one this engine implements.
    case unsupportedSuite(String)
    /// The base pattern (before any modifier) is not in the table.
    case unknownPattern(String)
    /// A modifier other than `pskN`, or a `pskN` beyond the pattern's last message.
    case unsupportedModifier(String)

    // MARK: Set-up

    /// The pattern needs a key the caller did not supply.
    case missingKey(NoiseKeyRole)
    /// A supplied public key or pre-shared key is not 32 bytes.
    case invalidKeyLength(NoiseKeyRole)
    /// The pattern has this many `psk` tokens but a different number of PSKs was given.
    case wrongPSKCount(expected: Int, given: Int)

    // MARK: Handshake and transport

    /// A message over Noise's 65,535-byte limit (§3), to be written or read.
    case messageTooLong(Int)
    /// The message ends before a key, a tag or the payload's tag it should hold.
    case messageTooShort
    /// An AEAD tag did not match: the message was altered, or the peers' keys, PSKs,
    /// prologues or protocol names differ. Noise gives no finer diagnosis, by design.
    case decryptionFailed
    /// A Diffie–Hellman result was all zeros: the peer sent a key of small order.
    case invalidPublicKey
    /// The nonce reached 2^64 − 1, which Noise reserves (§5.1): the key must not be used again.
    case nonceExhausted
    /// It is the other party's turn to send (or, after a one-way handshake, the responder
    /// tried to send or the initiator to receive).
    case wrongTurn
    /// The handshake has delivered its last message; use the transport.
    case handshakeFinished
    /// The transport was asked for before the handshake's last message.
    case handshakeNotFinished
    /// `split()` was already called on this handshake: a second transport would reuse nonces.
    case alreadySplit
    /// An earlier failure aborted this handshake; its state is wiped and a new handshake
    /// (with a new ephemeral key) must be started.
    case handshakeAborted
}

/// Which key a `NoiseError` is about.
public enum NoiseKeyRole: String, Equatable, Sendable {
    case localStatic, localEphemeral, remoteStatic, remoteEphemeral, presharedKey
}
