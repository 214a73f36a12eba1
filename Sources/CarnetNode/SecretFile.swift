#if canImport(Glibc)
import Glibc
#endif
import CarnetSystem

/// The checks on a file that holds a ledger secret, made wherever one is loaded.
///
/// - Only the owner may read or change it, as ssh requires of a private key: a secret
///   that others can read is no longer only the members' (and one others can write can be
///   swapped for theirs). The refusal names the `chmod 600` to run; nothing is fixed
///   behind the person's back.
/// - It holds exactly what `carnet secret new` writes: 64 lowercase hex digits and a
///   newline (the newline may be missing). Anything else (a digest printed by another
///   tool, a line with a file name after it, text edited on another system) is refused
///   rather than guessed at, because a wrong secret locks a node out of its ledger.
///
/// The mode and the kind of file are asked of the open descriptor, so what is checked is
/// what is read.
enum SecretFile {
    /// A secret file is 65 bytes; anything much larger is not one, and is not read whole.
    static let maximumSize = 4096

    static func read(_ path: String, what: String) throws(NodeError) -> LedgerSecret {
        try readPrivate(path, what: what, kind: "ledger secret") { bytes throws(NodeError) in
            guard let secret = parse(bytes) else {
                throw .file(FileProblem(.damaged, """
                    \(path) is not a ledger secret: a secret file holds exactly 64 lowercase hex digits and a newline, \
                    as `carnet secret new --out FILE` writes it
                    """))
            }
            return secret
        }
    }

    /// What `parse` makes of a small file that must be private to its owner (a secret, a
    /// ledger file): a regular file, at most `maximumSize` bytes, no permission for group or
    /// others. What it is, is checked first (a file that is not one is named as such);
    /// then who may read it. `kind` names what it should be, for the messages.
    static func readPrivate<Value>(_ path: String, what: String, kind: String,
                                   parse: ([UInt8]) throws(NodeError) -> Value) throws(NodeError) -> Value {
        let bytes: [UInt8]
        let permissions: UInt32
        do throws(SystemError) {
            let file = try File(readingOnly: path)
            let metadata = try file.metadata()
            guard metadata.isRegularFile else {
                throw SystemError("read", path: path, errno: EISDIR)
            }
            permissions = metadata.permissions
            bytes = try file.size() <= maximumSize ? file.readAll() : []
        } catch {
            if error.errno == ENOENT { throw .file(FileProblem(.missing, "\(what) \(path) does not exist")) }
            if error.errno == EISDIR { throw .file(FileProblem(.damaged, "\(path) is not a \(kind): it is not a regular file")) }
            throw .secret("cannot read \(what) \(path): \(error)")
        }
        let value = try parse(bytes)
        guard permissions & 0o077 == 0 else {
            throw .secret("""
                \(what) \(path) can be read or changed by other users (mode \(octal(permissions))); \
                a \(kind) must be private to its owner. Run `chmod 600 \(path)` and try again
                """)
        }
        return value
    }

    /// A mode as `chmod` and `ls` people read it: "0644".
    static func octal(_ permissions: UInt32) -> String {
        let digits = String(permissions, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// The secret in exactly the bytes `secret new` writes: 64 lowercase hex digits, then
    /// one optional newline.
    static func parse(_ bytes: [UInt8]) -> LedgerSecret? {
        var digits = bytes[...]
        if digits.last == UInt8(ascii: "\n") { digits = digits.dropLast() }
        guard digits.count == 2 * LedgerSecret.byteCount,
              digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) })
        else { return nil }
        return LedgerSecret(text: String(decoding: digits, as: UTF8.self))
    }
}
