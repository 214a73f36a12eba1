#if canImport(Glibc)
import Glibc
#endif

/// Everything a `SimStorage` holds, as a value: what reads see, what a crash would keep, and
/// what is in between.
///
/// The model is the one POSIX promises and no more. A file's bytes are *written* (what
/// reads return) or *durable* (what survives a crash): `sync` of the file makes its writes
/// and truncations durable, in order. A directory entry (a file created, renamed over
/// another, removed) is durable only after `syncDirectory` of its directory; until then a
/// crash may undo it, and a file whose entry is undone is gone with its bytes. Being a
/// value, an image is copied in O(1) (copy on write), so a test can keep the state at
/// every I/O call of a workload and crash each one in turn.
public struct SimDiskImage: Sendable, Equatable {
    /// One unsynced change to a file's bytes, kept until `sync` (or a crash) decides its fate.
    public enum Change: Sendable, Equatable {
        case write(offset: Int, bytes: [UInt8])
        case truncate(length: Int)

        var byteCount: Int {
            if case let .write(_, bytes) = self { bytes.count } else { 0 }
        }
    }

    /// One unsynced change to a directory's entries.
    public enum EntryChange: Sendable, Equatable {
        case link(path: String, inode: Int)
        case rename(from: String, to: String)
        case unlink(path: String)

        /// The directories whose entries it changes.
        var directories: [String] {
            switch self {
            case let .link(path, _), let .unlink(path): [SimDiskImage.parent(of: path)]
            case let .rename(from, to): [SimDiskImage.parent(of: from), SimDiskImage.parent(of: to)]
            }
        }
    }

    /// A file's content, apart from its name.
    public struct Inode: Sendable, Equatable {
        /// What reads see.
        public var written: [UInt8] = []
        /// What the disk holds for sure.
        public var durable: [UInt8] = []
        /// Changes since the last sync, oldest first. `durable` with all of them applied is
        /// `written`, except after a failed sync, whose changes are lost to the disk while
        /// reads still see them (as the page cache does after an fsync error).
        public var pending: [Change] = []
        public static func == (a: Inode, b: Inode) -> Bool {
            sameBytes(a.written, b.written) && sameBytes(a.durable, b.durable) && a.pending == b.pending
        }
    }

    public var inodes: [Int: Inode] = [:]
    /// Names as lookups see them.
    public var names: [String: Int] = [:]
    /// Names as a crash would leave them.
    public var durableNames: [String: Int] = [:]
    /// Entry changes not yet made durable by a directory sync, oldest first.
    public var pendingEntries: [EntryChange] = []
    /// Directories, with the number `identity(of:)` reports as their inode. Directories are
    /// made once, when a node is created, and are durable at once: crashes of `mkdir` are
    /// outside this model.
    public var directories: [String: UInt64] = [:]
    var nextInode = 1

    public init() {}

    /// The written bytes of the file at `path`, if it exists.
    public func contents(of path: String) -> [UInt8]? {
        names[path].flatMap { inodes[$0]?.written }
    }

    /// The durable bytes of the file a crash would keep at `path` (durable name and bytes).
    public func durableContents(of path: String) -> [UInt8]? {
        durableNames[path].flatMap { inodes[$0]?.durable }
    }

    /// Replaces a file's bytes, durably: how a test plants damage (a bit flip, a cut)
    /// before handing the disk to the store.
    public mutating func setContents(_ bytes: [UInt8], of path: String) {
        let inode: Int
        if let existing = names[path] {
            inode = existing
        } else {
            inode = nextInode
            nextInode += 1
        }
        inodes[inode] = Inode(written: bytes, durable: bytes, pending: [])
        names[path] = inode
        durableNames[path] = inode
    }

    /// True when a crash now would keep exactly what reads see: nothing is unsynced.
    public var isSettled: Bool {
        pendingEntries.isEmpty && names == durableNames
            && inodes.values.allSatisfy { $0.pending.isEmpty && $0.written == $0.durable }
    }

    /// Byte-for-byte equality with `memcmp`: images are compared at every crash point of a
    /// sweep, and the generic `==` of arrays is slow in debug builds.
    public static func sameBytes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBufferPointer { left in
            b.withUnsafeBufferPointer { right in
                left.baseAddress == right.baseAddress || a.isEmpty || memcmp(left.baseAddress!, right.baseAddress!, a.count) == 0
            }
        }
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    // MARK: - Applying changes

    static func apply(_ change: Change, to bytes: inout [UInt8]) {
        switch change {
        case let .write(offset, data):
            apply(write: data[...], at: offset, to: &bytes)
        case let .truncate(length):
            if length < bytes.count {
                bytes.removeLast(bytes.count - length)
            } else {
                bytes += [UInt8](repeating: 0, count: length - bytes.count)
            }
        }
    }

    /// Writes `data` at `offset`, extending the file (with a hole of zeros if it starts past
    /// the end).
    static func apply(write data: ArraySlice<UInt8>, at offset: Int, to bytes: inout [UInt8]) {
        if offset > bytes.count { bytes += [UInt8](repeating: 0, count: offset - bytes.count) }
        let overlap = min(data.count, bytes.count - offset)
        if overlap > 0 {
            bytes.replaceSubrange(offset..<(offset + overlap), with: data.prefix(overlap))
        }
        bytes += data.dropFirst(overlap)
    }

    static func apply(_ change: EntryChange, to names: inout [String: Int]) {
        switch change {
        case let .link(path, inode):
            names[path] = inode
        case let .rename(from, to):
            names[to] = names.removeValue(forKey: from)
        case let .unlink(path):
            names[path] = nil
        }
    }
}
