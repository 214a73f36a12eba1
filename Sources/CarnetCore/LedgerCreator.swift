/// The device that created a ledger with members, as every node of that ledger knows it
/// from its ledger file: the creator's public key and the salt the ledger id derives from
/// (`LedgerID.derived(creator:salt:)`).
///
/// Why a node needs it before it holds any event: the creator's adoption heads vouch for a
/// format-1 history that has no keys of its own (SPEC 9.7), and a receiver must judge them
/// the same way whatever arrived first. The pair checks itself: it must derive the id.
public struct LedgerCreator: Sendable, Hashable {
    public let publicKey: Ed25519.PublicKey
    public let salt: [UInt8]

    /// Nil unless the key and salt derive `ledger`.
    public init?(publicKey: Ed25519.PublicKey, salt: [UInt8], ledger: LedgerID) {
        guard salt.count == LedgerID.byteCount, LedgerID.derived(creator: publicKey, salt: salt) == ledger else { return nil }
        self.publicKey = publicKey
        self.salt = salt
    }

    /// Reads the 96 hex digits `A ‖ salt` (the text the genesis states); nil unless they
    /// decode to a valid key and a salt that derive `ledger`.
    public init?(text: String, ledger: LedgerID) {
        guard let bytes = Hex.decode(text), bytes.count == 32 + LedgerID.byteCount,
              let key = Ed25519.PublicKey(bytes: bytes.prefix(32)) else { return nil }
        self.init(publicKey: key, salt: Array(bytes.suffix(LedgerID.byteCount)), ledger: ledger)
    }

    /// 96 lowercase hex digits: the key, then the salt.
    public var text: String { Hex.encode(publicKey.bytes + salt) }
}
