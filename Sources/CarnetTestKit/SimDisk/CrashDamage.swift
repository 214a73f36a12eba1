/// What a crash (a power loss) does to the bytes that were written but not yet synced.
///
/// Durable bytes always survive. The unsynced changes of each file survive in one of three
/// ways, the ones a real disk and kernel produce: none of them (the page cache was lost
/// whole), a prefix of them in the order they were made (write-back had got that far), or
/// all of them but the last write, torn at a random byte (the write in progress). Unsynced
/// directory entries behave alike: none, a prefix, or all (they are journaled whole, never
/// torn). Which prefix and which byte come from a seeded generator.
public enum CrashDamage: Sendable, CaseIterable, CustomStringConvertible {
    case dropUnsynced
    case keepPrefix
    case tearLastWrite

    public var description: String {
        switch self {
        case .dropUnsynced: "drop unsynced"
        case .keepPrefix: "keep a prefix"
        case .tearLastWrite: "tear the last write"
        }
    }

    /// The bytes a crash leaves of a file that held `durable` with `pending` unsynced.
    func survivingBytes<R: RandomNumberGenerator>(durable: [UInt8], pending: [SimDiskImage.Change],
                                                  using random: inout R) -> [UInt8] {
        var bytes = durable
        switch self {
        case .dropUnsynced:
            break
        case .keepPrefix:
            var budget = Int.random(in: 0...pending.reduce(0) { $0 + $1.byteCount }, using: &random)
            for change in pending {
                guard case let .write(offset, data) = change else {
                    SimDiskImage.apply(change, to: &bytes)
                    continue
                }
                let kept = min(data.count, budget)
                SimDiskImage.apply(write: data.prefix(kept), at: offset, to: &bytes)
                budget -= kept
                if kept < data.count { break }
            }
        case .tearLastWrite:
            let last = pending.lastIndex { $0.byteCount > 0 }
            for (index, change) in pending.enumerated() {
                if index == last, case let .write(offset, data) = change {
                    let kept = Int.random(in: 0..<data.count, using: &random)
                    SimDiskImage.apply(write: data.prefix(kept), at: offset, to: &bytes)
                } else {
                    SimDiskImage.apply(change, to: &bytes)
                }
            }
        }
        return bytes
    }

    /// How many of `count` unsynced directory entry changes a crash keeps.
    func survivingEntries<R: RandomNumberGenerator>(_ count: Int, using random: inout R) -> Int {
        switch self {
        case .dropUnsynced: 0
        case .keepPrefix: Int.random(in: 0...count, using: &random)
        case .tearLastWrite: count
        }
    }
}

extension SimDiskImage {
    /// The image a crash leaves, with `inFlight` (the write the crash interrupted, if any)
    /// counted as the newest unsynced change of its file. The result is settled: what it
    /// holds is what it has durably.
    public func crashed<R: RandomNumberGenerator>(_ damage: CrashDamage, inFlight: InFlightWrite? = nil,
                                                  using random: inout R) -> SimDiskImage {
        var result = SimDiskImage()
        result.directories = directories
        result.nextInode = nextInode
        var names = durableNames
        for change in pendingEntries.prefix(damage.survivingEntries(pendingEntries.count, using: &random)) {
            SimDiskImage.apply(change, to: &names)
        }
        result.names = names
        result.durableNames = names
        // Sorted, so that the generator is drawn in the same order in every process.
        for number in Set(names.values).sorted() {
            guard var inode = inodes[number] else { continue }
            if let inFlight, inFlight.inode == number {
                inode.pending.append(.write(offset: inFlight.offset, bytes: inFlight.bytes))
            }
            let bytes = damage.survivingBytes(durable: inode.durable, pending: inode.pending, using: &random)
            result.inodes[number] = Inode(written: bytes, durable: bytes, pending: [])
        }
        return result
    }
}

/// A write that was under way when the disk crashed: part of it may have reached the disk.
public struct InFlightWrite: Sendable, Equatable {
    public var inode: Int
    public var offset: Int
    public var bytes: [UInt8]
}
