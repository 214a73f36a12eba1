import CarnetCore
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

    /// Reads `directory/secret`, with an error a person can act on.
    public static func load(directory: String) throws(NodeError) -> LedgerSecret {
        let path = directory + "/" + fileName
        let text: String
        do {
            text = String(decoding: try File(readingOnly: path).readAll(), as: UTF8.self)
        } catch {
            throw .secret("cannot read the ledger secret \(path) (\(error)); copy the ledger's secret file there, or run `carnet init` again")
        }
        guard let secret = LedgerSecret(text: text) else {
            throw .secret("\(path) is not a ledger secret (64 hex digits expected)")
        }
        return secret
    }
}
