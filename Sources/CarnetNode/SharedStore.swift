import CarnetCore
import CarnetLedger
import CarnetStore
import CarnetSync
import CarnetSystem
import CarnetWire
import struct Foundation.Date

/// The node's store shared by every session thread of `carnet serve` (and by `carnet
/// sync`'s one session): one lock around the `NodeStore`, so persisting a batch, computing
/// what a peer lacks and taking in the CLI's writes never interleave.
///
/// `@unchecked Sendable` is sound: every stored property is either immutable or touched
/// only under `lock` (a pthread mutex), and the store is never handed out.
public final class SharedStore: @unchecked Sendable {
    private let lock = Lock()
    /// The reservations of this node's sessions (`SharedStore+Grants`).
    let reservations = Reservations()
    private var store: NodeStore
    /// Events in the order this process learned them (written, received, or appended by
    /// another process), for live sessions to push; trimmed as sessions read it.
    private var feed: [(event: Event, from: Int)] = []
    private var feedBase = 0
    private var cursors: [Int: Int] = [:]
    private var nextSessionID = 1
    private var listeners: [Int: @Sendable () -> Void] = [:]
    /// The listeners by session number: sessions are woken in the order they registered,
    /// so that a simulated run (whose wakes schedule its next steps) replays from its seed.
    /// A dictionary's own order changes with each process's hash seed.
    private var listenersInOrder: [(key: Int, value: @Sendable () -> Void)] {
        listeners.sorted { $0.key < $1.key }
    }
    private var changedSinceStatus = false
    /// The ledger's views, kept current as events arrive, so that leaving the status and
    /// views files current costs what changed, not the whole ledger, under the lock.
    private var fold = LedgerFold()
    /// Whether `fold` has caught up with the replica since this process opened it: until
    /// then, catching it up folds every event (seconds at a million), which `serve` does
    /// outside the lock (`saveServedStatus`, `warmFold`) rather than under it, and only for
    /// what the files beside the log cannot take. `foldGeneration` is bumped with the store
    /// reopened and the fold let go (`coolFold`).
    private var foldWarm = false
    private var foldGeneration = 0
    /// A save building the views outside the lock (one at a time), and what the last one
    /// and the warm-up cost: stopping skips a save that would take longer than its budget.
    private var saving = false
    private var lastSaveCost: Duration?
    private var warmCost: Duration?
    /// When a save last folded (`coolFold` lets an unused fold go), and how many saves the
    /// files took alone (`ServedFilesSave`).
    private var lastFoldUse: ContinuousClock.Instant?
    private var savesFromTheFiles = 0
    private var lastFoldReason: String?
    private var foldedSaves = 0
    /// Saves in a row left for the next because another writer was writing the files.
    private var savesWaitingForAWriter = 0
    static let savesWaitingForAWriterAtMost = 5
    /// Set by the stopping save: a save still building its views on another thread then
    /// writes nothing, so the process may exit without waiting for it.
    private var closed = false

    /// Whether a served save is building its views (the server starts one at a time).
    public var isSaving: Bool { lock.withLock { saving } }
    public let directory: String
    /// The wall clock, in ms since 1970, for opening the store again (its HLC resumes from it).
    private let wallClock: @Sendable () -> UInt64
    /// The disk, and where a fresh node id comes from when the node continues under one:
    /// inputs, so that a simulation can run the node on a simulated disk and stay
    /// deterministic (the defaults are the real disk and the system's randomness).
    private let storage: any Storage
    private let freshNodeID: @Sendable () -> NodeID
    /// Whether the store reads old events back from its checkpoint instead of keeping
    /// them in memory (`NodeStore.keepsChainsCold`).
    private let keepingChainsCold: Bool

    /// `keepingChainsCold`: for a process that stays up (`serve`), whose resident memory
    /// should follow the ledger's state, not its history; see `NodeStore`.
    public init(directory: String, wallMillis: UInt64,
                wallClock: @escaping @Sendable () -> UInt64 = { UInt64(Date().timeIntervalSince1970 * 1000) },
                storage: any Storage = PosixStorage(), keepingChainsCold: Bool = false,
                freshNodeID: @escaping @Sendable () -> NodeID = SharedStore.randomNodeID) throws(NodeError) {
        do {
            store = try NodeStore(directory: directory, wallMillis: wallMillis, storage: storage,
                                  keepingChainsCold: keepingChainsCold, freshNodeID: freshNodeID)
        } catch {
            throw .store(error)
        }
        self.directory = directory
        self.wallClock = wallClock
        self.storage = storage
        self.freshNodeID = freshNodeID
        self.keepingChainsCold = keepingChainsCold
        if keepingChainsCold, store.replica.history.coldCount > 0 { FreedMemory.giveBack() }
    }

    /// A node id for a directory that turns out to be a copy (it continues under it).
    public static func randomNodeID() -> NodeID {
        var generator = SystemRandomNumberGenerator()
        return NodeID(using: &generator)
    }

    /// Opens the store again from disk after a write or fsync failed: the log appends
    /// nothing more until then (fail-stop). Recovery cuts what the failed record left and
    /// the replica becomes what the disk holds; never a retry of the failed call on the
    /// same file, whose later fsync could succeed over pages the kernel already dropped.
    /// Returns what the disk holds that the old replica did not (other processes'
    /// appends), news for live sessions. Without it `serve` refused every batch and
    /// write until restarted (RELIABILITY.md, store fail-stop rules).
    private func lockedReopenIfNeeded() throws(NodeError) -> [Event] {
        guard store.needsReopen else { return [] }
        let known = store.replica.history
        do {
            store = try NodeStore(directory: directory, wallMillis: wallClock(), storage: storage,
                                  keepingChainsCold: keepingChainsCold, freshNodeID: freshNodeID)
        } catch {
            throw .reopenFailed(error)
        }
        // Recovery may have cut events the old replica held (never acknowledged).
        fold = LedgerFold()
        foldWarm = false
        foldGeneration += 1
        changedSinceStatus = true
        return store.replica.allEvents.filter { !known.contains($0.id) }
    }

    public var identity: NodeIdentity { lock.withLock { store.identity } }

    /// What the node holds now (a copy-on-write value: cheap), for a program that embeds
    /// the node and checks it, as the deterministic simulation does.
    public var replica: Replica { lock.withLock { store.replica } }

    /// What this node tells a peer after authentication.
    public func summaryMessage(live: Bool) -> SummaryMessage {
        lock.withLock { lockedSummaryMessage(live: live) }
    }

    private func lockedSummaryMessage(live: Bool) -> SummaryMessage {
        SummaryMessage(live: live, node: store.identity.node, ledger: store.identity.ledger,
                       label: store.identity.label, summary: store.replica.compactSummary)
    }

    /// This node's summary and fork count, when it holds more forks than `forks`: a
    /// session that summarized at `forks` must tell its peer (`Session.historyChanged`),
    /// whichever session or process brought the fork. Both are read under one lock.
    public func summaryIfForked(since forks: Int, live: Bool) -> (forks: Int, summary: SummaryMessage)? {
        lock.withLock {
            let now = store.replica.forks.count
            return now > forks ? (now, lockedSummaryMessage(live: live)) : nil
        }
    }

    public var summary: HistorySummary { lock.withLock { store.replica.summary } }

    /// A peer's compact summary in full, as far as this node can name its events
    /// (`Replica.expand`): what the node remembers of a peer's holdings.
    public func expand(_ compact: CompactSummary) -> HistorySummary {
        lock.withLock { store.replica.expand(compact) }
    }

    /// Places where a node has two histories (restored backups, forged events).
    public var forkCount: Int { lock.withLock { store.replica.forks.count } }

    /// The context of a primed batch: `count` events of `node`'s first branch up to `endSeq`.
    public func chainEvents(of node: NodeID, endingAt endSeq: UInt64, count: Int) -> [Event]? {
        lock.withLock { store.replica.history.chainEvents(of: node, endingAt: endSeq, count: count) }
    }

    /// What a peer lacks, as ranges a session reads batch by batch: cheap under the lock
    /// however much the peer lacks.
    public func missingPlan(from peer: CompactSummary) -> MissingPlan {
        lock.withLock { store.replica.missingPlan(from: store.replica.expand(peer)) }
    }

    /// Persists a batch from a peer (one fsynced record) and applies it. Returns how many
    /// events were new to this store.
    public func persist(_ events: [Event], fromSession session: Int) throws(NodeError) -> Int {
        try persist(SignedEvents(events: events), fromSession: session)
    }

    public var signsBatches: Bool { identity.isSigned }

    /// Whether this node's live sessions speak grants (SPEC 8.3 rule 8), as `serve` sets
    /// them (and the benchmark's hub, as `serve`): in both formats. Live sessions are where
    /// relay storms come from, and grants bound them (each event reaches a hub once, but for
    /// a batch cut in flight). A
    /// signed ledger speaks them too since its sender cuts a granted part at a signed head
    /// (SPEC 8.3 rule 8, "A signed sender's cut"): the simulation's 300 signed seeds pass
    /// with grants, with 537 duplicate copies at hubs against 189,187 without
    /// (BENCHMARKS §7). A one-shot `carnet sync` does not ask for them (`SyncCommand`):
    /// they would cost its delta a round trip.
    public var speaksGrants: Bool { true }

    /// The ledger's id (signed ledgers): bound into the handshake.
    public var ledgerID: LedgerID? { identity.ledgerID }

    public func signedHead(at id: EventID) -> SignedHead? {
        lock.withLock { store.signedHead(at: id) }
    }

    /// A signed ledger refuses a batch its heads do not vouch for, naming why: the peer is
    /// told, and sends that node no more in this session. Persisting checks again, under
    /// the lock that makes it true.
    public func refusal(of batch: SignedEvents) -> String? {
        lock.withLock {
            guard let ledger = store.identity.ledgerID else { return nil }
            if let rejection = SignedChains.rejection(of: batch.events, heads: batch.heads, ledger: ledger,
                                                     held: store.replica.heldChains(adopter: store.identity.creator?.publicKey)) {
                return "refused: \(rejection)"
            }
            return DeviceBound.refusal(of: batch.events, into: store.replica)
        }
    }

    /// This node's device key (signed ledgers), for its sessions' device proofs.
    public var deviceKey: NodeKey? {
        lock.withLock { store.deviceKey }
    }

    /// Signs a session's handshake hash with the device key (SPEC 8.2.7).
    public func signWithDevice(_ message: [UInt8]) -> [UInt8]? {
        lock.withLock { store.signWithDevice(message) }
    }

    /// The key `node` declared, as this node holds it.
    public func declaredKey(of node: NodeID) -> NodeKey? {
        lock.withLock { store.declaredKey(of: node) }
    }

    /// See `PeerStore.chainToSignedHead(after:)`.
    public func chainToSignedHead(after id: EventID) -> (events: [Event], head: SignedHead)? {
        lock.withLock { store.chainToSignedHead(after: id) }
    }

    /// Makes a peer's or a bundle's events durable, with the heads that vouch for them (a
    /// signed ledger stores nothing they do not cover; see `NodeStore.persist`).
    public func persist(_ batch: SignedEvents, fromSession session: Int) throws(NodeError) -> Int {
        let events = batch.events
        let (result, wake) = try lock.withLock { () throws(NodeError) -> (Int, [@Sendable () -> Void]) in
            let reopened = try lockedReopenIfNeeded()
            let nodeBefore = store.identity.node
            var seen = Set<EventID>()
            let fresh = events.filter { !store.replica.history.contains($0.id) && seen.insert($0.id).inserted }
            do throws(StoreError) {
                try store.persist(batch)
            } catch {
                throw .store(error)
            }
            // What another process (the CLI) appended, taken in on the way: news for every
            // live peer, this session's included.
            let foreign = reopened + store.takeEventsFromOtherWriters()
            appendToFeed(foreign, from: 0)
            guard !fresh.isEmpty || !foreign.isEmpty else { return (0, []) }
            appendToFeed(fresh, from: session)
            if store.identity.node != nodeBefore {
                // The batch showed this node its own history forked: it continues under a
                // new id, linked by one event (in a signed ledger, after its key
                // declaration). Every live peer needs those events before the node's next
                // writes, this session's peer too: its news of the new id would otherwise
                // come first, and a signed peer refuses a node whose key it does not hold,
                // then hears no more of it in a session that may live for weeks (signed
                // simulation seed 100113). The session's queue sends no event twice.
                appendToFeed(store.replica.history.events(of: store.identity.node), from: 0)
            }
            changedSinceStatus = true
            let wake = foreign.isEmpty ? listenersInOrder.filter { $0.key != session }.map(\.value) : listenersInOrder.map(\.value)
            return (fresh.count, Array(wake))
        }
        for notify in wake { notify() }
        return result
    }

    /// Writes local operations as one durable record and hands them to live sessions at
    /// once: for a program that embeds the node (and the hub soak), where going through a
    /// second `NodeStore` and `refresh()` would re-open the log for every write.
    @discardableResult
    public func write(_ operations: [Operation], wallMillis: UInt64) throws(NodeError) -> [Event] {
        let (events, wake) = try lock.withLock { () throws(NodeError) -> ([Event], [@Sendable () -> Void]) in
            let reopened = try lockedReopenIfNeeded()
            appendToFeed(reopened, from: 0)
            let events: [Event]
            do throws(StoreError) {
                events = try store.writeBatch(operations, wallMillis: wallMillis)
            } catch {
                throw .store(error)
            }
            changedSinceStatus = true
            appendToFeed(store.takeEventsFromOtherWriters() + events, from: 0)
            return (events, listenersInOrder.map(\.value))
        }
        for notify in wake { notify() }
        return events
    }

    /// Takes in what other processes (the CLI) appended to the log; wakes live sessions.
    @discardableResult
    public func refresh() throws(NodeError) -> Int {
        let (count, wake) = try lock.withLock { () throws(NodeError) -> (Int, [@Sendable () -> Void]) in
            let reopened = try lockedReopenIfNeeded()
            let events: [Event]
            do throws(StoreError) {
                events = try reopened + store.refresh()
            } catch {
                throw .store(error)
            }
            guard !events.isEmpty else { return (0, []) }
            changedSinceStatus = true
            appendToFeed(events, from: 0)
            return (events.count, listenersInOrder.map(\.value))
        }
        for notify in wake { notify() }
        return count
    }

    // MARK: - Live feed

    /// Registers a session and returns what it tells its peer, both under one lock: every
    /// event is then either in that summary or in the session's feed. (Taken apart, an
    /// event arriving between the two was in neither, and a live peer never got it.) The
    /// fork count goes with the summary, for `summaryIfForked`. `wake` is called (from any
    /// thread) when there is news.
    public func register(live: Bool, wake: @escaping @Sendable () -> Void) -> (session: Int, summary: SummaryMessage, forks: Int) {
        lock.withLock {
            let id = nextSessionID
            nextSessionID += 1
            listeners[id] = wake
            // A session this side keeps one-shot never reads news: a cursor would keep
            // every event it brings in the feed (200 MB of a farm's first sync at 1M).
            if live { cursors[id] = feedBase + feed.count }
            return (id, lockedSummaryMessage(live: live), store.replica.forks.count)
        }
    }

    public func unregister(_ session: Int) {
        lock.withLock {
            listeners[session] = nil
            cursors[session] = nil
            trimFeed()
        }
    }

    /// Events learned since this session last asked, except those its own peer sent.
    public func news(for session: Int) -> [Event] {
        lock.withLock {
            guard let cursor = cursors[session] else { return [] }
            let start = cursor - feedBase
            let events = feed[start...].filter { $0.from != session }.map(\.event)
            cursors[session] = feedBase + feed.count
            trimFeed()
            return events
        }
    }

    /// How many events the feed holds for live sessions (what tests look at).
    var feedLength: Int { lock.withLock { feed.count } }

    /// Keeps `events` for the live sessions but `session` (their source): with none, no
    /// session will ever read them (a later one starts past them).
    private func appendToFeed(_ events: [Event], from session: Int) {
        guard cursors.keys.contains(where: { $0 != session }) else { return }
        feed += events.map { ($0, session) }
    }

    private func trimFeed() {
        let low = cursors.values.min() ?? (feedBase + feed.count)
        let drop = low - feedBase
        if drop > 0 {
            feed.removeFirst(drop)
            feedBase = low
        }
    }

    // MARK: - Status

    /// Rewrites the status file (and a checkpoint when due) if anything changed, so that
    /// `carnet status` answers at once. Failures are returned, never thrown: every event
    /// is already durable in the log. From the files beside the log when they can take what
    /// arrived (`ServedFilesSave`: a farm that holds the hub's million entries takes the
    /// day's few without folding them all); otherwise every event is folded (`carnet
    /// sync`, which must leave the views current; `force`, always). `serve` calls
    /// `saveServedStatus` instead, which folds outside the lock.
    public func saveStatusIfChanged(force: Bool = false) -> String? {
        lock.withLock { () -> String? in
            guard changedSinceStatus || force else { return nil }
            if !force, let files = try? ServedFilesSave.make(directory: directory, storage: storage, replica: store.replica,
                                                             end: store.stamp) {
                changedSinceStatus = false
                var warnings: [String] = []
                do {
                    if try store.saveCheckpointIfDue(), keepingChainsCold, foldWarm { fold.readHistory(of: store.replica) }
                } catch {
                    warnings.append("\(error)")
                }
                warnings += files.write(into: &store)
                savesFromTheFiles += 1
                return warnings.isEmpty ? nil : warnings.joined(separator: "; ")
            }
            return lockedSave(checkpoint: true)
        }
    }

    /// `serve`'s save: like `saveStatusIfChanged`, but never the whole ledger under the
    /// lock that sessions and the CLI's writes need, and no fold held for it while the
    /// files can take what arrived.
    ///
    /// First from the files beside the log (`ServedFilesSave`): what the sessions appended
    /// since the status file is added to the part of the views it touches, as `record` and
    /// `merge` add theirs, and the status file names the tail (every 256 events, the views
    /// file is patched and the entry index merged). Only when the files cannot tell (a
    /// register another node wrote, a void, a fork, files not current) are the views
    /// folded: outside the lock, from a copy of the replica and the fold (taken out of the
    /// store meanwhile; caught up from nothing the first time, seconds at a million), and
    /// written under it only if the log is still the one they describe; if it moved on,
    /// the next call tries again (the fold keeps what it caught up). The fold is then kept
    /// for the saves that follow, and let go once `coolFold` finds it unused for a while.
    ///
    /// `stopping`: no checkpoint (a full replica written out; the log holds every
    /// acknowledged event and the next open replays past the older checkpoint), and no
    /// fold if the last took more than `budget` or, never made, would fold more than
    /// `coldFoldWhenStoppingAtMost` events: `serve` stops within 2 s at any size. Files
    /// left stale are stamped with the log they describe, so readers refuse them and
    /// rebuild, never believe them.
    public func saveServedStatus(stopping: Bool, budget: Duration = .milliseconds(500)) -> String? {
        let clock = ContinuousClock()
        let started = clock.now
        var warnings: [String] = []
        let taken = lock.withLock { () -> (replica: Replica, stamp: LogStamp)? in
            if stopping { closed = true }
            guard changedSinceStatus, !saving, !closed || stopping else { return nil }
            if !stopping {
                do {
                    if try store.saveCheckpointIfDue(), keepingChainsCold {
                        // The new checkpoint took the events since the last: they left
                        // memory, unless the fold's members still read the history
                        // that held them.
                        if foldWarm { fold.readHistory(of: store.replica) }
                        FreedMemory.giveBack()
                    }
                } catch {
                    warnings.append("\(error)")
                }
            }
            saving = true
            changedSinceStatus = false
            return (store.replica, store.stamp)
        }
        guard let taken else { return warnings.isEmpty ? nil : warnings.joined(separator: "; ") }
        let files: ServedFilesSave?
        do {
            files = try ServedFilesSave.make(directory: directory, storage: storage, replica: taken.replica, end: taken.stamp)
        } catch {
            files = nil
            // Another writer in the middle of writing the files: the next save will find them
            // whole, rather than this one fold every event. Not forever: a writer that died
            // half-way leaves them so.
            let waits = lock.withLock { () -> Bool in
                lastFoldReason = error.description
                guard error.raced, !stopping, savesWaitingForAWriter < Self.savesWaitingForAWriterAtMost else { return false }
                savesWaitingForAWriter += 1
                saving = false
                changedSinceStatus = true
                return true
            }
            if waits { return warnings.isEmpty ? nil : warnings.joined(separator: "; ") }
        }
        lock.withLock { savesWaitingForAWriter = 0 }
        if let files {
            lock.withLock {
                saving = false
                guard store.stamp == files.end, !store.needsReopen, !closed || stopping else {
                    changedSinceStatus = true
                    return
                }
                warnings += files.write(into: &store)
                savesFromTheFiles += 1
            }
        } else {
            warnings += savedFromAFold(of: taken.replica, at: taken.stamp, stopping: stopping, budget: budget, started: started)
        }
        return warnings.isEmpty ? nil : warnings.joined(separator: "; ")
    }

    /// How many events a stopping save folds when no fold was made yet (whose cost is not
    /// known): a small ledger's views are then still left current.
    public static let coldFoldWhenStoppingAtMost = 20_000

    /// `saveServedStatus` when the files could not take what arrived: the views folded from
    /// `replica` (at `stamp`) outside the lock, and every file written under it.
    private func savedFromAFold(of replica: Replica, at stamp: LogStamp, stopping: Bool, budget: Duration,
                                started: ContinuousClock.Instant) -> [String] {
        let clock = ContinuousClock()
        var taken = lock.withLock { () -> (fold: LedgerFold, generation: Int)? in
            if stopping {
                let tooLong = foldWarm ? (lastSaveCost ?? warmCost).map { $0 > budget } ?? false
                    : replica.eventCount > Self.coldFoldWhenStoppingAtMost
                if tooLong {
                    saving = false
                    changedSinceStatus = true
                    return nil
                }
            }
            // The fold leaves the store while it catches up outside the lock: a copy left
            // there would be duplicated whole by the first event folded (a second fold in
            // memory, 300 MB at 1M, at every save). Nothing else reads it meanwhile: `saving`
            // keeps the other served saves out, and a reopen starts a fold of its own
            // (`foldGeneration`), so the one taken is put back only if none did.
            let taking = fold
            fold = LedgerFold()
            return (taking, foldGeneration)
        }
        guard let generation = taken?.generation, var caughtUp = taken?.fold else { return [] }
        // `caughtUp` is now the fold's one holder: catching it up does not copy it.
        taken = nil
        var warnings: [String] = []
        let views = LedgerViews(replica: replica, fold: &caughtUp)
        let body = LedgerViewsFile.encode(views)
        let entries = EntryIndexFile.body(replica: replica, names: EntryIndexNames(catalog: views.catalog, labels: views.labels),
                                          stamp: stamp, directory: directory,
                                          storage: storage)
        lock.withLock {
            saving = false
            // Counted and timed even when it is not kept: `serve`'s log tells every fold.
            foldedSaves += 1
            lastSaveCost = clock.now - started
            guard generation == foldGeneration else {
                changedSinceStatus = true
                return
            }
            fold = caughtUp
            foldWarm = true
            lastFoldUse = clock.now
            guard store.stamp == stamp, !store.needsReopen, !closed || stopping else {
                changedSinceStatus = true
                return
            }
            do {
                try store.saveStatus(derived: [NodeStatus.conflictsKey: views.conflicts.count])
            } catch {
                warnings.append("could not update the status file (\(error)); `carnet status` will read the log next time")
            }
            do {
                try store.saveStampedFile(LedgerViewsFile.fileName, as: .views, body: body)
            } catch {
                warnings.append("could not update the views file (\(error)); reading commands will read the log next time")
            }
            do {
                if let entries {
                    try store.saveStampedFile(EntryIndexFile.fileName, as: .entries, body: entries, stamp: stamp)
                } else {
                    warnings.append("could not build the entry index; `show` and `log` will open the store")
                }
            } catch {
                warnings.append("could not update the entry index (\(error)); `show` and `log` will open the store next time")
            }
            lastSaveCost = clock.now - started
        }
        return warnings
    }

    /// Lets the fold go when no save needed it for `unused` (`serve` calls it as it
    /// maintains): resident memory then follows the replica, not the views, until events
    /// arrive that the files cannot take. False while a save is running.
    @discardableResult
    public func coolFold(unusedFor unused: Duration) -> Bool {
        let cooled = lock.withLock { () -> Bool in
            guard foldWarm, !saving, let last = lastFoldUse, ContinuousClock().now - last >= unused else { return false }
            fold = LedgerFold()
            foldWarm = false
            foldGeneration += 1
            return true
        }
        if cooled { FreedMemory.giveBack() }
        return cooled
    }

    /// Why the files beside the log could not take what the last folded save saved.
    var whyLastSaveFolded: String? { lock.withLock { lastFoldReason } }

    /// How many served saves folded every event (the fold made or caught up), and why the
    /// last did: what `serve` logs, since at ten million entries a fold takes minutes.
    var foldedSaveCount: (count: Int, why: String?, cost: Duration?) { lock.withLock { (foldedSaves, lastFoldReason, lastSaveCost) } }

    /// Whether a fold is kept for the saves (what tests look at).
    public var holdsAWarmFold: Bool { lock.withLock { foldWarm } }

    /// How many saves were made from the files beside the log (what tests look at).
    public var savesMadeFromTheFiles: Int { lock.withLock { savesFromTheFiles } }

    private func lockedSave(checkpoint: Bool) -> String? {
        changedSinceStatus = false
        let warnings = checkpoint ? store.saveDerivedState(fold: &fold) : store.saveStatusAndViews(fold: &fold).warnings
        foldWarm = true
        return warnings.isEmpty ? nil : warnings.joined(separator: "; ")
    }

    /// Catches the fold up with the whole ledger outside the lock: on a copy of the
    /// replica (copy-on-write, cheap to take), then installed unless the store was opened
    /// again meanwhile; the next save folds only what arrived since the copy. For `serve`,
    /// on a thread of its own that stopping does not wait for (it touches memory only).
    public func warmFold() {
        let (replica, generation, warm) = lock.withLock { (store.replica, foldGeneration, foldWarm) }
        guard !warm else { return }
        let clock = ContinuousClock()
        let started = clock.now
        var warmed = LedgerFold()
        warmed.catchUp(with: replica)
        lock.withLock {
            guard generation == foldGeneration, !foldWarm else { return }
            fold = warmed
            foldWarm = true
            warmCost = clock.now - started
            lastFoldUse = clock.now
        }
    }
}
