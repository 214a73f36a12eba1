import CarnetSystem

#if canImport(Glibc)
import Glibc
#endif

/// The SimDisk of RELIABILITY.md §3.2, named `SimStorage` because the deterministic
/// simulation's record-level disk model (`Simulation/SimDisk.swift`) has the name `SimDisk`.
///
/// An in-memory disk for the store's crash and I/O-error tests: a `Storage` that keeps
/// written and durable bytes apart (see `SimDiskImage`), counts every call, and fails on
/// request (see `SimDiskFaults`). Everything random (the length of a short write, the
/// damage of a crash) comes from the seed, so a printed seed replays a failure.
///
/// A crash freezes the disk; `restart(after:)` gives the disk the machine would find after
/// power comes back. With `snapshotting`, the disk also keeps its state at chosen calls,
/// so that one run of a workload yields the crash image of every call.
///
/// `@unchecked Sendable` is sound: every mutable property is touched only under `lock`.
public final class SimStorage: Storage, @unchecked Sendable {
    private let lock = Lock()
    private var image: SimDiskImage
    private var faults: SimDiskFaults
    private var random: SplitMix64
    private var counters = SimDiskCounters()
    private var crash: SimDiskSnapshot?
    /// Which handle holds each inode's lock.
    private var lockHolders: [Int: Int] = [:]
    private var nextHandle = 1
    private var snapshotCalls: SnapshotSelection = .none
    private var snapshots: [SimDiskSnapshot] = []
    private var tracing = false
    private var trace: [SimDiskCall] = []

    /// Which calls `snapshotting` keeps the state at.
    public enum SnapshotSelection: Sendable {
        case none
        case every
        case only(Set<Int>)

        func contains(_ call: Int) -> Bool {
            switch self {
            case .none: false
            case .every: true
            case let .only(calls): calls.contains(call)
            }
        }
    }

    /// An empty disk, or one holding `image` (a crash's leftovers, or a planted state).
    public init(seed: UInt64, image: SimDiskImage = SimDiskImage(), faults: SimDiskFaults = .none) {
        self.image = image
        self.faults = faults
        random = SplitMix64(seed: seed)
    }

    // MARK: - Test controls

    public var counts: SimDiskCounters { lock.withLock { counters } }
    public var hasCrashed: Bool { lock.withLock { crash != nil } }
    public var currentImage: SimDiskImage { lock.withLock { image } }

    /// Replaces the faults to come (`.none` heals the disk); counts go on.
    public func setFaults(_ faults: SimDiskFaults) { lock.withLock { self.faults = faults } }

    /// Keeps the state at the chosen calls from now on; `takeSnapshots` hands them over.
    public func snapshotting(_ selection: SnapshotSelection) { lock.withLock { snapshotCalls = selection } }

    public func takeSnapshots() -> [SimDiskSnapshot] {
        lock.withLock {
            defer { snapshots = [] }
            return snapshots
        }
    }

    /// Records the kind of every call from now on (what `calls()` returns).
    public func startTracing() { lock.withLock { tracing = true; trace = [] } }
    public func calls() -> [SimDiskCall] { lock.withLock { trace } }

    /// The state to crash from: at the crash, when there was one, else now (a power loss
    /// between two calls).
    public func snapshotNow() -> SimDiskSnapshot {
        lock.withLock { crash ?? SimDiskSnapshot(call: counters.calls, changes: counters.changingCalls, image: image, inFlight: nil) }
    }

    /// The disk found after power comes back: durable bytes plus `damage` of the rest.
    public func restart(after damage: CrashDamage, seed: UInt64) -> SimStorage {
        snapshotNow().restart(after: damage, seed: seed)
    }

    /// The file names of `directory`, sorted (what a listing would show).
    public func files(in directory: String) -> [String] {
        lock.withLock { image.names.keys.filter { SimDiskImage.parent(of: $0) == directory }.sorted() }
    }

    // MARK: - Storage

    public func open(_ path: String, create: Bool, truncate: Bool) throws(SystemError) -> any StorageFile {
        let exists = lock.withLock { image.names[path] != nil }
        let kind: SimDiskCall = (create && !exists) || truncate ? .create : .open
        let (inode, handle) = try perform(kind, path) { () throws(SystemError) -> (Int, Int) in
            var number: Int
            if let existing = image.names[path] {
                number = existing
            } else {
                guard create else { throw SystemError("open", path: path, errno: ENOENT) }
                guard image.directories[SimDiskImage.parent(of: path)] != nil else {
                    throw SystemError("open", path: path, errno: ENOENT)
                }
                number = image.nextInode
                image.nextInode += 1
                image.inodes[number] = SimDiskImage.Inode()
                image.names[path] = number
                image.pendingEntries.append(.link(path: path, inode: number))
            }
            if truncate, image.inodes[number]?.written.isEmpty == false {
                change(number, .truncate(length: 0))
            }
            defer { nextHandle += 1 }
            return (number, nextHandle)
        }
        return SimFile(disk: self, path: path, inode: inode, handle: handle)
    }

    public func exists(_ path: String) -> Bool {
        (try? perform(.exists, path) { image.names[path] != nil || image.directories[path] != nil }) ?? false
    }

    public func syncDirectory(_ path: String) throws(SystemError) {
        try perform(.syncDirectory, path) { () throws(SystemError) in
            guard image.directories[path] != nil else { throw SystemError("open", path: path, errno: ENOENT) }
            try failSyncIfDue(path)
            var kept: [SimDiskImage.EntryChange] = []
            for change in image.pendingEntries {
                if change.directories.contains(path) {
                    SimDiskImage.apply(change, to: &image.durableNames)
                } else {
                    kept.append(change)
                }
            }
            image.pendingEntries = kept
        }
    }

    public func rename(_ source: String, to destination: String) throws(SystemError) {
        try perform(.rename, destination) { () throws(SystemError) in
            guard image.names[source] != nil else { throw SystemError("rename", path: destination, errno: ENOENT) }
            SimDiskImage.apply(.rename(from: source, to: destination), to: &image.names)
            image.pendingEntries.append(.rename(from: source, to: destination))
        }
    }

    public func remove(_ path: String) {
        try? perform(.remove, path) {
            guard image.names[path] != nil else { return }
            image.names[path] = nil
            image.pendingEntries.append(.unlink(path: path))
        }
    }

    public func createDirectory(_ path: String) throws(SystemError) {
        try perform(.createDirectory, path) {
            var current = path
            while current != "/" && current != "." && !current.isEmpty {
                if image.directories[current] == nil { image.directories[current] = UInt64(image.directories.count + 1) }
                current = SimDiskImage.parent(of: current)
            }
        }
    }

    public func identity(of path: String) throws(SystemError) -> (device: UInt64, inode: UInt64) {
        try perform(.identity, path) { () throws(SystemError) -> (UInt64, UInt64) in
            guard let number = image.directories[path] else { throw SystemError("stat", path: path, errno: ENOENT) }
            return (1, number)
        }
    }

    /// One simulated process: the same name every run, so that images compare equal.
    /// (The real disk's names are random; a simulated disk has nobody to plant a link.)
    public func temporaryPath(for path: String) -> String { path + ".1.tmp" }

    /// The temporary at `temporaryPath(for:)`, emptied if a crash left one there.
    public func createTemporary(for path: String) throws(SystemError) -> any StorageFile {
        try open(temporaryPath(for: path), create: true, truncate: true)
    }

    /// The simulated disk has no permissions: a read-only open is an open, and the store
    /// code that uses it never writes through it.
    public func openReadOnly(_ path: String) throws(SystemError) -> any StorageFile {
        try open(path, create: false, truncate: false)
    }

    // MARK: - File calls (from SimFile)

    func size(_ inode: Int, path: String) throws(SystemError) -> Int {
        try perform(.size, path) { image.inodes[inode]?.written.count ?? 0 }
    }

    func read(_ inode: Int, path: String, at offset: Int, count: Int) throws(SystemError) -> [UInt8] {
        try perform(.read, path) {
            let bytes = image.inodes[inode]?.written ?? []
            guard offset < bytes.count, count > 0 else { return [] }
            return Array(bytes[offset..<min(bytes.count, offset + count)])
        }
    }

    func writeSome(_ inode: Int, path: String, bytes: ArraySlice<UInt8>, at offset: Int) throws(SystemError) -> Int {
        let inFlight = InFlightWrite(inode: inode, offset: offset, bytes: Array(bytes))
        return try perform(.write, path, inFlight: inFlight) { () throws(SystemError) -> Int in
            var length = bytes.count
            if faults.shortWriteAtCall == counters.writes, length > 1 {
                length = Int.random(in: 1..<length, using: &random)
                counters.shortWrites += 1
            }
            if let space = faults.spaceInBytes {
                let room = space - counters.bytesWritten
                guard room > 0 else {
                    counters.noSpaceErrors += 1
                    throw SystemError("write", path: path, errno: ENOSPC)
                }
                if room < length {
                    length = room
                    counters.shortWrites += 1
                }
            }
            counters.bytesWritten += length
            change(inode, .write(offset: offset, bytes: Array(bytes.prefix(length))))
            return length
        }
    }

    func sync(_ inode: Int, path: String) throws(SystemError) {
        try perform(.sync, path) { () throws(SystemError) in
            guard var file = image.inodes[inode] else { return }
            do throws(SystemError) {
                try failSyncIfDue(path)
            } catch {
                // The kernel drops the failed pages' dirty state: they stay readable but
                // will not reach the disk, and a later sync reports success (fsyncgate).
                file.pending = []
                image.inodes[inode] = file
                throw error
            }
            for change in file.pending { SimDiskImage.apply(change, to: &file.durable) }
            file.pending = []
            image.inodes[inode] = file
        }
    }

    func truncate(_ inode: Int, path: String, to length: Int) throws(SystemError) {
        try perform(.truncate, path) { change(inode, .truncate(length: length)) }
    }

    func lock(_ inode: Int, path: String, handle: Int) throws(SystemError) {
        try perform(.lock, path) { () throws(SystemError) in
            if let holder = lockHolders[inode], holder != handle {
                // Another open file holds it; in one thread waiting cannot help, so report
                // what `File` reports when the wait times out.
                throw SystemError("lock", path: path, errno: EWOULDBLOCK)
            }
            lockHolders[inode] = handle
        }
    }

    func unlock(_ inode: Int, path: String, handle: Int) {
        try? perform(.unlock, path) {
            if lockHolders[inode] == handle { lockHolders[inode] = nil }
        }
    }

    /// A handle closed: its locks go, without a call being counted (close is not a call
    /// the store makes on purpose).
    func close(handle: Int) {
        lock.withLock {
            for (inode, holder) in lockHolders where holder == handle { lockHolders[inode] = nil }
        }
    }

    // MARK: - The funnel of every call

    /// Counts the call, crashes or snapshots at it when asked, then runs `body` under the
    /// lock. After a crash every call fails: the machine is off.
    private func perform<T>(_ kind: SimDiskCall, _ path: String, inFlight: InFlightWrite? = nil,
                            _ body: () throws(SystemError) -> T) throws(SystemError) -> T {
        try lock.withLock { () throws(SystemError) -> T in
            guard crash == nil else { throw SystemError("\(kind.rawValue) (disk crashed)", path: path, errno: EIO) }
            let index = counters.calls
            if snapshotCalls.contains(index) {
                snapshots.append(SimDiskSnapshot(call: index, changes: counters.changingCalls, image: image, inFlight: inFlight))
            }
            if faults.crashAtCall == index {
                crash = SimDiskSnapshot(call: index, changes: counters.changingCalls, image: image, inFlight: inFlight)
                throw SystemError("\(kind.rawValue) (disk crashed)", path: path, errno: EIO)
            }
            counters.calls += 1
            count(kind)
            if tracing { trace.append(kind) }
            return try body()
        }
    }

    private func count(_ kind: SimDiskCall) {
        if kind.changesDisk { counters.changingCalls += 1 }
        switch kind {
        case .open, .create: counters.opens += 1
        case .read, .size: counters.reads += 1
        case .write: counters.writes += 1
        case .sync: counters.syncs += 1
        case .syncDirectory: counters.directorySyncs += 1
        case .truncate: counters.truncates += 1
        case .rename: counters.renames += 1
        case .remove: counters.removes += 1
        case .lock, .unlock: counters.locks += 1
        case .exists, .createDirectory, .identity: counters.other += 1
        }
    }

    /// Throws when the sync now being made is one the faults say fails. Called under the lock.
    private func failSyncIfDue(_ path: String) throws(SystemError) {
        let number = counters.syncs + counters.directorySyncs
        guard let failure = faults.syncFailure, failure.fails(sync: number) else { return }
        counters.failedSyncs += 1
        throw SystemError("fsync", path: path, errno: failure.errno)
    }

    /// Applies a change to what reads see and queues it for the next sync. Under the lock.
    private func change(_ inode: Int, _ change: SimDiskImage.Change) {
        guard var file = image.inodes[inode] else { return }
        SimDiskImage.apply(change, to: &file.written)
        file.pending.append(change)
        image.inodes[inode] = file
    }
}

/// The state of a `SimStorage` at one call: what a crash there would work from.
public struct SimDiskSnapshot: Sendable {
    /// The index of the call the crash interrupts.
    public var call: Int
    /// How many calls before it could change what a crash leaves: snapshots with the same
    /// count (and no write in flight) have the same image, so a sweep that draws a crash's
    /// damage from this count gets equal images for them, and recovers once.
    public var changes: Int
    public var image: SimDiskImage
    /// The write the crash interrupts, when that call is a write.
    public var inFlight: InFlightWrite?

    /// The disk found after power comes back: durable bytes plus `damage` of the rest, the
    /// choices drawn from `seed`.
    public func restart(after damage: CrashDamage, seed: UInt64) -> SimStorage {
        var random = SplitMix64(seed: seed)
        return SimStorage(seed: seed ^ 0x5EED, image: image.crashed(damage, inFlight: inFlight, using: &random))
    }
}
