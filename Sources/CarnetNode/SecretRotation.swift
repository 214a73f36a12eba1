import CarnetCore
import CarnetSync
import CarnetSystem

/// Replacing the ledger's secret (after a stolen device, or a member leaving): the node
/// installs the new secret and keeps the old ones in `retired-secrets`, one per line as
/// `<64 hex digits> <note>`, so that a peer still on an old secret is refused with a
/// message that says how to rejoin rather than a bare "wrong secret".
///
/// The old secrets are kept only for that message: a node never authenticates with them.
extension LedgerSecret {
    public static let retiredFileName = "retired-secrets"

    /// The secrets this node held before its current one, newest first. A missing file
    /// is none; an unreadable line is skipped (the list only improves an error message).
    public static func retired(directory: String) -> [RetiredSecret] {
        guard let bytes = try? File(readingOnly: directory + "/" + retiredFileName).readAll() else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ", maxSplits: 1)
            guard let first = parts.first, let secret = LedgerSecret(text: String(first)) else { return nil }
            return RetiredSecret(secret: secret.bytes, note: parts.count > 1 ? String(parts[1]) : "an earlier secret")
        }
    }

    /// Makes `self` the node's secret. The current one (when different) goes to the top
    /// of `retired-secrets` with `note`. Both files are replaced atomically, the retired
    /// list first: a crash in between leaves the old secret current and also retired,
    /// which refuses nobody, since a node never checks its own current secret's id.
    /// Returns false when `self` already was the node's secret.
    @discardableResult
    public func install(directory: String, note: String) throws(NodeError) -> Bool {
        let current = try LedgerSecret.load(directory: directory)
        guard current != self else { return false }
        var lines = [Hex.encode(current.bytes) + " " + note]
        if let bytes = try? File(readingOnly: directory + "/" + Self.retiredFileName).readAll() {
            lines += String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
                .filter { !$0.hasPrefix(Hex.encode(self.bytes)) }  // an old secret reinstalled is current again
        }
        do {
            try Directory.writeAtomically(Array((lines.joined(separator: "\n") + "\n").utf8),
                                          to: directory + "/" + Self.retiredFileName, in: directory)
            try Directory.writeAtomically(Array(text.utf8), to: directory + "/" + Self.fileName, in: directory)
        } catch {
            throw .secret("cannot install the new secret in \(directory): \(error)")
        }
        return true
    }
}
