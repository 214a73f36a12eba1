import CarnetCore
import CarnetSync
import CarnetSystem

/// The ledger's pre-shared secret: 32 random bytes, kept in a node's directory as 64 hex
/// digits (mode 0600). Every member of the ledger has the same one; the handshake proves
/// knowledge of it without sending it.
public struct LedgerSecret: Sendable, Equatable {
    public let bytes: [UInt8]
    public static let fileName = "secret"
    public static let byteCount = 32

    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.byteCount else { return nil }
        self.bytes = bytes
    }

    /// Parses the text of a secret file: 64 hex digits, an optional trailing newline.
    public init?(text: String) {
        var trimmed = Substring(text)
        while trimmed.last == "\n" || trimmed.last == "\r" { trimmed = trimmed.dropLast() }
        guard trimmed.count == 2 * Self.byteCount, let bytes = Hex.decode(String(trimmed)) else { return nil }
        self.init(bytes: bytes)
    }

    /// A fresh secret from the system's cryptographic random source.
    public static func generate() -> LedgerSecret {
        var generator = SystemRandomNumberGenerator()
        return LedgerSecret(bytes: (0..<byteCount).map { _ in UInt8.random(in: 0...255, using: &generator) })!
    }

    public var text: String { Hex.encode(bytes) + "\n" }

    /// The secret's id as 16 hex digits: the first 8 bytes of HMAC-SHA256(secret,
    /// "carnet/1 secret id"), so it names a secret in messages and on screen (which one was
    /// replaced, whether two nodes hold the same) without revealing it. Protocol 1 sent it
    /// in its HELLO; protocol 2 never sends it.
    public var id: String {
        Hex.encode(HMACSHA256.authenticate(Array("carnet/1 secret id".utf8), key: bytes).bytes.prefix(8))
    }

    /// Reads `directory/secret`, with an error a person can act on.
    public static func load(directory: String) throws(NodeError) -> LedgerSecret {
        let path = directory + "/" + fileName
        guard UserFiles.exists(path) else {
            throw .secret("there is no ledger secret \(path); copy the ledger's secret file there, or run `carnet init` again")
        }
        return try SecretFile.read(path, what: "the ledger secret")
    }

    /// Reads a secret file a person names (`init --secret-file`, `secret install`).
    public static func load(file path: String) throws(NodeError) -> LedgerSecret {
        try SecretFile.read(path, what: "the secret file")
    }

    /// Writes `directory/secret` atomically, mode 0600: for code that makes node
    /// directories itself (the demo, tests, benchmarks) rather than through `carnet init`.
    public func save(directory: String) throws(NodeError) {
        try UserFiles.replace(directory + "/" + Self.fileName, Array(text.utf8))
    }
}
