#if canImport(Glibc)
import Glibc
#endif
import CarnetSystem

/// Files the command line reads and writes itself (secrets, bundles, CSV, imports), with
/// errors that name the file and say what to do.
enum Files {
    /// The whole file; a missing file is "missing input" (66), not an I/O failure.
    static func read(_ path: String, what: String) throws -> [UInt8] {
        guard Directory.exists(path) else { throw CLIError(.noInput, "\(what) \(path) does not exist") }
        do {
            return try File(path: path).readAll()
        } catch {
            throw CLIError(.ioError, "cannot read \(what) \(path): \(error)")
        }
    }

    /// Creates `path` with mode 0600, failing if anything is already there (O_EXCL), and
    /// makes it durable. For secrets: a secret is never overwritten by mistake.
    static func createExclusive(_ path: String, _ bytes: [UInt8], what: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let code = errno
            if code == EEXIST { throw CLIError(.cannotCreate, "\(path) already exists; refusing to overwrite \(what)") }
            throw CLIError(.ioError, "cannot create \(path): \(String(cString: strerror(code)))")
        }
        defer { close(fd) }
        var done = 0
        while done < bytes.count {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, bytes.count - done) }
            if written < 0 {
                if errno == EINTR { continue }
                throw CLIError(.ioError, "cannot write \(path): \(String(cString: strerror(errno)))")
            }
            done += written
        }
        guard fsync(fd) == 0 else { throw CLIError(.ioError, "cannot sync \(path): \(String(cString: strerror(errno)))") }
    }

    /// Replaces `path` atomically (temporary file, fsync, rename): a reader never sees half
    /// a bundle or half a CSV.
    static func replace(_ path: String, _ bytes: [UInt8]) throws {
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        do {
            try Directory.writeAtomically(bytes, to: path, in: directory.isEmpty ? "/" : directory)
        } catch {
            throw CLIError(.ioError, "cannot write \(path): \(error)")
        }
    }
}
