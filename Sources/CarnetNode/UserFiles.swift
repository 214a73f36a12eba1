#if canImport(Glibc)
import Glibc
#endif
import CarnetSystem

/// Files a person names on the command line (secrets, bundles, CSV, imports), read and
/// written through the same funnel as the store, with errors that name the file and
/// say what to do. Here so that the command line needs no system module of its own.
public enum UserFiles {
    /// The whole file, opened read-only: a bundle on a read-only USB stick or with mode
    /// 0444 must apply. A missing file is `.missing`, not an I/O failure.
    public static func read(_ path: String, what: String) throws(NodeError) -> [UInt8] {
        guard Directory.exists(path) else { throw .file(FileProblem(.missing, "\(what) \(path) does not exist")) }
        do {
            return try File(readingOnly: path).readAll()
        } catch {
            throw .file(FileProblem(.io, "cannot read \(what) \(path): \(error)"))
        }
    }

    /// Creates `path` with mode 0600, failing if anything is already there (O_EXCL), and
    /// makes it durable. For secrets: a secret is never overwritten by mistake.
    public static func createExclusive(_ path: String, _ bytes: [UInt8], what: String) throws(NodeError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let code = errno
            if code == EEXIST { throw .file(FileProblem(.exists, "\(path) already exists; refusing to overwrite \(what)")) }
            throw .file(FileProblem(.io, "cannot create \(path): \(String(cString: strerror(code)))"))
        }
        defer { close(fd) }
        var done = 0
        while done < bytes.count {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, bytes.count - done) }
            if written < 0 {
                if errno == EINTR { continue }
                throw .file(FileProblem(.io, "cannot write \(path): \(String(cString: strerror(errno)))"))
            }
            done += written
        }
        guard fsync(fd) == 0 else { throw .file(FileProblem(.io, "cannot sync \(path): \(String(cString: strerror(errno)))")) }
    }

    /// Replaces `path` atomically (temporary file, fsync, rename): a reader never sees half
    /// a bundle or half a CSV.
    public static func replace(_ path: String, _ bytes: [UInt8]) throws(NodeError) {
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        do {
            try Directory.writeAtomically(bytes, to: path, in: directory.isEmpty ? "/" : directory)
        } catch {
            throw .file(FileProblem(.io, "cannot write \(path): \(error)"))
        }
    }

    /// Replaces `path` atomically, as `replace`, with the mode a document a person shares
    /// gets from any tool (0666 less the umask, 0644 usually): an exported journal, CSV or
    /// report page is for a treasurer or the consortium to open, not a secret. Bundles and
    /// secrets keep `replace`'s 0600.
    public static func replaceDocument(_ path: String, _ bytes: [UInt8]) throws(NodeError) {
        try replace(path, bytes)
        guard chmod(path, 0o666 & ~processUmask) == 0 else {
            throw .file(FileProblem(.io, "cannot set the mode of \(path): \(String(cString: strerror(errno)))"))
        }
    }

    /// The process's umask, read from /proc without changing it (umask(2) can only read it
    /// by setting it, which would race with files other threads create); 022 if unreadable.
    private static var processUmask: mode_t {
        guard let status = try? File(readingOnly: "/proc/self/status").readAll() else { return 0o022 }
        for line in String(decoding: status, as: UTF8.self).split(separator: "\n") where line.hasPrefix("Umask:") {
            let digits = line.dropFirst("Umask:".count).filter { $0 != " " && $0 != "\t" }
            if let mask = mode_t(String(digits), radix: 8) { return mask }
        }
        return 0o022
    }

    public static func exists(_ path: String) -> Bool { Directory.exists(path) }

    /// Creates a directory (and what leads to it) if it is not there.
    public static func createDirectory(_ path: String) throws(NodeError) {
        do {
            try Directory.create(path)
        } catch {
            throw .file(FileProblem(.io, "cannot create the directory \(path): \(error)"))
        }
    }

    /// True when both paths name the same directory (device and inode), however written.
    public static func sameDirectory(_ first: String, _ second: String) -> Bool {
        guard let one = try? Directory.identity(first), let other = try? Directory.identity(second) else { return false }
        return one == other
    }

    /// True when a process with this id exists (a `carnet serve` named in a counters file).
    public static func processIsRunning(_ pid: Int) -> Bool {
        pid > 0 && kill(pid_t(pid), 0) == 0
    }
}
