import CarnetCore

/// A device's proof of its identity in a signed ledger's handshake (protocol/SPEC.md
/// 8.2.7): an Ed25519 signature by the node's device key over the Noise handshake hash,
/// with the key itself (public key and salt, from which the node id derives) only when
/// the verifier may lack the key the signer's node declared: a dialer sends it unless the
/// listener's SUMMARY shows it holds the dialer's node; a listener sends it when the
/// dialer asks (form bit 7), in front of its next SEALED frame.
///
/// ```
/// proof = u8(form) [public key(32) salt(16)] signature(64)      form bit 0: the key is there;
///                                                               bit 7: send me your key (the dialer's only)
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
    /// The dialer asks the listener for its key: the listener's proof in message 2 was a
    /// signature alone and the dialer does not hold the key the listener's node declared.
    /// The listener's next SEALED frame then starts with it (SPEC 8.2.7).
    public var asksForKey: Bool

    static let keyBit: UInt8 = 1
    static let askBit: UInt8 = 0x80

    public init(key: NodeKey?, signature: [UInt8], asksForKey: Bool = false) {
        self.key = key
        self.signature = signature
        self.asksForKey = asksForKey
    }

    /// The bytes on the wire: 65 with the signature alone, 113 with the key.
    public static func length(withKey: Bool) -> Int { 1 + (withKey ? keyLength : 0) + signatureLength }

    public var encoded: [UInt8] {
        let form = (key == nil ? 0 : Self.keyBit) | (asksForKey ? Self.askBit : 0)
        return [form] + (key.map(Self.encode) ?? []) + signature
    }

    /// A key as a proof carries it, and as a listener sends it when asked: public key, salt.
    public static func encode(_ key: NodeKey) -> [UInt8] { key.publicKey.bytes + key.salt }

    /// A key sent as `encode` writes it.
    public static func decodeKey(from reader: inout ByteReader) throws(WireError) -> NodeKey {
        let start = reader.offset
        let bytes = try reader.raw(keyLength)
        guard let publicKey = Ed25519.PublicKey(bytes: bytes.prefix(Ed25519.publicKeyByteCount)),
              let key = NodeKey(publicKey: publicKey, salt: Array(bytes.suffix(NodeKey.saltByteCount))) else {
            throw .malformed("a device key whose public key does not decode", at: start)
        }
        return key
    }

    public static func decode(from reader: inout ByteReader) throws(WireError) -> DeviceProof {
        let start = reader.offset
        let form = try reader.byte()
        guard form & ~(keyBit | askBit) == 0 else { throw .malformed("device proof form \(form)", at: start) }
        let key = form & keyBit != 0 ? try decodeKey(from: &reader) : nil
        return DeviceProof(key: key, signature: Array(try reader.raw(signatureLength)), asksForKey: form & askBit != 0)
    }

    /// What `role`'s device signs in the session whose handshake hash (at the point the
    /// spec names for that role) is `handshakeHash`.
    public static func signedMessage(role: SessionRole, handshakeHash: [UInt8]) -> [UInt8] {
        label + [role.rawValue] + handshakeHash
    }
}
