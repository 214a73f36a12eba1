#if canImport(Glibc)
import Glibc
#endif

/// The disk as the store sees it: the few calls its crash safety rests on.
///
/// The store (log, checkpoint, status file, identity) takes a `Storage` instead of calling
/// the kernel itself, so that a test can hand it a simulated disk that remembers which
/// bytes are durable and which are not, crashes at any call, and fails the way real disks
/// fail (protocol/SPEC.md §6 says what the store must survive). The real disk is
/// `PosixStorage`, the default everywhere.
///
/// Paths are absolute or relative to the working directory, as for the kernel. Errors are
/// `SystemError`s naming the call, the file and the errno, whatever the implementation.
public protocol Storage: Sendable {
    /// Opens a file for reading and writing. With `create`, a missing file is created
    /// (mode 0600; its directory entry is durable only after `syncDirectory`); with
    /// `truncate`, it is emptied.
    func open(_ path: String, create: Bool, truncate: Bool) throws(SystemError) -> any StorageFile

    /// Opens an existing file for reading only: for files the caller only reads, which
    /// then work on read-only media and with mode 0444, and cannot be changed by mistake.
    func openReadOnly(_ path: String) throws(SystemError) -> any StorageFile

    func exists(_ path: String) -> Bool

    /// Makes a directory's entries durable: files created, renamed or removed in it.
    func syncDirectory(_ path: String) throws(SystemError)

    /// Atomically replaces `destination` by `source` (durable after `syncDirectory`).
    func rename(_ source: String, to destination: String) throws(SystemError)

    /// Removes a file if it is there; for cleaning up, so it never fails loudly.
    func remove(_ path: String)

    /// Creates a directory and any missing parents, like `mkdir -p`.
    func createDirectory(_ path: String) throws(SystemError)

    /// The device and inode of a directory: they change when it is copied or restored from
    /// an archive, which is how a store notices it is not where it was made.
    func identity(of path: String) throws(SystemError) -> (device: UInt64, inode: UInt64)

    /// Creates the new, empty temporary file (mode 0600) that `writeAtomically` fills and
    /// renames over `path`, in `path`'s directory; its `path` is the temporary's name. On
    /// the real disk it never opens a file that was already there: the name is random and
    /// the file created with `O_EXCL | O_NOFOLLOW` (see `Directory.createTemporary`), so
    /// nobody can plant a symbolic link where it will be. The simulated disk, where nobody
    /// plants anything, reuses one deterministic name so that runs compare equal.
    func createTemporary(for path: String) throws(SystemError) -> any StorageFile
}

/// An open file of a `Storage`. Closed when the last reference goes away, which also
/// releases its lock.
///
/// A reference type: the store shares one open log between its reads and appends, and a
/// handle's identity is what holds the lock.
public protocol StorageFile: AnyObject, Sendable {
    var path: String { get }

    func size() throws(SystemError) -> Int

    /// Reads `count` bytes at `offset` (fewer at the end of the file).
    func read(at offset: Int, count: Int) throws(SystemError) -> [UInt8]

    /// One write call: writes a prefix of `bytes` at `offset` and returns its length, at
    /// least 1. It may be shorter than `bytes` (a short write is not an error); `write`
    /// loops over it. Kept as a requirement of its own so that the loop is the store's
    /// code, run the same way over the real disk and the simulated one.
    func writeSome(_ bytes: ArraySlice<UInt8>, at offset: Int) throws(SystemError) -> Int

    /// Makes written bytes durable. After a failure the file's state is unknown (a later
    /// sync may "succeed" on lost data), so callers stop writing and reopen.
    func sync() throws(SystemError)

    func truncate(to length: Int) throws(SystemError)

    /// Takes the file's exclusive lock, waiting for other holders but not forever; a
    /// lock held too long is an error with `isLockTimeout` set.
    func lockExclusive() throws(SystemError)

    func unlock()
}

extension StorageFile {
    /// Reads the whole file.
    public func readAll() throws(SystemError) -> [UInt8] {
        try read(at: 0, count: try size())
    }

    /// Writes every byte at `offset`, looping over short writes: stopping early would leave
    /// a hole in the log.
    public func write(_ bytes: [UInt8], at offset: Int) throws(SystemError) {
        try write(bytes[...], at: offset)
    }

    /// The same for a part of an array (a piece of a file written from several).
    public func write(_ bytes: ArraySlice<UInt8>, at offset: Int) throws(SystemError) {
        var done = 0
        while done < bytes.count {
            let count = try writeSome(bytes[(bytes.startIndex + done)...], at: offset + done)
            // A write that makes no progress would loop forever: report it as the I/O
            // error it is (the kernel's pwrite never does this for a regular file).
            guard count > 0 else { throw SystemError("write", path: path, errno: EIO) }
            done += count
        }
    }
}

extension Storage {
    public func open(_ path: String) throws(SystemError) -> any StorageFile {
        try open(path, create: false, truncate: false)
    }

    /// Writes a small file atomically: a temporary file, sync, rename over the old one,
    /// sync of the directory. A crash leaves either the old content or the new.
    public func writeAtomically(_ bytes: [UInt8], to path: String, in directory: String) throws(SystemError) {
        try writeAtomically(pieces: [bytes[...]], to: path, in: directory)
    }

    /// The same for a file made of `pieces`, one after the other: a large derived file
    /// (the entry index, 400 MB at ten million entries) is written from its parts, never
    /// copied into one array first.
    public func writeAtomically(pieces: [ArraySlice<UInt8>], to path: String, in directory: String) throws(SystemError) {
        let file = try createTemporary(for: path)
        let temporary = file.path
        do {
            var offset = 0
            for piece in pieces {
                try file.write(piece, at: offset)
                offset += piece.count
            }
            try file.sync()
            try rename(temporary, to: path)
        } catch {
            // Leave no half-written temporary behind (a full disk stays no fuller).
            remove(temporary)
            throw error
        }
        try syncDirectory(directory)
    }
}
