#if canImport(Glibc)
import Glibc
#endif

/// The temporary file of an atomic replacement (`writeAtomically`): created beside its
/// target, so that the rename stays in one directory and is atomic.
///
/// Its name carries 64 bits from the system's cryptographic random source and it is
/// created with `O_CREAT | O_EXCL | O_NOFOLLOW`, mode 0600. A name anyone can predict
/// (`<file>.<pid>.tmp`, as before) lets whoever can write in the directory plant a
/// symbolic link there, and a writer that opens the name without `O_EXCL` follows it and
/// overwrites the file it points to. With `O_EXCL` a planted name is never opened: it is
/// skipped for another random one.
extension Directory {
    /// How many names `createTemporary` tries before giving up: a random name already
    /// taken is someone else's doing, and a few in a row mean something is wrong.
    static let temporaryAttempts = 8

    /// Creates a new, empty temporary file (mode 0600) for replacing `path`.
    public static func createTemporary(for path: String) throws(SystemError) -> File {
        try createTemporary(for: path) { randomTemporaryName(for: path) }
    }

    /// `createTemporary` with the names given (a test's planted ones).
    static func createTemporary(for path: String, attempts: Int = temporaryAttempts,
                                name: () -> String) throws(SystemError) -> File {
        var taken = SystemError("create a temporary for", path: path, errno: EEXIST)
        for _ in 0..<attempts {
            do {
                return try File(creatingNew: name())
            } catch where error.errno == EEXIST {
                taken = error
            }
        }
        throw taken
    }

    /// `<path>.<16 hex digits>.tmp`: the target's own name first, so that a leftover after a
    /// crash says whose it was, and `.tmp` last, so that it is plainly disposable.
    static func randomTemporaryName(for path: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let bits = UInt64.random(in: .min ... .max, using: &generator)
        let digits = String(bits, radix: 16)
        return path + "." + String(repeating: "0", count: 16 - digits.count) + digits + ".tmp"
    }
}
