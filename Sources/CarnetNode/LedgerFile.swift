import CarnetCore

/// What a device needs to join a signed ledger: its name, its id and its secret, in one
/// file that `carnet ledger create` writes and every member's device reads once
/// (`carnet init --ledger-file`).
///
/// Text, mode 0600, refused when others may read it (it holds the secret):
///
///     carnet-ledger 1
///     name <ledger name>
///     id <32 hex digits>
///     secret <64 hex digits>
///     creator <96 hex digits>
///
/// The id travels with the secret so that a device can never join a ledger of the same
/// name by mistake: every signature, the handshake and bundles are bound to the id. The
/// creator line (the creator's key and the salt that derive the id; absent from files
/// written before adoption existed) lets every node verify, from the start, the heads by
/// which the creator adopted a format-1 history (SPEC 9.7).
public struct LedgerFile: Sendable, Equatable {
    public var name: String
    public var id: LedgerID
    public var secret: LedgerSecret
    public var creator: LedgerCreator?

    static let header = "carnet-ledger 1"

    public init(name: String, id: LedgerID, secret: LedgerSecret, creator: LedgerCreator? = nil) {
        self.name = name
        self.id = id
        self.secret = secret
        self.creator = creator
    }

    public var text: String {
        "\(Self.header)\nname \(name)\nid \(id.hex)\nsecret \(Hex.encode(secret.bytes))\n"
            + (creator.map { "creator \($0.text)\n" } ?? "")
    }

    /// Parses the file's bytes; nil unless exactly the lines `text` writes (the creator
    /// line may be missing, and when present must derive the id).
    public static func parse(_ bytes: [UInt8]) -> LedgerFile? {
        let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        guard lines.count == 5 || lines.count == 6, lines.last!.isEmpty, lines[0] == header,
              lines[1].hasPrefix("name "), lines[2].hasPrefix("id "), lines[3].hasPrefix("secret ") else { return nil }
        let name = String(lines[1].dropFirst(5))
        guard !name.isEmpty, let id = LedgerID(hex: String(lines[2].dropFirst(3))),
              let secret = SecretFile.parse(Array(lines[3].dropFirst(7).utf8)) else { return nil }
        var creator: LedgerCreator?
        if lines.count == 6 {
            guard lines[4].hasPrefix("creator "), let known = LedgerCreator(text: String(lines[4].dropFirst(8)), ledger: id) else {
                return nil
            }
            creator = known
        }
        return LedgerFile(name: name, id: id, secret: secret, creator: creator)
    }

    /// Reads a ledger file a person names, with the checks of a secret file.
    public static func load(file path: String) throws(NodeError) -> LedgerFile {
        try SecretFile.readPrivate(path, what: "the ledger file", kind: "ledger file") { bytes throws(NodeError) in
            guard let file = parse(bytes) else {
                throw .file(FileProblem(.damaged, """
                    \(path) is not a Carnet ledger file: it must start with "\(header)", then name, id and secret \
                    lines (and a creator line that derives the id), as `carnet ledger create --out FILE` writes it
                    """))
            }
            return file
        }
    }

    /// Writes a new file, mode 0600; refuses to replace one.
    public func create(at path: String) throws(NodeError) {
        try UserFiles.createExclusive(path, Array(text.utf8), what: "an existing file")
    }
}
