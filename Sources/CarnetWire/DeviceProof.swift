import CarnetCore

/// A device's proof of its identity in a signed ledger's handshake (protocol/SPEC.md
/// 8.2.7): an Ed25519 signature by the node's device key over the Noise handshake hash,
/// with the key itself (public key and salt, from which the node id derives) unless the
/// signer knows the verifier holds the key its node declared.
///
/// ```
/// proof = u8(form) [public key(32) salt(16)] signature(64)      form 0: signature alone, 1: key and signature
/// signed message = "carnet/2 device" ‖ u8(signer's role: 1 dialer, 2 listener) ‖ h(32)
/// ```
///
/// Why the handshake hash: it is unique to this session (both ephemerals, and the PSK
/// mixed in), so a proof cannot be replayed into another session (Noise §11.2, channel
/// binding). Why the role: the two sides sign different hashes already, but the role makes
/// a proof's meaning explicit and keeps it apart from any other signature the key makes
/// (heads sign "carnet/2 head" messages).
public struct DeviceProof: Sendable, Equatable {
    public static let signatureLength = Ed25519.signatureByteCount
    public static let keyLength = Ed25519.publicKeyByteCount + NodeKey.saltByteCount
    static let label: [UInt8] = Array("carnet/2 device".utf8)

    /// The signer's key and salt; nil when the verifier looks the key up by the node id
    /// the signer's first SUMMARY names.
    public var key: NodeKey?
    public var signature: [UInt8]

    public init(key: NodeKey?, signature: [UInt8]) {
        self.key = key
        self.signature = signature
    }

    /// The bytes on the wire: 65 with the signature alone, 113 with the key.
    public static func length(withKey: Bool) -> Int { 1 + (withKey ? keyLength : 0) + signatureLength }

    public var encoded: [UInt8] {
        guard let key else { return [0] + signature }
        return [1] + key.publicKey.bytes + key.salt + signature
    }

    public static func decode(from reader: inout ByteReader) throws(WireError) -> DeviceProof {
        let start = reader.offset
        let form = try reader.byte()
        var key: NodeKey?
        switch form {
        case 0:
            break
        case 1:
            let bytes = try reader.raw(keyLength)
            guard let publicKey = Ed25519.PublicKey(bytes: bytes.prefix(Ed25519.publicKeyByteCount)) else {
                throw .malformed("a device proof whose public key does not decode", at: start + 1)
            }
            key = NodeKey(publicKey: publicKey, salt: Array(bytes.suffix(NodeKey.saltByteCount)))
        default:
            throw .malformed("device proof form \(form)", at: start)
        }
        return DeviceProof(key: key, signature: Array(try reader.raw(signatureLength)))
    }

    /// What `role`'s device signs in the session whose handshake hash (at the point the
    /// spec names for that role) is `handshakeHash`.
    public static func signedMessage(role: SessionRole, handshakeHash: [UInt8]) -> [UInt8] {
        label + [role.rawValue] + handshakeHash
    }
}
