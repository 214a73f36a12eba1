import CarnetCore
import CarnetLedger
import CarnetStore
import CarnetSystem

/// `carnet verify`'s findings: the node's files checked against each other without
/// changing any of them. The log is read twice, by the store's own check and by
/// `LogReader`, an independent reader of the format, so that `verify` does not trust the
/// code it checks.
public struct StoreAudit: Sendable {
    public var logPath: String
    public var logBytes = 0
    public var records = 0
    public var events = 0
    public var damageOffset: Int?
    public var damageReason: String?
    /// The damage is an unfinished write at the very end: the next opening cuts it.
    public var tornTail = false
    public var unchainedEvents = 0
    public var rejectedEvents = 0
    public var digest = SHA256Digest(0, 0, 0, 0)
    public var checkpointPresent = false
    /// Events the checkpoint holds, when it could be read.
    public var checkpointEvents: Int?
    /// Whether the checkpoint holds exactly the log's events up to its stamp; nil when
    /// damage in the log leaves it unknown.
    public var checkpointMatches: Bool?
    /// The status file was current (written for the log as it is).
    public var statusCurrent = false
    public var statusMatches: Bool?
    /// The views file was current, and whether it equals the views folded from the log.
    public var viewsCurrent = false
    public var viewsMatch: Bool?
    /// The entry index was current, and whether it equals the index made from every record.
    public var entryIndexCurrent = false
    public var entryIndexMatch: Bool?
    public var problems: [String] = []
    public var warnings: [String] = []
    /// A signed ledger's: how many signed heads the log's records carry, all verified.
    public var signatures: Int?
    /// The log as audited (its frames), for the record `verify` leaves for `status`.
    public var stamp = LogStamp(size: 0, lastRecordOffset: 0, lastRecordCRC: 0)
    /// A signed ledger's: events that no signature of their author covers.
    public var unsignedEvents = 0
    /// Of `signatures`, the heads by which the ledger's creator adopted format-1 history
    /// (SPEC 9.7).
    public var adoptionHeads = 0

    public var isSound: Bool { problems.isEmpty }

    /// Audits the node in `directory`. Throws only when there is no node to audit or the
    /// log cannot be read at all; everything else is a finding.
    public static func run(directory: String) throws(NodeError) -> StoreAudit {
        let identity = try NodeDirectory.identity(of: directory)
        var audit = StoreAudit(logPath: directory + "/" + EventLog.fileName)
        // 1. Framing, checksums and hash chains (the store's own check).
        let verification: LogVerification
        do {
            verification = try EventLog.verify(directory: directory)
        } catch {
            throw .store(error)
        }
        let bytes = try UserFiles.read(audit.logPath, what: "the event log")
        audit.stamp = LogStamp.framing(bytes)
        let log = LogReader(bytes)
        audit.logBytes = bytes.count
        audit.records = verification.records
        audit.events = verification.events
        audit.damageOffset = verification.damageOffset
        audit.damageReason = verification.damageReason
        audit.unchainedEvents = verification.unchainedEvents
        audit.rejectedEvents = verification.rejectedEvents
        if let offset = verification.damageOffset {
            let reason = verification.damageReason ?? "damaged"
            if verification.damageIsTornTail {
                audit.tornTail = true
                audit.warnings.append("\(audit.logPath) ends with \(bytes.count - offset) bytes of an unfinished write at byte \(offset) (\(reason)); the next opening cuts them")
            } else {
                audit.problems.append("\(audit.logPath) is damaged at byte \(offset) (\(reason)); the \(verification.records) records (\(verification.events) events) before it are intact")
            }
        }
        if verification.unchainedEvents > 0, NodeRecovery.asideFiles(in: directory).isEmpty { audit.problems.append("\(verification.unchainedEvents) events do not chain to their predecessor") }
        if verification.rejectedEvents > 0 { audit.problems.append("\(verification.rejectedEvents) events are refused by the history (bad hash chain)") }
        audit.problems += verification.historyProblems.map { "history: \($0)" }
        let middleDamage = verification.damageOffset != nil && !audit.tornTail

        // 2. The state the log holds, and in a signed ledger the signatures: record by
        // record, every event must lie below a valid head of its author, as a peer receiving
        // the records in this order would check (protocol/SPEC.md §9.3).
        var replica = Replica(node: identity.node, ledger: identity.ledgerID)
        if let ledger = identity.ledgerID {
            audit.checkSignatures(of: log.records, ledger: ledger, adopter: identity.creator?.publicKey, into: &replica)
        } else {
            replica.admit(contentsOf: log.allEvents)
        }
        audit.digest = replica.digest
        // After `carnet recover`, events whose predecessor was in the damage wait for it (a sync brings it), and come before it in the log.
        if verification.unchainedEvents > 0, replica.history.pendingCount > 0, !NodeRecovery.asideFiles(in: directory).isEmpty { audit.warnings.append("\(replica.history.pendingCount) events wait for a predecessor that was in the damage `carnet recover` set aside: `carnet sync` with a peer brings it") }

        // 3. The checkpoint against the log.
        do throws(Checkpoint.Problem) {
            let contents = try Checkpoint.read(directory: directory)
            audit.checkpointPresent = true
            audit.checkpointEvents = contents.events.count
            if let covered = log.events(upTo: contents.stamp) {
                let same = Set(covered.map(\.id)) == Set(contents.events.map(\.id)) && covered.count == contents.events.count
                audit.checkpointMatches = same
                if !same {
                    audit.problems.append("the checkpoint holds \(contents.events.count) events but the log holds \(covered.count) up to its \(contents.stamp); they differ")
                }
            } else if !middleDamage {
                audit.checkpointMatches = false
                audit.problems.append("the checkpoint covers a log state (\(contents.stamp)) that is not a prefix of this log")
            }
        } catch .missing {
            audit.warnings.append("no checkpoint (opening reads the whole log; one is written as the store grows)")
        } catch {
            audit.checkpointPresent = true
            audit.checkpointMatches = false
            audit.problems.append("\(error)")
        }

        // 4. Derived state: the status and views files against what the log gives.
        let ledger = LedgerState(replica: replica)
        let views = LedgerViews(replica: replica, ledger: ledger)
        if !middleDamage, let summary = StoreStatus.current(directory: directory) {
            let conflicts = views.conflicts.count
            var mismatches: [String] = []
            if summary.digest != audit.digest { mismatches.append("digest \(summary.digest.short) ≠ \(audit.digest.short)") }
            if summary.eventCount != replica.eventCount { mismatches.append("events \(summary.eventCount) ≠ \(replica.eventCount)") }
            if summary.forkCount != replica.forks.count { mismatches.append("forks \(summary.forkCount) ≠ \(replica.forks.count)") }
            if summary.pendingCount != replica.history.pendingCount { mismatches.append("pending \(summary.pendingCount) ≠ \(replica.history.pendingCount)") }
            if let stored = summary.derived[NodeStatus.conflictsKey], stored != conflicts { mismatches.append("conflicts \(stored) ≠ \(conflicts)") }
            audit.statusCurrent = true
            audit.statusMatches = mismatches.isEmpty
            if !mismatches.isEmpty {
                audit.problems.append("the status file disagrees with the log: \(mismatches.joined(separator: ", "))")
            }
        }
        // What reading commands show: the file, and the tail past it they add (SPEC §6.8).
        // Every section checked first: a reader skips those it does not show, `verify` does not.
        if !middleDamage,
           let whole = StampedSections.current(LedgerViewsFile.fileName, as: .views, directory: directory,
                                               wanted: Set(UInt8.min...UInt8.max), acceptingPrefix: true),
           let stored = LedgerViewsFile.current(directory: directory) {
            // Sections 17 and 18 are optional (SPEC §6.5): a file of an earlier build lacks them.
            var views = views
            if stored.nodeRecords == nil { views.nodeRecords = nil }
            if stored.members.chainEnds == nil {
                views.members.chainEnds = nil
                views.members.newNodes = nil
            }
            var differences = stored.differences(from: views)
            // The blocks a writer of one entry reads through must be those its sections give.
            differences += LedgerViewsFile.blockTablesDiffering(whole)
            // Section 9 is derived from the stock lines; what `stock` reads must be them summed.
            if LedgerViewsFile.current(directory: directory, parts: [.stockTotals])?.stock != StockTotals.of(views.stock, catalog: nil) {
                differences.append("stock totals")
            }
            // `==` on text is Unicode equivalence; the file must hold the very bytes.
            if differences.isEmpty, LedgerViewsFile.encode(stored) != LedgerViewsFile.encode(views) {
                differences.append("the spelling of a name")
            }
            audit.viewsCurrent = true
            audit.viewsMatch = differences.isEmpty
            if !differences.isEmpty {
                audit.problems.append("the views file disagrees with the log (\(differences.joined(separator: ", "))); "
                                          + "reading commands show it: delete \(directory)/\(LedgerViewsFile.fileName) and the next one rewrites it")
            }
        }

        if !middleDamage, let stored = EntryIndexFile.current(directory: directory) ?? Self.indexWithItsTail(directory, replica, audit.stamp) {
            var locations: [UInt64: EntryIndexFile.Location] = [:]
            for record in log.records {
                for (index, event) in record.events.enumerated() {
                    locations[event.hash.w0] = EntryIndexFile.Location(offset: record.offset, index: index)
                }
            }
            let made = EntryIndexBuilder.contents(replica: replica, ledger: ledger,
                                                  names: EntryIndexNames(catalog: views.catalog, labels: views.labels),
                                                  locations: locations)
            audit.entryIndexCurrent = true
            audit.entryIndexMatch = made == stored
            if made != stored {
                audit.problems.append("the entry index disagrees with the log; `show` and `log --limit` check each entry they read "
                                          + "but may miss one: delete \(directory)/\(EntryIndexFile.fileName) and the next write rewrites it")
            }
        }

        // 5. Entries a newer carnet wrote that this one cannot read: not damage.
        let unreadable = ledger.unreadable
        if !unreadable.isEmpty { audit.warnings.append("\(unreadable.count) entries cannot be read by this version (e.g. \(unreadable[0].reason))") }
        if !UserFiles.exists(directory + "/" + LedgerSecret.fileName) {
            audit.warnings.append("no ledger secret in \(directory)/\(LedgerSecret.fileName): sync will not work")
        }
        return audit
    }
}

extension StoreAudit {
    /// The entry index as readers take it when the log has grown past it (`DerivedTail`,
    /// SPEC §6.8): the file merged with the tail, as the next writer would write it, so that
    /// `verify` compares the rows the file holds with those a build from every entry makes.
    /// Nil when the file is not so taken.
    static func indexWithItsTail(_ directory: String, _ replica: Replica, _ stamp: LogStamp) -> EntryIndexFile.Contents? {
        let storage = PosixStorage()
        guard let previous = EntryIndexBuilder.previousFile(upTo: stamp, directory: directory, storage: storage),
              let tail = DerivedTail.after(previous.stamp, directory: directory, storage: storage), tail.end == stamp,
              let tables = EntryIndexTables(body: previous.body, stamp: previous.stamp),
              let names = EntryIndexFile.decodeBody(previous.body, stamp: previous.stamp, withIDs: false)?.names,
              let labels = OwnLabelWrite.labels(tail.ownLabelWrites()),
              let body = try? EntryIndexMerge.body(previous: tables, previousStamp: previous.stamp, replica: replica,
                                                   names: names.adding(labels: labels),
                                                   stamp: stamp, directory: directory, storage: storage) else { return nil }
        return EntryIndexFile.decodeBody(body, stamp: stamp)
    }
}
