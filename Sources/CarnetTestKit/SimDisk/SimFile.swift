import CarnetSystem

/// An open file of a `SimStorage`: it names an inode, as a descriptor does, so it keeps
/// reaching the same bytes after a rename. Closing (the last reference going) releases its
/// lock.
///
/// `Sendable`: every property is immutable, and the disk it calls is itself thread-safe.
final class SimFile: StorageFile {
    let disk: SimStorage
    let path: String
    let inode: Int
    let handle: Int

    init(disk: SimStorage, path: String, inode: Int, handle: Int) {
        self.disk = disk
        self.path = path
        self.inode = inode
        self.handle = handle
    }

    deinit { disk.close(handle: handle) }

    func size() throws(SystemError) -> Int { try disk.size(inode, path: path) }

    func read(at offset: Int, count: Int) throws(SystemError) -> [UInt8] {
        try disk.read(inode, path: path, at: offset, count: count)
    }

    func writeSome(_ bytes: ArraySlice<UInt8>, at offset: Int) throws(SystemError) -> Int {
        try disk.writeSome(inode, path: path, bytes: bytes, at: offset)
    }

    func sync() throws(SystemError) { try disk.sync(inode, path: path) }

    func truncate(to length: Int) throws(SystemError) { try disk.truncate(inode, path: path, to: length) }

    func lockExclusive() throws(SystemError) { try disk.lock(inode, path: path, handle: handle) }

    func unlock() { disk.unlock(inode, path: path, handle: handle) }
}
