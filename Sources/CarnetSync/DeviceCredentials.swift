import CarnetCore
import CarnetWire

/// What a session of a signed ledger proves its device with and checks its peer's against
/// (protocol/SPEC.md 8.2.7): this node's device key, which only signs, and the keys the
/// ledger's nodes declared (their seq-1 events), as this node holds them. Closures, as
/// `HeadSource`, so that the session stays a value that reads the store only inside a
/// driver call; the private key never leaves the store.
public struct DeviceCredentials: Sendable {
    /// This node's device key with the salt of its current id; nil when it has none.
    public var ownKey: @Sendable () -> NodeKey?
    /// Signs with the device key (nil when there is none).
    public var sign: @Sendable (_ message: [UInt8]) -> [UInt8]?
    /// The key `node` declared in its seq-1 event, when this node holds it.
    public var declaredKey: @Sendable (_ node: NodeID) -> NodeKey?
    /// The newest event of `node` this node holds durably (the highest of its branch
    /// tips): what a custody receipt for that node signs (SPEC 9.6). Nil when it holds none.
    public var newestHeld: @Sendable (_ node: NodeID) -> EventID?

    public init(ownKey: @escaping @Sendable () -> NodeKey?, sign: @escaping @Sendable ([UInt8]) -> [UInt8]?,
                declaredKey: @escaping @Sendable (NodeID) -> NodeKey?,
                newestHeld: @escaping @Sendable (NodeID) -> EventID? = { _ in nil }) {
        self.ownKey = ownKey
        self.sign = sign
        self.declaredKey = declaredKey
        self.newestHeld = newestHeld
    }

    /// This side's proof for the handshake hash `handshakeHash`, signed as `role`. The key
    /// is left out (48 bytes saved) only when `peerNeedsNoKey` (the peer holds this node's
    /// events, or can ask for the key) and this node holds its own declaration (so those
    /// events include it). Nil without a device key.
    func proof(role: SessionRole, handshakeHash: [UInt8], peerNeedsNoKey: Bool) -> DeviceProof? {
        guard let key = ownKey(),
              let signature = sign(DeviceProof.signedMessage(role: role, handshakeHash: handshakeHash)) else { return nil }
        let omitKey = peerNeedsNoKey && declaredKey(key.node) == key
        return DeviceProof(key: omitKey ? nil : key, signature: signature)
    }

    /// Why the peer's proof does not show that the device signing as `role` is the node
    /// `claimed` (the node its first SUMMARY names), or nil when it does. The key is the one
    /// the proof carries, which must derive `claimed` and equal the key `claimed` declared
    /// when this side holds that declaration; or, for a proof without a key, the declared
    /// key itself.
    func rejection(of proof: DeviceProof, role: SessionRole, handshakeHash: [UInt8], claimed: NodeID) -> SessionFailure? {
        func refused(_ reason: String) -> SessionFailure {
            SessionFailure(.authenticationFailed, "the peer's " + reason + "; nothing of it was stored",
                           toPeer: "the peer refused this node's device proof: this node's " + reason)
        }
        let declared = declaredKey(claimed)
        let key: NodeKey
        if let carried = proof.key {
            guard carried.node == claimed else {
                return refused("device key does not derive the node id it claims (\(claimed.hex))")
            }
            if let declared, declared != carried {
                return refused("device key does not match the key its node (\(claimed.hex)) declared in this ledger")
            }
            key = carried
        } else {
            guard let declared else {
                return refused("device proof is a signature alone, and the key its node (\(claimed.hex)) declared is not held here")
            }
            key = declared
        }
        let message = DeviceProof.signedMessage(role: role, handshakeHash: handshakeHash)
        guard key.publicKey.isValidSignature(proof.signature, for: message) else {
            return refused("device signature over this session's handshake does not verify under the key of its node (\(claimed.hex))")
        }
        return nil
    }
}
