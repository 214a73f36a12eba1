import CarnetCore
import CarnetSystem

/// Who a store's node is, kept in the file `node` beside the log.
///
/// `home` is the device and inode of the directory when the identity was written. A copy
/// of the directory (to a second machine, or back from a backup archive) gets another
/// inode: the store then knows it may not be the only holder of this node's history and
/// must not write under its id again. A disk image written back block for block keeps its
/// inode; that case is only caught when peers report seqs this node does not hold.
public struct NodeIdentity: Equatable, Sendable {
    public var node: NodeID
    public var ledger: String
    public var label: String
    public var home: Home
    /// The ledger's id, in a signed (format 2) ledger; nil in a format-1 ledger.
    public var ledgerID: LedgerID?
    /// The salt that, with the device key, derives `node` (signed ledgers).
    public var salt: [UInt8]?
    /// The ledger's creator, from the ledger file (ledgers made or upgraded since adoption
    /// existed): the key its adoption heads verify under (SPEC 9.7).
    public var creator: LedgerCreator?

    public struct Home: Equatable, Sendable {
        public var device: UInt64
        public var inode: UInt64
    }

    public init(node: NodeID, ledger: String, label: String, home: Home, ledgerID: LedgerID? = nil, salt: [UInt8]? = nil,
                creator: LedgerCreator? = nil) {
        self.creator = creator
        self.node = node
        self.ledger = ledger
        self.label = label
        self.home = home
        self.ledgerID = ledgerID
        self.salt = salt
    }

    /// Whether this node belongs to a signed ledger (format 2).
    public var isSigned: Bool { ledgerID != nil }

    public static let fileName = "node"
    static let header = "carnet-node 1"
    static let signedHeader = "carnet-node 2"

    /// `carnet-node 1`, then one `key value` line each: node, ledger, label, home. A node of
    /// a signed ledger writes `carnet-node 2` and adds `ledger-id` and `salt`, and `creator`
    /// when it knows the ledger's creator.
    var text: String {
        var lines = [isSigned ? Self.signedHeader : Self.header, "node \(node.hex)", "ledger \(ledger)", "label \(label)",
                     "home \(home.device):\(home.inode)"]
        if let ledgerID, let salt { lines += ["ledger-id \(ledgerID.hex)", "salt \(Hex.encode(salt))"] }
        if isSigned, let creator { lines.append("creator \(creator.text)") }
        return lines.joined(separator: "\n") + "\n"
    }

    init(parsing text: String, path: String) throws(StoreError) {
        // Split on the byte, not the Character: Swift reads "\r\n" as one Character, so a
        // file saved with CRLF line ends (a Windows editor) would read as a single line.
        // A line's trailing CR is dropped for the same reason.
        let lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { line in
            String(decoding: line.last == UInt8(ascii: "\r") ? line.dropLast() : line, as: UTF8.self)
        }
        guard lines.first == Self.header || lines.first == Self.signedHeader else {
            throw .badIdentity(path: path, reason: "it does not start with \"\(Self.header)\" or \"\(Self.signedHeader)\"")
        }
        var values: [String: String] = [:]
        for line in lines.dropFirst() where !line.isEmpty {
            guard let space = line.firstIndex(of: " ") else { throw .badIdentity(path: path, reason: "line \"\(line)\" has no value") }
            values[String(line[..<space])] = String(line[line.index(after: space)...])
        }
        guard let nodeText = values["node"], let node = NodeID(hex: nodeText) else { throw .badIdentity(path: path, reason: "no valid node id") }
        guard let ledger = values["ledger"], !ledger.isEmpty else { throw .badIdentity(path: path, reason: "no ledger name") }
        let parts = (values["home"] ?? "").split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else {
            throw .badIdentity(path: path, reason: "no valid home")
        }
        var ledgerID: LedgerID?
        var salt: [UInt8]?
        var creator: LedgerCreator?
        if lines.first == Self.signedHeader {
            guard let text = values["ledger-id"], let id = LedgerID(hex: text) else { throw .badIdentity(path: path, reason: "no valid ledger-id") }
            guard let text = values["salt"], let bytes = Hex.decode(text), bytes.count == NodeKey.saltByteCount else {
                throw .badIdentity(path: path, reason: "no valid salt")
            }
            ledgerID = id
            salt = bytes
            if let text = values["creator"] {
                guard let known = LedgerCreator(text: text, ledger: id) else {
                    throw .badIdentity(path: path, reason: "its creator line does not derive its ledger-id")
                }
                creator = known
            }
        }
        self.init(node: node, ledger: ledger, label: values["label"] ?? "", home: Home(device: device, inode: inode),
                  ledgerID: ledgerID, salt: salt, creator: creator)
    }

    public static func load(directory: String, storage: any Storage = PosixStorage()) throws(StoreError) -> NodeIdentity {
        let path = directory + "/" + fileName
        guard storage.exists(path) else { throw .notANode(directory: directory) }
        let bytes: [UInt8]
        do {
            bytes = try storage.openReadOnly(path).readAll()
        } catch {
            throw .system(error)
        }
        return try NodeIdentity(parsing: String(decoding: bytes, as: UTF8.self), path: path)
    }

    func save(directory: String, storage: any Storage) throws(StoreError) {
        do {
            try storage.writeAtomically(Array(text.utf8), to: directory + "/" + Self.fileName, in: directory)
        } catch {
            throw .system(error)
        }
    }

    static func currentHome(of directory: String, storage: any Storage) throws(StoreError) -> Home {
        do {
            let (device, inode) = try storage.identity(of: directory)
            return Home(device: device, inode: inode)
        } catch {
            throw .system(error)
        }
    }
}
