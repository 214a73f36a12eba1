/// A node's signature over one of its heads: "on ledger L, my chain ends at seq S with
/// hash H".
///
/// Each event names its predecessor's hash, so one signature over the newest hash covers
/// the whole chain before it, as Hypercore signs the roots of its log: the cost is one
/// signature per commit, not per event. Receivers verify before storing, and store only
/// chains that end in a valid signature.
public struct SignedHead: Hashable, Sendable {
    public static let domain = Array("carnet/2 head".utf8)
    public let node: NodeID
    public let seq: UInt64
    public let hash: SHA256Digest
    public let signature: [UInt8]

    public init(node: NodeID, seq: UInt64, hash: SHA256Digest, signature: [UInt8]) {
        self.node = node
        self.seq = seq
        self.hash = hash
        self.signature = signature
    }

    public var dot: Dot { Dot(node: node, seq: seq) }
    public var eventID: EventID { EventID(dot: dot, hash: hash) }

    /// `"carnet/2 head" ‖ ledger id ‖ node ‖ u64be(seq) ‖ hash`: the ledger id makes a
    /// signature of one ledger worthless in any other.
    public func signedMessage(ledger: LedgerID) -> [UInt8] {
        var writer = ByteWriter()
        writer.raw(Self.domain)
        writer.raw(ledger.bytes)
        writer.nodeID(node)
        writer.uint64BigEndian(seq)
        writer.digest(hash)
        return writer.bytes
    }

    /// Whether the signature is `key`'s, for this head, on `ledger`, and `key` is the
    /// node's own (it derives the node id).
    public func isValid(for key: NodeKey, ledger: LedgerID) -> Bool {
        key.node == node && key.publicKey.isValidSignature(signature, for: signedMessage(ledger: ledger))
    }
}
