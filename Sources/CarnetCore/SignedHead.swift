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
        message(domain: Self.domain, ledger: ledger)
    }

    /// Whether the signature is `key`'s, for this head, on `ledger`, and `key` is the
    /// node's own (it derives the node id).
    public func isValid(for key: NodeKey, ledger: LedgerID) -> Bool {
        key.node == node && key.publicKey.isValidSignature(signature, for: signedMessage(ledger: ledger))
    }

    public static let adoptionDomain = Array("carnet/2 adopt".utf8)

    /// `"carnet/2 adopt" ‖ ledger id ‖ node ‖ u64be(seq) ‖ hash`: the ledger's creator
    /// vouching for a chain it did not write (a format-1 history it adopted, SPEC 9.7). Its
    /// own domain, so that no head a device signs for itself can be read as an adoption.
    public func adoptionMessage(ledger: LedgerID) -> [UInt8] {
        message(domain: Self.adoptionDomain, ledger: ledger)
    }

    /// `domain ‖ ledger id ‖ node ‖ u64be(seq) ‖ hash`.
    private func message(domain: [UInt8], ledger: LedgerID) -> [UInt8] {
        var writer = ByteWriter()
        writer.raw(domain)
        writer.raw(ledger.bytes)
        writer.nodeID(node)
        writer.uint64BigEndian(seq)
        writer.digest(hash)
        return writer.bytes
    }

    /// Whether the signature is the ledger creator's adoption of this head (SPEC 9.7).
    public func isValidAdoption(by creator: Ed25519.PublicKey, ledger: LedgerID) -> Bool {
        creator.isValidSignature(signature, for: adoptionMessage(ledger: ledger))
    }
}
