#if canImport(Glibc)
import Glibc
#endif

/// The failures a `SimStorage` is told to produce. Counts are of the disk's own calls, so a
/// failure lands at the same place in every run of the same workload.
public struct SimDiskFaults: Sendable, Equatable {
    /// Crash at this I/O call (0-based over every call): the call does not complete (a write
    /// in progress may be partly on disk, by the damage chosen when restarting), and every
    /// later call fails as if the machine were off.
    public var crashAtCall: Int?
    /// Fail a sync (of a file or a directory) with an errno.
    public var syncFailure: SyncFailure?
    /// Bytes the disk accepts in all before it is full: the write that crosses the limit is
    /// cut short there (a short write), and every later write fails with ENOSPC.
    public var spaceInBytes: Int?
    /// The n-th write call (1-based) writes only part of its bytes (a seeded length): not an
    /// error, and the caller must write the rest.
    public var shortWriteAtCall: Int?

    /// A sync that fails, SQLite's two modes: once (transient), or from then on (persistent).
    public struct SyncFailure: Sendable, Equatable {
        /// 1-based, over file and directory syncs.
        public var atSync: Int
        public var persistent: Bool
        public var errno: Int32

        public init(atSync: Int, persistent: Bool, errno: Int32 = EIO) {
            self.atSync = atSync
            self.persistent = persistent
            self.errno = errno
        }

        func fails(sync number: Int) -> Bool {
            persistent ? number >= atSync : number == atSync
        }
    }

    public init(crashAtCall: Int? = nil, syncFailure: SyncFailure? = nil, spaceInBytes: Int? = nil,
                shortWriteAtCall: Int? = nil) {
        self.crashAtCall = crashAtCall
        self.syncFailure = syncFailure
        self.spaceInBytes = spaceInBytes
        self.shortWriteAtCall = shortWriteAtCall
    }

    public static let none = SimDiskFaults()
}

/// What a `SimStorage` was asked to do, by kind of call.
public struct SimDiskCounters: Sendable, Equatable {
    /// Every call, of every kind: the index space of `SimDiskFaults.crashAtCall`.
    public var calls = 0
    public var opens = 0
    public var reads = 0
    public var writes = 0
    public var bytesWritten = 0
    public var syncs = 0
    public var directorySyncs = 0
    public var truncates = 0
    public var renames = 0
    public var removes = 0
    public var locks = 0
    public var other = 0
    /// Calls that can change what a crash leaves (`SimDiskCall.changesDisk`).
    public var changingCalls = 0
    /// Faults that fired.
    public var failedSyncs = 0
    public var shortWrites = 0
    public var noSpaceErrors = 0

    public init() {}
}

/// The kinds of call a `SimStorage` counts.
public enum SimDiskCall: String, Sendable, Equatable {
    case open, create, exists, size, read, write, sync, truncate, lock, unlock
    case syncDirectory, rename, remove, createDirectory, identity

    /// True for calls that can change what a crash leaves: only at these does crashing
    /// give another image than crashing at the call before.
    public var changesDisk: Bool {
        switch self {
        case .create, .write, .sync, .truncate, .syncDirectory, .rename, .remove: true
        case .open, .exists, .size, .read, .lock, .unlock, .createDirectory, .identity: false
        }
    }
}
