#if canImport(Glibc)
import Glibc
#endif

/// The real disk: `Storage` over the syscall funnel (`File`, `Directory`), so the store
/// keeps every behaviour of the funnel (fault injection, `EINTR` retries, errors naming
/// the file and errno) whichever way it is reached.
public struct PosixStorage: Storage {
    public init() {}

    public func open(_ path: String, create: Bool, truncate: Bool) throws(SystemError) -> any StorageFile {
        PosixFile(try File(path: path, create: create, truncate: truncate))
    }

    public func openReadOnly(_ path: String) throws(SystemError) -> any StorageFile {
        PosixFile(try File(readingOnly: path))
    }

    public func exists(_ path: String) -> Bool { Directory.exists(path) }

    public func syncDirectory(_ path: String) throws(SystemError) { try Directory.sync(path) }

    public func rename(_ source: String, to destination: String) throws(SystemError) {
        try Directory.rename(source, to: destination)
    }

    public func remove(_ path: String) { unlink(path) }

    public func createDirectory(_ path: String) throws(SystemError) { try Directory.create(path) }

    public func identity(of path: String) throws(SystemError) -> (device: UInt64, inode: UInt64) {
        try Directory.identity(path)
    }

    public func createTemporary(for path: String) throws(SystemError) -> any StorageFile {
        PosixFile(try Directory.createTemporary(for: path))
    }
}

/// An open `File` behind the `StorageFile` protocol. The descriptor is closed (and its
/// lock released) when the last reference goes, as with `File` itself.
final class PosixFile: StorageFile {
    let file: File

    init(_ file: consuming File) {
        self.file = file
    }

    var path: String { file.path }

    func size() throws(SystemError) -> Int { try file.size() }

    func read(at offset: Int, count: Int) throws(SystemError) -> [UInt8] { try file.read(at: offset, count: count) }

    func writeSome(_ bytes: ArraySlice<UInt8>, at offset: Int) throws(SystemError) -> Int {
        try file.writeOnce(bytes, at: offset)
    }

    func sync() throws(SystemError) { try file.sync() }

    func truncate(to length: Int) throws(SystemError) { try file.truncate(to: length) }

    func lockExclusive() throws(SystemError) { try file.lockExclusive() }

    func unlock() { file.unlock() }
}
