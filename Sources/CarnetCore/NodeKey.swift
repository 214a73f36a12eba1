/// The public half of a node's identity: the device's Ed25519 public key and a salt.
///
/// A node id is derived from it (`node`), so writing under an id needs the private key
/// that matches: one cannot pick a victim's id and sign for it. The salt lets one device
/// (one key, one set of roles) continue under a fresh node id when its history forked
/// (restored from a backup), without a new key that would need enrolling again; roles
/// and revocations name the key, so they follow the device across its incarnations.
///
/// A node states its key in its first event (`declaration`): every replica that holds
/// the node's events holds the key that verifies them, and the statement is inside the
/// hash chain the node signs.
public struct NodeKey: Hashable, Sendable {
    public static let saltByteCount = 16
    public let publicKey: Ed25519.PublicKey
    public let salt: [UInt8]

    public init?(publicKey: Ed25519.PublicKey, salt: [UInt8]) {
        guard salt.count == Self.saltByteCount else { return nil }
        self.publicKey = publicKey
        self.salt = salt
    }

    /// `first 16 bytes of SHA-256("carnet/2 node" ‖ public key ‖ salt)`.
    public var node: NodeID {
        let digest = SHA256.hash(Array("carnet/2 node".utf8) + publicKey.bytes + salt)
        return NodeID(high: digest.w0, low: digest.w1)
    }

    /// Record type and field of the declaration: `node/<node hex>.key`, beside the node's
    /// label and its `continues` link.
    public static let declarationField = "key"

    /// The declaration's value: 96 hex digits, public key then salt.
    public var declarationText: String { Hex.encode(publicKey.bytes + salt) }

    /// Parses a declaration value; nil unless 96 hex digits that hold a valid public key.
    public init?(declarationText text: String) {
        guard text.utf8.count == 2 * (Ed25519.publicKeyByteCount + Self.saltByteCount),
              let bytes = Hex.decode(text),
              let key = Ed25519.PublicKey(bytes: bytes[0..<Ed25519.publicKeyByteCount]) else { return nil }
        self.init(publicKey: key, salt: Array(bytes[Ed25519.publicKeyByteCount...]))
    }

    /// The key `event` declares, when it is a valid declaration: its author's first event,
    /// an assign to `node/<author hex>.key` whose value derives the author's id. Anything
    /// else (another node's key written by someone else, a later event, a key that does not
    /// derive the id) declares nothing.
    public static func declared(by event: Event) -> NodeKey? {
        guard event.dot.seq == 1, case let .assign(assignment) = event.operation,
              assignment.key == declarationKey(for: event.dot.node),
              case let .text(text) = assignment.value,
              let key = NodeKey(declarationText: text), key.node == event.dot.node else { return nil }
        return key
    }

    public static func declarationKey(for node: NodeID) -> FieldKey {
        FieldKey(Replica.incarnationRecordType, node.hex, declarationField)
    }
}

/// A device's signing key with the salt of its current incarnation. Lives only in the
/// node's directory (`device.key`, mode 0600); nothing carries it to another machine.
public struct DeviceSigner: Sendable {
    public let privateKey: Ed25519.PrivateKey
    public let nodeKey: NodeKey

    public init(privateKey: Ed25519.PrivateKey, salt: [UInt8]) {
        self.privateKey = privateKey
        // A salt of the right length always makes a key; the public key is computed.
        nodeKey = NodeKey(publicKey: privateKey.publicKey, salt: salt)!
    }

    public var node: NodeID { nodeKey.node }

    /// The same device under a fresh salt, hence a fresh node id: what a copied or restored
    /// directory continues as.
    public func reincarnated<R: RandomNumberGenerator>(using generator: inout R) -> DeviceSigner {
        DeviceSigner(privateKey: privateKey, salt: Self.randomSalt(using: &generator))
    }

    public static func randomSalt<R: RandomNumberGenerator>(using generator: inout R) -> [UInt8] {
        (0..<NodeKey.saltByteCount).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// A new device: a fresh key pair and salt. Real devices pass
    /// `SystemRandomNumberGenerator`; simulations a seeded one.
    public static func generate<R: RandomNumberGenerator>(using generator: inout R) -> DeviceSigner {
        let seed = (0..<Ed25519.seedByteCount).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return DeviceSigner(privateKey: Ed25519.PrivateKey(seed: seed)!, salt: randomSalt(using: &generator))
    }

    /// Signs that this node's chain ends, on `ledger`, at (seq, hash).
    public func signHead(seq: UInt64, hash: SHA256Digest, ledger: LedgerID) -> SignedHead {
        let head = SignedHead(node: node, seq: seq, hash: hash, signature: [])
        return SignedHead(node: node, seq: seq, hash: hash,
                          signature: privateKey.sign(head.signedMessage(ledger: ledger)))
    }
}
