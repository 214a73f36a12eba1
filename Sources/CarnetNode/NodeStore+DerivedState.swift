import CarnetCore
import CarnetLedger
import CarnetStore
import CarnetSystem
import CarnetWire

extension NodeStore {
    /// After events were appended (by a command, a session or a bundle): a checkpoint when
    /// due, the status file with the derived counts, and the views file, so that the next
    /// `status`, `stock` or `conflicts` answers without reading the log. Written once for
    /// the command line and `serve`. Returns warnings: every event is already durable, so
    /// nothing here fails a command.
    ///
    /// `fold` follows this store's replica: caught up here, it makes the views from what
    /// changed since it last did (for `serve`, a few events; for a command, everything).
    mutating func saveDerivedState(fold: inout LedgerFold) -> [String] {
        let (appended, warnings) = saveCheckpointKeepingPlaces()
        return warnings + saveStatusAndViews(fold: &fold, appended: consume appended).warnings
    }

    /// The checkpoint when due (its failure the warning), and where the events this store
    /// appended lie, taken before the checkpoint forgets them: after a first sync, where
    /// each of the million events received lies, so that the entry index need not read
    /// them all.
    private mutating func saveCheckpointKeepingPlaces() -> (appended: [UInt64: EntryIndexFile.Location], warnings: [String]) {
        let appended = appendedLocations()
        do {
            try saveCheckpointIfDue()
            return (appended, [])
        } catch {
            return (appended, ["\(error)"])
        }
    }

    /// The views of the state held (from `fold`, caught up), with the status and views
    /// files and the entry index rewritten to match; failures to write are the warnings.
    ///
    /// The entry index comes first, before the fold catches up: after a first sync both are
    /// built from every event, and one after the other their tables are never in memory
    /// together (at 1M, the index's rows and places some 250 MB, the fold's tables 350).
    /// `appended`: where the events this store appended lie (`appendedLocations`), when
    /// taken before a checkpoint; otherwise taken here. Consumed by the index, and gone
    /// before the fold catches up.
    mutating func saveStatusAndViews(fold: inout LedgerFold, appended: consuming [UInt64: EntryIndexFile.Location]? = nil)
        -> (views: LedgerViews, warnings: [String]) {
        var warnings: [String] = []
        if let warning = saveEntryIndex(names: EntryIndexNames(replica: replica),
                                        appended: (consume appended) ?? appendedLocations()) {
            warnings.append(warning)
        }
        // The index's tables are freed; their pages go back before the fold's are taken
        // (otherwise the allocator keeps them, and resident memory is the sum again).
        FreedMemory.giveBack()
        let views = LedgerViews(replica: replica, fold: &fold)
        return (views, warnings + saveStatusAndViewsFiles(views))
    }

    /// After this node appended what `views` already count (made from the views file
    /// without a fold: `LedgerViews.appending`): the checkpoint when due, the entry index,
    /// the status and the views files, as `saveDerivedState(fold:)` leaves them.
    ///
    /// `added`: the events the views took since the files were read, every event of the log
    /// past them accepted. The entry index is merged with them (`EntryIndexMerge`, with each
    /// writer's standing in a ledger with members) rather than built from every entry: at a
    /// million entries the build walks every event.
    mutating func saveDerivedState(views: LedgerViews, added: [Event]) -> [String] {
        var (appended, warnings) = saveCheckpointKeepingPlaces()
        // The names from the views, which hold the catalog and the labels of this state: made
        // from the replica, a ledger with members judged every catalog write again, reading
        // each one's event from the cold chains (a third of a farm's merge into a 1M hub).
        let names = EntryIndexNames(catalog: views.catalog, labels: views.labels)
        if let body = mergedEntryIndex(names: names, added: added, members: views.members) {
            do {
                try saveStampedFile(EntryIndexFile.fileName, as: .entries, body: body, stamp: stamp)
            } catch {
                warnings.append("could not update the entry index (\(error)); `show` and `log` will open the store next time")
            }
        } else if let warning = saveEntryIndex(names: names, appended: consume appended) {
            warnings.append(warning)
        }
        return warnings + saveStatusAndViewsFiles(views)
    }

    /// The entry index at this state merged from the previous file and `added` (see
    /// `saveDerivedState(views:added:)`); nil when the merge refuses.
    private func mergedEntryIndex(names: EntryIndexNames, added: [Event], members: MembersView) -> [UInt8]? {
        guard !added.isEmpty, replica.history.pendingCount == 0,
              let previous = EntryIndexBuilder.previousFile(upTo: stamp, directory: directory, storage: fileStorage),
              let tables = EntryIndexTables(body: previous.body, stamp: previous.stamp) else { return nil }
        let standings = EntryIndexStanding.counting(writers: added.map(\.dot.node), andTailOf: members, ownNode: identity.node)
        return try? EntryIndexMerge.body(previous: tables, previousStamp: previous.stamp, replica: AppendedToAcceptedLog(added),
                                         names: names, stamp: stamp, directory: directory, storage: fileStorage,
                                         newStandings: standings)
    }

    /// The status file with the views' conflicts counted, and the views file; failures to
    /// write are the warnings.
    private mutating func saveStatusAndViewsFiles(_ views: LedgerViews) -> [String] {
        var warnings: [String] = []
        do {
            try saveStatus(derived: [NodeStatus.conflictsKey: views.conflicts.count])
        } catch {
            warnings.append("could not update the status file (\(error)); `carnet status` will read the log next time")
        }
        if let warning = saveViews(views) { warnings.append(warning) }
        return warnings
    }

    /// Writes the entry index (§6.7) for the state held, at the views file's moments and
    /// stamp, so that `show` and `log --limit` answer without opening the store; `names`
    /// from the views of the same state, `appended` where the events this store appended
    /// lie. A warning when it could not.
    mutating func saveEntryIndex(names: EntryIndexNames, appended: consuming [UInt64: EntryIndexFile.Location]) -> String? {
        let stamp = self.stamp
        guard let body = EntryIndexFile.body(replica: replica, names: names, stamp: stamp, directory: directory,
                                             storage: fileStorage, appended: consume appended) else {
            return "could not build the entry index (the log does not read as the store read it); `show` and `log` will open the store"
        }
        do {
            try saveStampedFile(EntryIndexFile.fileName, as: .entries, body: body, stamp: stamp)
            return nil
        } catch {
            return "could not update the entry index (\(error)); `show` and `log` will open the store next time"
        }
    }

    /// Where the events this store appended to its log since its last checkpoint lie, by the
    /// first 8 bytes of their hash (`NodeStore.forEachAppendedEvent`; empty for a warm store).
    func appendedLocations() -> [UInt64: EntryIndexFile.Location] {
        var locations: [UInt64: EntryIndexFile.Location] = [:]
        forEachAppendedEvent { prefix, record, index in
            locations[prefix] = EntryIndexFile.Location(offset: record, index: index)
        }
        return locations
    }

    /// Writes the views file; a warning when it could not (reading commands then open the
    /// store, slower but as exact).
    mutating func saveViews(_ views: LedgerViews) -> String? {
        do {
            try saveStampedFile(LedgerViewsFile.fileName, as: .views, body: LedgerViewsFile.encode(views))
            return nil
        } catch {
            return "could not update the views file (\(error)); reading commands will read the log next time"
        }
    }
}
