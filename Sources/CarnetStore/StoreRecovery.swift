import CarnetCore
import CarnetSystem
import CarnetWire

/// `carnet recover` on the store: the way out of a damaged log that opening (rightly)
/// refuses to skip. It keeps every sound record of the log, this node's unsynced events
/// included (they exist nowhere else), moves the damaged bytes aside into a file beside
/// the log (never deleted: a person or a better tool may read more from them), writes a
/// log that opens, and drops the checkpoint and status file that described the old one.
///
/// When the damaged bytes may have held events this node wrote and a peer received, the
/// node must not write those sequence numbers again (a peer would see two different events
/// under one dot, a fork): it then continues under a fresh node id, linked to the old one,
/// exactly as a store restored from a backup does (`Replica.continuing`).
public enum StoreRecovery {
    /// What recovery did.
    public struct Report: Sendable, Equatable {
        public struct Region: Sendable, Equatable {
            /// The damaged bytes, as offsets in the log before recovery.
            public var range: Range<Int>
            public var reason: String
            /// Where they lie in the aside file.
            public var asideRange: Range<Int>
        }

        /// Sound records and their events, kept in the new log in their order.
        public var keptRecords = 0
        public var keptEvents = 0
        public var regions: [Region] = []
        /// The file the damaged bytes were moved to (nil when there were none).
        public var asideFile: String?
        public var logRewritten = false
        public var checkpointDropped = false
        /// Set when the node continues under a fresh id: the id it continues.
        public var continuedFrom: NodeID?
        public var node: NodeID
        /// Kept events that wait for a predecessor lost in the damage (a sync brings it),
        /// and how many of them are this node's own.
        public var waitingEvents = 0
        public var waitingOwnEvents = 0

        public var damagedBytes: Int { regions.reduce(0) { $0 + $1.range.count } }
        public var changedAnything: Bool { logRewritten || checkpointDropped }
    }

    /// The prefix of the files damaged bytes are moved to: `events.log.damaged-<suffix>`.
    public static let asidePrefix = EventLog.fileName + ".damaged-"

    /// Recovers `directory`'s log. `asideSuffix` names the aside file (a UTC timestamp);
    /// `dropCheckpoint` also drops a checkpoint and status file when the log itself is
    /// sound (the caller found they do not match it). Holds the log's lock throughout.
    /// `freshNodeID` and `wallMillis` are inputs so that tests are deterministic.
    public static func run(directory: String, asideSuffix: String, dropCheckpoint: Bool, wallMillis: UInt64,
                           storage: any Storage = PosixStorage(),
                           freshNodeID: @escaping () -> NodeID) throws(StoreError) -> Report {
        var identity = try NodeIdentity.load(directory: directory, storage: storage)
        let path = directory + "/" + EventLog.fileName
        let bytes: [UInt8]
        let handle: any StorageFile
        do {
            handle = try storage.open(path)
        } catch {
            throw .system(error)
        }
        try EventLog.lock(handle)
        defer { handle.unlock() }
        do {
            bytes = try handle.readAll()
        } catch {
            throw .system(error)
        }
        if case let .otherVersion(version) = FileHeader.log.read(bytes) {
            throw .unsupportedVersion(path: path, version: version)
        }
        let salvage = LogSalvage(bytes)
        var report = Report(node: identity.node)
        report.keptRecords = salvage.records.count
        report.keptEvents = salvage.records.reduce(0) { $0 + $1.events.count }
        var replica = Replica(node: identity.node, ledger: identity.ledgerID)
        replica.admit(contentsOf: salvage.events)
        replica.resumeClock(wallMillis: wallMillis)
        if !salvage.damage.isEmpty {
            report.asideFile = try setAside(bytes, salvage.damage, directory: directory, suffix: asideSuffix,
                                            storage: storage, regions: &report.regions)
            var link: [UInt8] = []
            if mayHaveLostOwnEvents(salvage, replica: replica) {
                let next = replica.continuing(as: freshNodeID(), wallMillis: wallMillis)
                link = LogFormat.frame(EventBatch.encode(next.history.events(of: next.node)))
                report.continuedFrom = identity.node
                // The identity first: a crash before the new log is in place leaves the
                // damaged log (recover runs again) under a fresh id, never the old id over
                // a log that lost some of its seqs.
                identity.node = next.node
                identity.home = try NodeIdentity.currentHome(of: directory, storage: storage)
                try identity.save(directory: directory, storage: storage)
                replica = next
                report.node = next.node
            }
            do {
                if let end = salvage.soundPrefixEnd {
                    try cutInPlace(handle, at: end, appending: link)
                } else {
                    var log = LogFormat.header
                    for record in salvage.records { log += bytes[record.range] }
                    try storage.writeAtomically(log + link, to: path, in: directory)
                }
            } catch {
                throw .system(error)
            }
            report.logRewritten = true
        }
        if report.logRewritten || dropCheckpoint {
            // They describe the old log; the next open (or `status`) writes new ones.
            let stale = [Checkpoint.fileName, StoreStatus.fileName].map { directory + "/" + $0 }.filter(storage.exists)
            for path in stale { storage.remove(path) }
            do {
                try storage.syncDirectory(directory)
            } catch {
                throw .system(error)
            }
            report.checkpointDropped = !stale.isEmpty
        }
        report.waitingEvents = replica.history.pendingCount
        report.waitingOwnEvents = replica.history.pendingEvents.filter { $0.dot.node == report.continuedFrom ?? identity.node }.count
        return report
    }

    /// Damage only at the end (a torn tail, a damaged last record) is cut in place, as
    /// opening cuts a torn tail, rather than by renaming a new file over the log: a
    /// `carnet record` that opened the log while recovery held its lock then appends to
    /// the file that stays, not to one that a rename has orphaned (its acknowledged write
    /// would be lost). Middle damage needs a new file, but no writer can have opened
    /// that log (opening refuses it). A crash midway leaves a sound log (without the link
    /// record, under the fresh id already saved) or a torn tail that opening cuts.
    private static func cutInPlace(_ file: any StorageFile, at end: Int, appending link: [UInt8]) throws(SystemError) {
        try file.truncate(to: end)
        if !link.isEmpty { try file.write(link, at: end) }
        try file.sync()
    }

    /// Writes the damaged ranges, in order, into `events.log.damaged-<suffix>` (durably,
    /// before the log is replaced) and says where each landed.
    private static func setAside(_ bytes: [UInt8], _ damage: [LogSalvage.Damage], directory: String, suffix: String,
                                 storage: any Storage, regions: inout [Report.Region]) throws(StoreError) -> String {
        var aside: [UInt8] = []
        for range in damage {
            regions.append(Report.Region(range: range.range, reason: range.reason,
                                         asideRange: aside.count..<(aside.count + range.range.count)))
            aside += bytes[range.range]
        }
        var name = directory + "/" + asidePrefix + suffix
        var attempt = 1
        while storage.exists(name) {
            attempt += 1
            name = directory + "/" + asidePrefix + suffix + "-\(attempt)"
        }
        do {
            try storage.writeAtomically(aside, to: name, in: directory)
        } catch {
            throw .system(error)
        }
        return name
    }

    /// True unless every damaged range is the file header or a torn tail: a range that
    /// held whole records may have held this node's acknowledged events, which a peer may
    /// hold, and nothing left says which seqs they had. (A gap in the node's own chain is
    /// the visible case; a lost tail leaves no trace.) A torn tail was never acknowledged,
    /// so never sent: its seqs are free, as when opening cuts it.
    static func mayHaveLostOwnEvents(_ salvage: LogSalvage, replica: Replica) -> Bool {
        let ownGap = replica.history.pendingEvents.contains { $0.dot.node == replica.node }
        let recordsLost = salvage.damage.contains { !$0.isTornTail && $0.range.upperBound > LogFormat.headerSize }
        return ownGap || recordsLost
    }
}
