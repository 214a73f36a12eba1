import CarnetCore
import CarnetWire

/// The cryptography of the version-2 handshake (protocol/SPEC.md 8.2): which Noise
/// protocol runs, the PSK a ledger secret gives, and the dialer's state tag. Published
/// constructions only: Noise `NNpsk0` with the suite 25519/ChaChaPoly/SHA256, HKDF-SHA256
/// for the PSK, SHA-256 for the tag.
///
/// Why `NNpsk0`: the PSK is mixed in before the first message, so message 1 already proves
/// the dialer knows the ledger secret. A stranger's message 1 does not decrypt, and the
/// listener closes without a byte: no static key, no summary, no error. Nothing stable is
/// sent in clear (both keys are ephemeral). In a signed ledger each device proves itself
/// by a signature over the handshake hash inside the encrypted payloads (Noise §11.2,
/// `DeviceProof`), not by a Noise static key.
public enum HandshakeKeys {
    public static let protocolName = "Noise_NNpsk0_25519_ChaChaPoly_SHA256"
    /// Both sides hash it first: a peer running another version fails message 1.
    public static let prologue: [UInt8] = Array("carnet/2".utf8)
    static let pskSalt: [UInt8] = Array("carnet/2 psk".utf8)
    static let stateLabel: [UInt8] = Array("carnet/2 state".utf8)

    /// HKDF-SHA256(ikm = secret, salt = "carnet/2 psk", info = the ledger id's 16 bytes, or
    /// empty for a node without one), 32 bytes. The ledger id in `info` keeps two ledgers
    /// that were given the same secret apart.
    public static func psk(secret: [UInt8], ledgerID: LedgerID?) -> [UInt8] {
        guard let key = try? HKDFSHA256.deriveKey(salt: pskSalt, inputKeyMaterial: secret, info: ledgerID?.bytes ?? [], length: 32) else {
            preconditionFailure("32 bytes is within HKDF's limit")
        }
        return key
    }

    /// The dialer's state tag: the first 8 bytes of SHA-256("carnet/2 state" ‖ its compact
    /// summary). Unkeyed, since it travels encrypted under the PSK.
    public static func stateTag(of summary: CompactSummary) -> UInt64 {
        SHA256.hash(stateLabel + summary.encoded).w0
    }

    /// A fresh handshake for `role` with this session's ephemeral private key (32 bytes
    /// from the session's randomness) and a PSK.
    public static func handshake(role: SessionRole, ephemeral: [UInt8], psk: [UInt8]) -> NoiseHandshakeState {
        guard let key = X25519.PrivateKey(bytes: ephemeral),
              let state = try? NoiseHandshakeState(protocolName: protocolName, role: role == .dialer ? .initiator : .responder,
                                                   prologue: prologue, localEphemeral: key, presharedKeys: [psk]) else {
            preconditionFailure("a session's randomness is 32 bytes and the protocol name is valid")
        }
        return state
    }
}

/// A secret the node held before its current one, with a note for the message a peer
/// still using it receives: "it was <note>", as "replaced on 2026-11-29 (rotated by hub)".
/// Its PSK is only ever used to read a stranger's message 1 and answer `secret-retired`
/// under it, never to admit a peer.
public struct RetiredSecret: Sendable, Equatable {
    private let secret: [UInt8]
    public var note: String

    public init(secret: [UInt8], note: String) {
        self.secret = secret
        self.note = note
    }

    func psk(ledgerID: LedgerID?) -> [UInt8] {
        HandshakeKeys.psk(secret: secret, ledgerID: ledgerID)
    }
}
