import CarnetCore

/// The first events of a signed ledger with members, written by the device that created
/// it: the ledger's name, and its genesis, which states the creator's key and the salt
/// the ledger id was derived from (`LedgerID.derived(creator:salt:)`).
///
/// A genesis counts only when it derives the ledger's id and was signed by the key it
/// states: no other device can write one, so every node agrees on who administered the
/// ledger first. A ledger whose id derives from no genesis (made before members existed)
/// has no members: every device holding its secret writes as before.
public enum LedgerGenesis {
    public static let nameField = "name"
    public static let genesisField = "genesis"
    /// The heads of a format-1 history the creator adopted (SPEC 9.7).
    public static let adoptedField = "adopted"

    public static func nameKey(_ id: LedgerID) -> FieldKey { FieldKey(Replica.genesisRecordType, id.hex, nameField) }
    public static func genesisKey(_ id: LedgerID) -> FieldKey { FieldKey(Replica.genesisRecordType, id.hex, genesisField) }
    public static func adoptedKey(_ id: LedgerID) -> FieldKey { FieldKey(Replica.genesisRecordType, id.hex, adoptedField) }

    /// The adoption value: each adopted branch tip as `NODE:SEQ:HASH` (a member record's
    /// cut form), sorted, joined by `,`; a node that forked has one per branch.
    public static func adoptedText(_ tips: [MemberCut]) -> String {
        tips.map(\.text).sorted().joined(separator: ",")
    }

    /// The creator's genesis commit: the ledger's name, the genesis, and the tips of the
    /// format-1 history it adopts, if any (`carnet ledger create`, `carnet ledger upgrade`).
    public static func operations(ledger: LedgerID, name: String, creator: Ed25519.PublicKey, salt: [UInt8],
                                  adopted: [MemberCut] = []) -> [CarnetCore.Operation] {
        var operations: [CarnetCore.Operation] = [
            .assign(Assignment(key: nameKey(ledger), value: .text(name))),
            .assign(Assignment(key: genesisKey(ledger), value: .text(text(creator: creator, salt: salt)))),
        ]
        if !adopted.isEmpty {
            operations.append(.assign(Assignment(key: adoptedKey(ledger), value: .text(adoptedText(adopted)))))
        }
        return operations
    }

    /// The tips an adoption value names; nil when it is not one.
    public static func adoptedTips(_ text: String) -> [MemberCut]? {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        let tips = parts.compactMap(MemberCut.init(text:))
        return tips.count == parts.count && !tips.isEmpty ? tips : nil
    }

    /// The genesis value: the creator's public key and the ledger's salt, in hex.
    public static func text(creator publicKey: Ed25519.PublicKey, salt: [UInt8]) -> String {
        Hex.encode(publicKey.bytes + salt)
    }

    /// The creator's key when `event` is a genesis of `ledger`: an assign of the genesis
    /// field whose key and salt derive the ledger id, by a node that declared that key.
    static func creatorKey(of event: Event, ledger: LedgerID, declaredKey: NodeKey?) -> Ed25519.PublicKey? {
        guard case let .assign(assignment) = event.operation, assignment.key == genesisKey(ledger),
              case let .text(text) = assignment.value, let bytes = Hex.decode(text),
              bytes.count == 32 + LedgerID.byteCount, let key = Ed25519.PublicKey(bytes: bytes.prefix(32)),
              LedgerID.derived(creator: key, salt: Array(bytes.suffix(LedgerID.byteCount))) == ledger,
              let declared = declaredKey, declared.publicKey.bytes == key.bytes else { return nil }
        return key
    }
}
