/// A holder's signed statement that it has durably stored a node's chain: "on ledger L,
/// I (holder) hold node N (subject) up to seq S, whose event has hash H, as of my clock
/// T" (protocol/SPEC.md 9.6).
///
/// A hub gives one to a farm whose events it stored, so the farm can show anyone (a
/// treasurer, offline) that its writes up to S are safe elsewhere. Like a signed head,
/// one signature over the newest hash covers the whole chain below it (each event names
/// its predecessor's hash). The holder signs only what it has fsynced, and the ledger id
/// and the domain string keep the signature worthless as anything else: a head signature
/// ("carnet/2 head"), a device proof ("carnet/2 device"), or a receipt of another ledger.
public struct CustodyReceipt: Hashable, Sendable {
    public static let domain = Array("carnet/2 receipt".utf8)
    public let ledger: LedgerID
    /// The node that stored the events and signed.
    public let holder: NodeID
    /// The node whose events were stored (the receipt's keeper).
    public let subject: NodeID
    public let seq: UInt64
    /// The hash of the subject's event at `seq`.
    public let head: SHA256Digest
    /// The holder's wall clock when it signed, milliseconds since 1970.
    public let heldAtMillis: UInt64
    public let signature: [UInt8]

    public init(ledger: LedgerID, holder: NodeID, subject: NodeID, seq: UInt64, head: SHA256Digest, heldAtMillis: UInt64,
                signature: [UInt8]) {
        self.ledger = ledger
        self.holder = holder
        self.subject = subject
        self.seq = seq
        self.head = head
        self.heldAtMillis = heldAtMillis
        self.signature = signature
    }

    /// `"carnet/2 receipt" ‖ ledger id ‖ holder ‖ subject ‖ u64be(seq) ‖ head ‖
    /// u64be(held at)`: 128 bytes.
    public var signedMessage: [UInt8] {
        var writer = ByteWriter(capacity: 128)
        writer.raw(Self.domain)
        writer.raw(ledger.bytes)
        writer.nodeID(holder)
        writer.nodeID(subject)
        writer.uint64BigEndian(seq)
        writer.digest(head)
        writer.uint64BigEndian(heldAtMillis)
        return writer.bytes
    }

    /// Whether the signature is `key`'s over this receipt and `key` is the holder's own
    /// (it derives the holder's node id).
    public func isValid(for key: NodeKey) -> Bool {
        key.node == holder && key.publicKey.isValidSignature(signature, for: signedMessage)
    }

    /// The same statement with another signature (what a receiver puts together from the
    /// wire: everything but the signature, seq and time it knows already).
    public func with(signature: [UInt8]) -> CustodyReceipt {
        CustodyReceipt(ledger: ledger, holder: holder, subject: subject, seq: seq, head: head, heldAtMillis: heldAtMillis,
                       signature: signature)
    }
}

extension DeviceSigner {
    /// Signs that this node holds `subject`'s chain up to (`seq`, `head`) durably, at
    /// `heldAtMillis` by its clock. Call it only for events already fsynced.
    public func signReceipt(subject: NodeID, seq: UInt64, head: SHA256Digest, heldAtMillis: UInt64,
                            ledger: LedgerID) -> CustodyReceipt {
        let unsigned = CustodyReceipt(ledger: ledger, holder: node, subject: subject, seq: seq, head: head,
                                      heldAtMillis: heldAtMillis, signature: [])
        return unsigned.with(signature: privateKey.sign(unsigned.signedMessage))
    }
}
