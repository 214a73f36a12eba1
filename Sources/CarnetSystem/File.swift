#if canImport(Glibc)
import Glibc
#endif

/// An open file, and the one funnel through which Carnet's storage calls the kernel.
///
/// Every call checks `FaultInjection` first (in builds with `CARNET_FAULT_INJECTION`, the
/// debug builds; a release build has no check), retries on `EINTR`, and turns failures into
/// a `SystemError` naming the file. Writes loop until every byte is written: a short write
/// is not an error, and stopping early would leave a hole in the log.
///
/// `Sendable`: its state is a path and a descriptor, both immutable, and the calls it makes
/// (`pread`, `pwrite`, `fsync`, `flock`) are safe from any thread.
public struct File: ~Copyable, Sendable {
    public let path: String
    private let descriptor: Int32

    /// Opens (and with `create`, creates with mode 0600) a file for reading and appending.
    /// For files Carnet writes in place (the log); a file that is only read is opened with
    /// `init(readingOnly:)`, a replacement with `Directory.createTemporary(for:)`.
    public init(path: String, create: Bool = false, truncate: Bool = false) throws(SystemError) {
        var flags = O_RDWR | O_CLOEXEC
        if create { flags |= O_CREAT }
        if truncate { flags |= O_TRUNC }
        try self.init(path: path, flags: flags)
    }

    /// Opens a file for reading only (`O_RDONLY`): what merely reads must work on read-only
    /// media, on a file with mode 0444 and in a directory the user may not write, and can
    /// then change nothing even by mistake (a write fails with `EBADF`). With
    /// `followingSymlink` false a symbolic link is refused (`ELOOP`) instead of followed,
    /// for files that must be the directory's own.
    public init(readingOnly path: String, followingSymlink: Bool = true) throws(SystemError) {
        try self.init(path: path, flags: O_RDONLY | O_CLOEXEC | (followingSymlink ? 0 : O_NOFOLLOW))
    }

    /// Creates a file that did not exist, mode 0600, for reading and writing: `O_EXCL` fails
    /// with `EEXIST` when anything is at `path`, a symbolic link included, so the write can
    /// never land in a file someone else put or pointed there.
    init(creatingNew path: String) throws(SystemError) {
        try self.init(path: path, flags: O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC)
    }

    private init(path: String, flags: Int32) throws(SystemError) {
        #if CARNET_FAULT_INJECTION
        if case let .fail(code)? = FaultInjection.effect(for: .open, path: path) {
            throw SystemError("open", path: path, errno: code)
        }
        #endif
        let fd = retryingInterrupts { open(path, flags, 0o600) }
        guard fd >= 0 else { throw SystemError("open", path: path, errno: errno) }
        self.path = path
        descriptor = fd
    }

    deinit { close(descriptor) }

    /// Size in bytes.
    public func size() throws(SystemError) -> Int {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw SystemError("stat", path: path, errno: errno) }
        return Int(info.st_size)
    }

    /// The permission bits (`st_mode & 0o7777`) of the open file and whether it is a
    /// regular file: asked of the descriptor, not the path, so that what is checked is what
    /// is read.
    public func metadata() throws(SystemError) -> (permissions: UInt32, isRegularFile: Bool, modifiedMillis: UInt64) {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw SystemError("stat", path: path, errno: errno) }
        let modified = UInt64(max(0, info.st_mtim.tv_sec)) * 1000 + UInt64(max(0, info.st_mtim.tv_nsec)) / 1_000_000
        return (UInt32(info.st_mode) & 0o7777, UInt32(info.st_mode) & UInt32(S_IFMT) == UInt32(S_IFREG), modified)
    }

    /// Reads the whole file.
    public func readAll() throws(SystemError) -> [UInt8] {
        let total = try size()
        var bytes = [UInt8](repeating: 0, count: total)
        var done = 0
        while done < total {
            let count = bytes.withUnsafeMutableBytes { buffer in
                retryingInterrupts { pread(descriptor, buffer.baseAddress! + done, total - done, off_t(done)) }
            }
            if count < 0 { throw SystemError("read", path: path, errno: errno) }
            if count == 0 { bytes.removeLast(total - done); break }
            done += count
        }
        return bytes
    }

    /// Writes every byte at `offset`, looping over short writes.
    public func write(_ bytes: [UInt8], at offset: Int) throws(SystemError) {
        var done = 0
        while done < bytes.count {
            done += try writeOnce(bytes[done...], at: offset + done)
        }
    }

    /// One `pwrite` of a prefix of `bytes` (retried on `EINTR`): returns how many bytes it
    /// wrote, at least 1, possibly fewer than asked (a short write, which callers loop over).
    public func writeOnce(_ bytes: ArraySlice<UInt8>, at offset: Int) throws(SystemError) -> Int {
        #if CARNET_FAULT_INJECTION
        var length = bytes.count
        while true {
            switch FaultInjection.effect(for: .write, path: path, length: length) {
            case .fail(EINTR)?: continue  // an interrupted call is retried, as below
            case let .fail(code)?: throw SystemError("write", path: path, errno: code)
            case let .shortWrite(limit)?: length = min(length, max(1, limit))
            case let .slowShortWrite(limit, microseconds)?:
                length = min(length, max(1, limit))
                usleep(microseconds)
            case nil: break
            }
            break
        }
        #else
        let length = bytes.count
        #endif
        let count = bytes.withUnsafeBytes { buffer in
            retryingInterrupts { pwrite(descriptor, buffer.baseAddress!, length, off_t(offset)) }
        }
        guard count > 0 else { throw SystemError("write", path: path, errno: count == 0 ? EIO : errno) }
        return count
    }

    /// Makes written bytes durable. After a failure the file's state is unknown (a later
    /// fsync may "succeed" on lost data), so callers stop using the file and reopen.
    public func sync() throws(SystemError) {
        #if CARNET_FAULT_INJECTION
        if case let .fail(code)? = FaultInjection.effect(for: .fsync, path: path) {
            throw SystemError("fsync", path: path, errno: code)
        }
        #endif
        guard retryingInterrupts({ fsync(descriptor) }) == 0 else { throw SystemError("fsync", path: path, errno: errno) }
    }

    /// Takes the file's exclusive lock (`flock`), waiting for other holders, but not
    /// forever: a writer holds it for one append (milliseconds), so a lock held for
    /// `lockTimeout` means a stuck process, and the caller gets `EWOULDBLOCK` to report
    /// instead of hanging. Locks belong to this open file: another open of the same path,
    /// in this process or another, waits.
    public func lockExclusive() throws(SystemError) {
        let deadline = ContinuousClock().now + File.lockTimeout
        var pause: UInt32 = 200
        while retryingInterrupts({ flock(descriptor, LOCK_EX | LOCK_NB) }) != 0 {
            guard errno == EWOULDBLOCK, ContinuousClock().now < deadline else {
                throw SystemError("lock", path: path, errno: errno)
            }
            usleep(pause)
            pause = min(pause * 2, 50_000)
        }
    }

    /// How long `lockExclusive` waits: 30 s, or `CARNET_LOCK_TIMEOUT_MS` (tests).
    public static let lockTimeout: Duration = {
        if let text = getenv("CARNET_LOCK_TIMEOUT_MS").map({ String(cString: $0) }), let millis = Int(text), millis >= 0 {
            return .milliseconds(millis)
        }
        return .seconds(30)
    }()

    public func unlock() {
        _ = flock(descriptor, LOCK_UN)
    }

    /// Reads `count` bytes at `offset` (fewer at the end of the file).
    public func read(at offset: Int, count: Int) throws(SystemError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = bytes.withUnsafeMutableBytes { buffer in
                retryingInterrupts { pread(descriptor, buffer.baseAddress! + done, count - done, off_t(offset + done)) }
            }
            if got < 0 { throw SystemError("read", path: path, errno: errno) }
            if got == 0 { break }
            done += got
        }
        bytes.removeLast(count - done)
        return bytes
    }

    /// Cuts the file to `length` bytes.
    public func truncate(to length: Int) throws(SystemError) {
        #if CARNET_FAULT_INJECTION
        if case let .fail(code)? = FaultInjection.effect(for: .truncate, path: path) {
            throw SystemError("truncate", path: path, errno: code)
        }
        #endif
        guard retryingInterrupts({ ftruncate(descriptor, off_t(length)) }) == 0 else {
            throw SystemError("truncate", path: path, errno: errno)
        }
    }
}

/// Directory operations of the funnel.
public enum Directory {
    /// Makes a directory's entries durable (after creating or renaming a file in it).
    public static func sync(_ path: String) throws(SystemError) {
        #if CARNET_FAULT_INJECTION
        if case let .fail(code)? = FaultInjection.effect(for: .fsync, path: path) {
            throw SystemError("fsync", path: path, errno: code)
        }
        #endif
        let fd = retryingInterrupts { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else { throw SystemError("open", path: path, errno: errno) }
        defer { close(fd) }
        guard retryingInterrupts({ fsync(fd) }) == 0 else { throw SystemError("fsync", path: path, errno: errno) }
    }

    /// The device and inode of a path: they change when a directory is copied or restored
    /// from a backup archive, which is how a store notices it is not where it was made.
    public static func identity(_ path: String) throws(SystemError) -> (device: UInt64, inode: UInt64) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw SystemError("stat", path: path, errno: errno) }
        return (UInt64(info.st_dev), UInt64(info.st_ino))
    }

    /// Writes a small file atomically: a temporary file, fsync, rename over the old one,
    /// fsync of the directory. A crash leaves either the old content or the new.
    public static func writeAtomically(_ bytes: [UInt8], to path: String, in directory: String) throws(SystemError) {
        try PosixStorage().writeAtomically(bytes, to: path, in: directory)
    }

    /// Creates a directory (mode 0700) and any missing parents, like `mkdir -p`.
    public static func create(_ path: String) throws(SystemError) {
        if mkdir(path, 0o700) == 0 || errno == EEXIST { return }
        guard errno == ENOENT, let slash = path.lastIndex(of: "/"), slash > path.startIndex else {
            throw SystemError("mkdir", path: path, errno: errno)
        }
        try create(String(path[..<slash]))
        guard mkdir(path, 0o700) == 0 || errno == EEXIST else { throw SystemError("mkdir", path: path, errno: errno) }
    }

    public static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// Atomically replaces `destination` by `source`.
    public static func rename(_ source: String, to destination: String) throws(SystemError) {
        #if CARNET_FAULT_INJECTION
        if case let .fail(code)? = FaultInjection.effect(for: .rename, path: destination) {
            throw SystemError("rename", path: destination, errno: code)
        }
        #endif
        guard Glibc.rename(source, destination) == 0 else { throw SystemError("rename", path: destination, errno: errno) }
    }
}

/// Repeats a call interrupted by a signal (`EINTR`), as POSIX asks.
@inline(__always)
func retryingInterrupts<T: FixedWidthInteger>(_ call: () -> T) -> T {
    while true {
        let result = call()
        if result == -1 && errno == EINTR { continue }
        return result
    }
}
