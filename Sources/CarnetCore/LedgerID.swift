/// The identity of one ledger: 16 random bytes made by `carnet ledger create`.
///
/// A ledger's name is chosen by people and two co-ops may pick the same one; its id is
/// not chosen, so a node, bundle or directory of another ledger is told apart whatever
/// its name. Every signature of format 2 covers it, so nothing signed for one ledger can
/// be replayed into another.
public struct LedgerID: Hashable, Sendable, CustomStringConvertible {
    public static let byteCount = 16
    public let bytes: [UInt8]

    /// Nil unless exactly 16 bytes.
    public init?<Bytes: Collection<UInt8>>(bytes: Bytes) {
        guard bytes.count == Self.byteCount else { return nil }
        self.bytes = Array(bytes)
    }

    /// Parses 32 hex digits; nil for anything else.
    public init?(hex: String) {
        guard let bytes = Hex.decode(hex) else { return nil }
        self.init(bytes: bytes)
    }

    /// A fresh id. The generator is an input so that simulations replay from a seed; real
    /// ledgers pass `SystemRandomNumberGenerator`.
    public init<R: RandomNumberGenerator>(using generator: inout R) {
        bytes = (0..<Self.byteCount).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }
}

extension LedgerID {
    /// The id of a ledger whose creator is the device with `publicKey`:
    /// `first 16 bytes of SHA-256("carnet/2 ledger" ‖ public key ‖ salt)`.
    ///
    /// The id commits to its creator, so the ledger's genesis (the creator's own signed
    /// event stating the key and salt) can be checked by anyone who holds the id: no other
    /// device can write a genesis that derives it, and the first administrator of a ledger
    /// is not a claim one member could make against another.
    public static func derived(creator publicKey: Ed25519.PublicKey, salt: [UInt8]) -> LedgerID {
        let digest = SHA256.hash(Array("carnet/2 ledger".utf8) + publicKey.bytes + salt)
        return LedgerID(bytes: digest.bytes.prefix(byteCount))!
    }
}
