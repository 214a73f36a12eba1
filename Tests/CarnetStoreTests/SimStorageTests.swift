import CarnetCore
import CarnetStore
import CarnetSystem
import CarnetTestKit
import Foundation
import Glibc
import Testing

/// The simulated disk itself: its durability model and each fault it produces, so that
/// the sweeps built on it test the store and not an accident of the simulation.
struct SimStorageTests {
    static let directory = "/sim/unit"
    static let file = directory + "/f"

    private func disk(_ seed: UInt64 = 1, faults: SimDiskFaults = .none) throws -> SimStorage {
        let disk = SimStorage(seed: seed, faults: faults)
        try disk.createDirectory(Self.directory)
        return disk
    }

    @Test func onlySyncedBytesAndSyncedNamesSurviveACrash() throws {
        let disk = try disk()
        let file = try disk.open(Self.file, create: true, truncate: false)
        try file.write([1, 2, 3], at: 0)
        #expect(disk.restart(after: .dropUnsynced, seed: 1).currentImage.contents(of: Self.file) == nil, "name not synced")
        try file.sync()
        #expect(disk.restart(after: .dropUnsynced, seed: 1).currentImage.contents(of: Self.file) == nil, "a file sync does not sync its name")
        try disk.syncDirectory(Self.directory)
        try file.write([4, 5], at: 3)
        #expect(try file.readAll() == [1, 2, 3, 4, 5], "reads see written bytes")
        #expect(disk.restart(after: .dropUnsynced, seed: 1).currentImage.contents(of: Self.file) == [1, 2, 3])
        try file.sync()
        #expect(disk.restart(after: .dropUnsynced, seed: 1).currentImage.contents(of: Self.file) == [1, 2, 3, 4, 5])
    }

    @Test func aRenameIsUndoneByACrashUntilItsDirectoryIsSynced() throws {
        let disk = try disk()
        try disk.writeAtomically([1], to: Self.file, in: Self.directory)
        let temporary = disk.temporaryPath(for: Self.file)
        let file = try disk.open(temporary, create: true, truncate: true)
        try file.write([2], at: 0)
        try file.sync()
        try disk.rename(temporary, to: Self.file)
        #expect(try disk.open(Self.file).readAll() == [2])
        let crashed = disk.restart(after: .dropUnsynced, seed: 1).currentImage
        #expect(crashed.contents(of: Self.file) == [1] && crashed.contents(of: temporary) == nil)
        #expect(disk.restart(after: .tearLastWrite, seed: 1).currentImage.contents(of: Self.file) == [2], "entries are kept whole")
        try disk.syncDirectory(Self.directory)
        #expect(disk.restart(after: .dropUnsynced, seed: 1).currentImage.contents(of: Self.file) == [2])
    }

    /// Each damage, on an append-only file with three unsynced writes: none kept; a prefix
    /// of the unsynced bytes in order; all but the last write, which is torn.
    @Test func theThreeDamagesOfUnsyncedBytes() throws {
        let disk = try disk()
        let file = try disk.open(Self.file, create: true, truncate: false)
        try disk.syncDirectory(Self.directory)
        try file.write([0, 0], at: 0)
        try file.sync()
        let writes: [[UInt8]] = [[1, 1, 1], [2, 2, 2, 2], [3, 3, 3, 3, 3]]
        var offset = 2
        for bytes in writes {
            try file.write(bytes, at: offset)
            offset += bytes.count
        }
        let all: [UInt8] = [0, 0] + writes.flatMap { $0 }
        var prefixes = Set<Int>(), torn = Set<Int>()
        for seed in 0..<200 as Range<UInt64> {
            #expect(disk.restart(after: .dropUnsynced, seed: seed).currentImage.contents(of: Self.file) == [0, 0])
            let kept = try #require(disk.restart(after: .keepPrefix, seed: seed).currentImage.contents(of: Self.file))
            #expect(Array(all.prefix(kept.count)) == kept, "seed \(seed): not a prefix: \(kept)")
            prefixes.insert(kept.count)
            let tornImage = try #require(disk.restart(after: .tearLastWrite, seed: seed).currentImage.contents(of: Self.file))
            #expect(tornImage.count >= 9 && tornImage.count < all.count && Array(all.prefix(tornImage.count)) == tornImage,
                    "seed \(seed): \(tornImage)")
            torn.insert(tornImage.count)
        }
        #expect(prefixes == Set(2...all.count), "every prefix length is drawn")
        #expect(torn == Set(9..<all.count), "the last write is torn at every byte")
        #expect(disk.restart(after: .keepPrefix, seed: 7).currentImage == disk.restart(after: .keepPrefix, seed: 7).currentImage,
                "deterministic from the seed")
    }

    @Test func aFailedSyncLosesItsBytesForGoodThoughReadsStillSeeThem() throws {
        let disk = try disk(faults: SimDiskFaults(syncFailure: .init(atSync: 2, persistent: false)))
        let file = try disk.open(Self.file, create: true, truncate: false)
        try disk.syncDirectory(Self.directory)  // sync 1
        try file.write([1, 2], at: 0)
        #expect(throws: SystemError("fsync", path: Self.file, errno: EIO)) { try file.sync() }  // sync 2
        try file.write([3], at: 2)
        try file.sync()  // sync 3: succeeds, but the lost bytes stay lost
        #expect(try file.readAll() == [1, 2, 3])
        #expect(disk.restart(after: .dropUnsynced, seed: 1).currentImage.contents(of: Self.file) == [0, 0, 3])
        #expect(disk.counts.failedSyncs == 1)
    }

    @Test func aPersistentSyncFailureFailsEverySyncFromThenOn() throws {
        let disk = try disk(faults: SimDiskFaults(syncFailure: .init(atSync: 2, persistent: true)))
        let file = try disk.open(Self.file, create: true, truncate: false)
        try file.sync()
        for _ in 0..<3 { #expect(throws: SystemError.self) { try file.sync() } }
        #expect(throws: SystemError.self) { try disk.syncDirectory(Self.directory) }
        disk.setFaults(.none)
        try file.sync()
        #expect(disk.counts.failedSyncs == 4)
    }

    @Test func aFullDiskCutsTheCrossingWriteShortThenRefuses() throws {
        let disk = try disk(faults: SimDiskFaults(spaceInBytes: 5))
        let file = try disk.open(Self.file, create: true, truncate: false)
        #expect(try file.writeSome([1, 2, 3][...], at: 0) == 3)
        #expect(try file.writeSome([4, 5, 6, 7][...], at: 3) == 2, "cut where the room ends")
        #expect(throws: SystemError("write", path: Self.file, errno: ENOSPC)) { _ = try file.writeSome([6][...], at: 5) }
        #expect(throws: SystemError("write", path: Self.file, errno: ENOSPC)) { try file.write([6, 7], at: 5) }
        #expect(try file.readAll() == [1, 2, 3, 4, 5])
        #expect(disk.counts.noSpaceErrors == 2 && disk.counts.shortWrites == 1)
    }

    @Test func aShortWriteIsFinishedByTheWriteLoop() throws {
        let disk = try disk(7, faults: SimDiskFaults(shortWriteAtCall: 1))
        let file = try disk.open(Self.file, create: true, truncate: false)
        let bytes = (0..<100).map { UInt8($0) }
        try file.write(bytes, at: 0)
        #expect(try file.readAll() == bytes)
        #expect(disk.counts.writes == 2 && disk.counts.shortWrites == 1)
    }

    @Test func aCrashStopsEveryCallAndFreezesTheDisk() throws {
        let disk = try disk(faults: SimDiskFaults(crashAtCall: 4))
        let file = try disk.open(Self.file, create: true, truncate: false)  // call 1
        try disk.syncDirectory(Self.directory)                              // 2
        try file.write([1, 2, 3, 4], at: 0)                                 // 3
        #expect(throws: SystemError.self) { try file.write([5, 6, 7, 8], at: 4) }  // 4: crashes
        #expect(throws: SystemError.self) { try file.sync() }
        #expect(!disk.exists(Self.file), "nothing answers after the crash")
        #expect(disk.hasCrashed && disk.counts.calls == 4)
        let torn = try #require(disk.restart(after: .tearLastWrite, seed: 3).currentImage.contents(of: Self.file))
        #expect(torn.count >= 4 && torn.count < 8 && Array([1, 2, 3, 4, 5, 6, 7, 8].prefix(torn.count)) == torn,
                "the write in flight is torn, the unsynced one before it kept: \(torn)")
    }

    @Test func aLockHeldByAnotherOpenFileMakesTheLogBusy() throws {
        let disk = try disk()
        let log = try EventLog.open(directory: Self.directory, storage: disk)
        let holder = try disk.open(Self.directory + "/" + EventLog.fileName)
        try holder.lockExclusive()
        #expect(throws: StoreError.busy(path: log.log.path)) { _ = try EventLog.open(directory: Self.directory, storage: disk) }
        holder.unlock()
        _ = try EventLog.open(directory: Self.directory, storage: disk)
    }

    /// The log makes its own name durable when it creates the file: an acknowledged append
    /// to a log made a moment ago survives a crash, whoever opened it (not only through
    /// `NodeStore.create`, which syncs the directory again for the identity file).
    @Test func aNewLogAndItsFirstAcknowledgedRecordSurviveACrash() throws {
        let disk = try disk()
        var log = try EventLog.open(directory: Self.directory, storage: disk)
        var replica = Replica(node: NodeID.derived(from: "unit"))
        let event = replica.write(.append(Entry(id: "a", kind: "harvest", fields: [])), wallMillis: 1)
        try log.log.append([event])
        for damage in CrashDamage.allCases {
            let reopened = try EventLog.open(directory: Self.directory, storage: disk.restart(after: damage, seed: 5))
            #expect(reopened.recovered.map(\.id) == [event.id], "\(damage)")
        }
    }

    /// The real disk behind the same protocol: every call of `Storage` on a temporary folder.
    @Test func posixStorageDoesWhatTheProtocolSays() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("carnet-posix-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let storage: any Storage = PosixStorage()
        try storage.createDirectory(root + "/a/b")
        let path = root + "/a/b/f"
        #expect(!storage.exists(path))
        let file = try storage.open(path, create: true, truncate: false)
        try file.write([1, 2, 3, 4], at: 0)
        #expect(try file.writeSome([9, 9][...], at: 4) == 2)
        try file.sync()
        try file.truncate(to: 5)
        #expect(try file.size() == 5 && file.readAll() == [1, 2, 3, 4, 9] && file.read(at: 3, count: 10) == [4, 9])
        try file.lockExclusive()
        file.unlock()
        try storage.writeAtomically([7], to: path, in: root + "/a/b")
        #expect(try storage.open(path).readAll() == [7])
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/a/b") == ["f"], "no temporary is left")
        try storage.rename(path, to: path + "2")
        try storage.syncDirectory(root + "/a/b")
        #expect(storage.exists(path + "2") && !storage.exists(path))
        storage.remove(path + "2")
        #expect(!storage.exists(path + "2"))
        #expect(try storage.identity(of: root).inode != storage.identity(of: root + "/a").inode)
        #expect(throws: SystemError.self) { _ = try storage.open(path) }
        #if CARNET_FAULT_INJECTION  // FaultInjection exists in debug builds only (Package.swift)
        // The funnel's fault injection reaches the store's calls through the protocol.
        let rule = FaultInjection.Rule(.fsync, pathSuffix: "/a/b/g", effect: .fail(EIO))
        let other = try storage.open(root + "/a/b/g", create: true, truncate: false)
        FaultInjection.with([rule]) {
            #expect(throws: SystemError("fsync", path: root + "/a/b/g", errno: EIO)) { try other.sync() }
        }
        #endif
    }
}
