import CarnetCore
import CarnetSystem
import CarnetWire

/// One node's durable store: its identity, its event log and the replica they hold.
///
/// Every write and every received batch is in the log (fsynced) before it is applied and
/// acknowledged. Opening a directory that was copied or restored from a backup, or whose
/// own history has forked, continues under a new node id linked to the old one, so the
/// node never reuses sequence numbers it may already have used elsewhere.
public struct NodeStore: ~Copyable {
    public let directory: String
    public private(set) var identity: NodeIdentity
    public private(set) var replica: Replica
    private var log: EventLog
    private let freshNodeID: () -> NodeID
    /// This device's key under the current incarnation's salt (signed ledgers only).
    private var signer: DeviceSigner?
    /// The disk: the real one unless a test simulates one.
    private let storage: any Storage
    public let opening: OpeningReport
    /// Set once this store has continued under a new id because a sync showed its own
    /// history forked (a restore that kept the directory's inode, e.g. a disk image).
    public private(set) var continuedAfterSync: NodeID?
    /// Other writers' events that a write or a receive took in on the way (they must be
    /// read before appending): `refresh()` and `takeEventsFromOtherWriters()` return them, so a
    /// server's live sessions learn of every event another process wrote, however it
    /// came in. (Dropped on the floor, a `carnet record` made while `serve` persisted a
    /// batch was pushed to no live peer.)
    private var foreignSinceRefresh: [Event] = []
    /// Events the newest checkpoint (read or written by this store) holds.
    public private(set) var checkpointedEvents: Int
    /// Whether this store keeps the events its checkpoint holds out of memory, reading them
    /// back from it (`CheckpointChains`): a long-running server's choice.
    public let keepsChainsCold: Bool
    /// What a cold store reads its old events back from: the checkpoint it opened or wrote
    /// last, and the records it appended to the log since.
    private(set) var coldCheckpoint: CheckpointChains?
    private var coldLog = LogChains()
    private let coldRecords = RecentlyDecodedPieces()
    /// The log as a cold store reads back what it appended: opened at the first append,
    /// then read within each later stamp (`LogRecordReader.reading(upTo:)`) instead of
    /// opened again for every append. The same file the log appends to (it is never
    /// replaced under an open store: only middle damage makes a new one, and no store
    /// opens a log with middle damage), and a read-only descriptor holds no lock.
    private var coldReader: LogRecordReader?
    /// Where the events a cold store appended that were left waiting for a predecessor
    /// lie: when they join their chain, they can leave memory too.
    private var waitingLocations: [EventID: (record: Int, index: Int)] = [:]

    /// What opening found.
    public struct OpeningReport: Sendable, Equatable {
        public var recovery: RecoveryReport
        /// Events taken from the checkpoint (the log was read only after its state), or
        /// nil when the whole log was read; then `checkpointProblem` says why.
        public var checkpointEvents: Int?
        public var checkpointProblem: String?
        /// Set when the store continued under a new node id: the id it continues, and why.
        public var continuedFrom: NodeID?
        public var reason: String?
    }

    /// Creates a node in an empty (or new) directory. With `signed` (a ledger id and this
    /// device's signer), the node belongs to a signed ledger: its key goes to `device.key`
    /// and its first event, signed, declares the public half; `node` must be the signer's.
    public static func create(directory: String, ledger: String, label: String, node: NodeID,
                              signed: (ledger: LedgerID, device: DeviceSigner)? = nil,
                              creator: LedgerCreator? = nil,
                              wallMillis: UInt64 = 0,
                              storage: any Storage = PosixStorage()) throws(StoreError) {
        precondition(signed == nil || signed!.device.node == node, "a signed node's id is its key's")
        for text in [ledger, label] where text.contains("\n") || text.contains("\r") {
            throw .badIdentity(path: directory, reason: "names cannot contain line breaks")
        }
        do {
            try storage.createDirectory(directory)
        } catch {
            throw .system(error)
        }
        guard !storage.exists(directory + "/" + NodeIdentity.fileName) else { throw .alreadyANode(directory: directory) }
        let home = try NodeIdentity.currentHome(of: directory, storage: storage)
        let identity = NodeIdentity(node: node, ledger: ledger, label: label, home: home,
                                    ledgerID: signed?.ledger, salt: signed?.device.nodeKey.salt,
                                    creator: signed == nil ? nil : creator)
        var opening = try EventLog.open(directory: directory, storage: storage)
        if let signed {
            // The key and the declaration come before the identity file: a crash before the
            // identity leaves a directory that is not a node yet, and `create` can run again
            // only after clearing it, which the caller reports.
            try DeviceKeyFile.create(signed.device.privateKey, directory: directory, storage: storage)
            var replica = Replica(node: node)
            let declaration = replica.assign(NodeKey.declarationKey(for: node), .text(signed.device.nodeKey.declarationText),
                                             wallMillis: wallMillis)
            let head = signed.device.signHead(seq: declaration.dot.seq, hash: declaration.hash, ledger: signed.ledger)
            try opening.log.append([declaration], heads: [head])
        }
        do {
            try identity.save(directory: directory, storage: storage)
        } catch {
            // The rename may have happened and its directory fsync failed: the file is
            // there to see but maybe not on disk. Left in place, `create` again would say
            // "already a node" and nothing would ever make the name durable. Remove it, so
            // that creating again does it all anew.
            storage.remove(directory + "/" + NodeIdentity.fileName)
            throw error
        }
    }

    /// Opens the node in `directory`. `wallMillis` and `freshNodeID` are inputs so that a
    /// relocation or fork can be handled deterministically in tests.
    /// `storage` is the disk (the real one unless a test simulates one).
    /// With `keepingChainsCold`, the events of each node's first branch that the checkpoint
    /// holds are not kept in memory after opening, and again after each checkpoint this
    /// store writes: they are read back from the checkpoint when a peer or a view needs
    /// them. Worth it for a process that stays up (`serve`); a one-shot command that reads
    /// every event anyway keeps them. Either way the checkpoint is taken in a few chunks
    /// at a time (`CheckpointLoad`), and a cold open lets each chunk's events go before it
    /// decodes the next: its peak is the state, not the history.
    public init(directory: String, wallMillis: UInt64, storage: any Storage = PosixStorage(),
                keepingChainsCold: Bool = false, freshNodeID: @escaping () -> NodeID) throws(StoreError) {
        var identity = try NodeIdentity.load(directory: directory, storage: storage)
        var replica = Replica(node: identity.node, ledger: identity.ledgerID)
        // The checkpoint is checked whole, then taken in a few chunks at a time (a cold
        // store cooling its chains after each), never decoded all at once.
        var checkpoint: CheckpointLoad?
        var checkpointProblem: String?
        do throws(Checkpoint.Problem) {
            let reader = try CheckpointReader.open(directory: directory, storage: storage)
            checkpoint = try CheckpointLoad(reader, into: &replica, keepingChainsCold: keepingChainsCold)
        } catch {
            checkpointProblem = error.description
            // A chunk that did not decode: nothing of the earlier ones stays.
            replica = Replica(node: identity.node, ledger: identity.ledgerID)
        }
        let opening = try EventLog.open(directory: directory, resumingAt: checkpoint?.stamp, storage: storage)
        var log = opening.log
        var signer: DeviceSigner?
        if identity.isSigned, let salt = identity.salt {
            let device = DeviceSigner(privateKey: try DeviceKeyFile.load(directory: directory, storage: storage), salt: salt)
            guard device.node == identity.node else {
                throw .badIdentity(path: directory + "/" + NodeIdentity.fileName,
                                   reason: "its node id is not the one the device key and salt derive; the files do not belong together")
            }
            signer = device
        }
        var checkpointEvents: Int?
        if let checkpoint, log.report.resumedAt != nil {
            checkpointEvents = checkpoint.eventCount
        } else if checkpoint != nil {
            checkpointProblem = "checkpoint does not match the log (older copy, or the log was replaced)"
            checkpoint = nil
            replica = Replica(node: identity.node, ledger: identity.ledgerID)
        }
        replica.admit(SignedEvents(events: opening.recovered, heads: opening.recoveredHeads))
        replica.resumeClock(wallMillis: wallMillis)
        var continuedFrom: NodeID?
        var reason: String?
        let home = try NodeIdentity.currentHome(of: directory, storage: storage)
        if home != identity.home {
            reason = "the directory was copied or restored (it is not where this node was created)"
        } else if replica.hasForkedItself {
            reason = "this node's own history has forked (restored from a backup?)"
        }
        if reason != nil {
            continuedFrom = identity.node
            try Self.continueUnderNewID(&replica, &identity, &signer, &log, home: home, directory: directory,
                                        fresh: freshNodeID(), wallMillis: wallMillis, storage: storage)
        }
        self.signer = signer
        self.freshNodeID = freshNodeID
        self.storage = storage
        self.directory = directory
        self.identity = identity
        self.replica = replica
        self.opening = OpeningReport(recovery: log.report, checkpointEvents: checkpointEvents,
                                     checkpointProblem: checkpointProblem, continuedFrom: continuedFrom, reason: reason)
        self.checkpointedEvents = checkpointEvents ?? 0
        self.keepsChainsCold = keepingChainsCold
        self.log = log
        if let source = checkpoint?.chains {
            // Once more: a chain the log's records extended lets its last checkpointed
            // event go too.
            self.coldCheckpoint = source
            self.replica.keepChainsCold(in: source, upTo: source.reach(of:))
        }
    }

    /// Writes the link event of a new incarnation, then the identity that names it. A crash
    /// between the two leaves the old identity: the next open continues again, harmlessly.
    /// `fresh` is 16 random bytes: the new node id of a format-1 node, the new salt of a
    /// signed one (same device key, so its roles follow it).
    private static func continueUnderNewID(_ replica: inout Replica, _ identity: inout NodeIdentity,
                                           _ signer: inout DeviceSigner?, _ log: inout EventLog,
                                           home: NodeIdentity.Home, directory: String, fresh: NodeID,
                                           wallMillis: UInt64, storage: any Storage) throws(StoreError) {
        if let current = signer, let ledger = identity.ledgerID {
            let device = DeviceSigner(privateKey: current.privateKey, salt: fresh.bytes)
            let next = replica.continuing(as: device.nodeKey, wallMillis: wallMillis)
            let events = next.history.events(of: device.node)
            let head = device.signHead(seq: events[events.count - 1].dot.seq, hash: events[events.count - 1].hash, ledger: ledger)
            try log.append(events, heads: [head])
            replica = next
            replica.keep([head])
            signer = device
            identity.salt = device.nodeKey.salt
            identity.node = device.node
        } else {
            let next = replica.continuing(as: fresh, wallMillis: wallMillis)
            try log.append(next.history.events(of: fresh))
            replica = next
            identity.node = fresh
        }
        identity.home = home
        try identity.save(directory: directory, storage: storage)
    }

    /// Records a local operation: durable when this returns. After a failure the store
    /// must be reopened (its log refuses further appends, and the in-memory replica may
    /// hold the event that did not reach the disk).
    @discardableResult
    public mutating func write(_ operation: Operation, wallMillis: UInt64) throws(StoreError) -> Event {
        try writeBatch([operation], wallMillis: wallMillis)[0]
    }

    /// Records many local operations as one log record (one fsync): durable when this
    /// returns, like `write`. Each assignment supersedes exactly what it names, so an
    /// assignment that must replace an earlier one of the same batch belongs in a later
    /// batch. After a failure the store must be reopened, as after `write`.
    @discardableResult
    public mutating func writeBatch(_ operations: [Operation], wallMillis: UInt64) throws(StoreError) -> [Event] {
        try writeBatch(wallMillis: wallMillis) { _, _ in operations }
    }

    /// Records operations that must name the event that carries them (an entry id made
    /// of the node id and the sequence number): `make` is called under the log's lock,
    /// after what other processes appended was taken in, with the dot the first event
    /// will get and the replica as it then is. Two processes writing to one directory at
    /// once can therefore never hand out the same id. Reading the next sequence number
    /// before the lock (as `carnet record` once did) gave 38 of 363 entries a duplicate
    /// id when three processes wrote to one store.
    @discardableResult
    public mutating func writeBatch(wallMillis: UInt64,
                                    _ make: (_ first: Dot, _ current: Replica) -> [Operation]) throws(StoreError) -> [Event] {
        // The events are made under the log's lock, after taking in what other writers
        // appended, so their seqs follow the log's. The replica is moved out (not copied:
        // a copy would duplicate this node's whole chain) for the closure to use.
        var working = Replica(node: replica.node)
        swap(&working, &replica)
        defer { swap(&working, &replica) }
        var takenIn: [Event] = []
        defer { foreignSinceRefresh += takenIn }
        let signing = signer.flatMap { device in identity.ledgerID.map { (device, $0) } }
        var ownHead: SignedHead?
        var refused: StoreError?
        let written = try log.append(signing: { others in
            takenIn = others
            working.admit(contentsOf: others)
            let node = working.node
            let first = Dot(node: node, seq: (working.history.chainHead(of: node)?.dot.seq ?? 0) + 1)
            let operations = make(first, working)
            refused = Self.oversized(operations, first: first, clock: working.clock, wallMillis: wallMillis)
            guard refused == nil else { return ([], nil) }  // nothing is written
            let events = operations.map { working.write($0, wallMillis: wallMillis) }
            // Every local commit ends with a signed head (signed ledgers): what is on disk is
            // always vouched for, and a sender can forward it as it is.
            guard let (device, ledger) = signing, let last = events.last else { return (events, nil) }
            ownHead = device.signHead(seq: last.dot.seq, hash: last.hash, ledger: ledger)
            return (events, [ownHead!])
        })
        if let refused { throw refused }
        working.keep(log.takeHeadsRead() + (ownHead.map { [$0] } ?? []))
        swap(&working, &replica)
        if let first = written.first {
            coolAppended(written, record: log.stamp.lastRecordOffset, lengthsBefore: [first.dot.node: first.dot.seq - 1])
        }
        swap(&working, &replica)
        return written
    }

    /// The chain lengths, before admission, of the nodes whose chains `appended` (or events
    /// that waited for them) may extend: where `coolAppended` looks for what joined them.
    private func chainLengths(touchedBy appended: [Event]) -> [NodeID: UInt64] {
        guard keepsChainsCold else { return [:] }
        var lengths: [NodeID: UInt64] = [:]
        for node in Set(appended.map(\.dot.node)).union(waitingLocations.keys.map(\.dot.node)) {
            lengths[node] = replica.history.chainLength(of: node)
        }
        return lengths
    }

    /// In a cold store, notes where the events just appended lie (the record at `record`,
    /// in their order there), and where those that joined a chain with them lie (appended
    /// earlier while they waited), and lets every first-branch event the checkpoint and the
    /// log now reach without a gap leave memory.
    private mutating func coolAppended(_ appended: [Event], record: Int, lengthsBefore: [NodeID: UInt64]) {
        guard keepsChainsCold else { return }
        var located: [EventID: (record: Int, index: Int)] = [:]
        for (index, event) in appended.enumerated() { located[event.id] = (record, index) }
        let history = replica.history
        for (node, before) in lengthsBefore {
            let after = history.chainLength(of: node)
            guard after > before else { continue }
            for seq in (before + 1)...after {
                guard let hash = history.chainHash(of: node, at: seq) else { break }
                let id = EventID(dot: Dot(node: node, seq: seq), hash: hash)
                guard let place = located[id] ?? waitingLocations.removeValue(forKey: id) else { break }
                coldLog.add(id, record: place.record, index: place.index)
            }
        }
        for (index, event) in appended.enumerated() where history.isPending(event) {
            waitingLocations[event.id] = (record, index)
        }
        coldReader = coldReader?.reading(upTo: log.stamp)
            ?? LogRecordReader(directory: directory, prefix: log.stamp, storage: storage)
        let source = StoreChains(checkpoint: coldCheckpoint, log: coldLog, reader: coldReader, records: coldRecords)
        // Only the chains this append touched can reach further.
        replica.keepChainsCold(in: source, upTo: source.reach(of:), only: lengthsBefore.keys)
    }

    /// Takes events from a peer or a bundle: the new ones are persisted as one record, then
    /// applied. Returns what they did.
    @discardableResult
    public mutating func persist(_ events: [Event]) throws(StoreError) -> AdmissionCounts {
        try persist(SignedEvents(events: events))
    }

    /// Takes events with the heads that vouch for them. In a signed ledger every event must
    /// lie below a valid head of its author (`SignedChains`), or nothing is stored; the
    /// heads are written in the same record as the events.
    @discardableResult
    public mutating func persist(_ signed: SignedEvents) throws(StoreError) -> AdmissionCounts {
        let events = signed.events
        if let ledger = identity.ledgerID,
           let rejection = SignedChains.rejection(of: events, heads: signed.heads, ledger: ledger,
                                                 held: replica.heldChains(adopter: identity.creator?.publicKey)) {
            throw .unsigned(rejection)
        }
        var seen = Set<EventID>()
        let new = events.filter { !replica.history.contains($0.id) && seen.insert($0.id).inserted }
        if let refused = Self.oversized(new) { throw refused }
        // An event waiting for its predecessor is in the log already: sent again (each
        // session that cannot fill the gap sends it), it was appended again each time. It is
        // still admitted below, and counted as waiting, as before.
        let unlogged = replica.history.pendingCount == 0 ? new : new.filter { !replica.history.isPending($0) }
        let newIDs = Set(unlogged.map(\.id))
        let heads = identity.isSigned ? signed.heads.filter { newIDs.contains($0.eventID) } : nil
        let others = try log.append(unlogged, heads: heads)
        foreignSinceRefresh += others
        replica.admit(contentsOf: others)
        let lengths = chainLengths(touchedBy: unlogged)
        var summary = replica.admit(contentsOf: new)
        replica.keep(log.takeHeadsRead() + signed.heads)
        if !unlogged.isEmpty { coolAppended(unlogged, record: log.stamp.lastRecordOffset, lengthsBefore: lengths) }
        summary.duplicates += events.count - new.count
        if replica.hasForkedItself {
            // A peer holds a history of this node that this store lost: stop using the id.
            let previous = identity.node
            try Self.continueUnderNewID(&replica, &identity, &signer, &log, home: identity.home, directory: directory,
                                        fresh: freshNodeID(), wallMillis: replica.clock.last.physical, storage: storage)
            continuedAfterSync = previous
        }
        return summary
    }

    /// Whether this node belongs to a signed ledger: its batches carry signed heads.
    public var signsBatches: Bool { identity.isSigned }

    /// A signature that vouches for the held chain ending at `id`: a head kept (from the
    /// author, received with its events), or, for this node's own events, one signed now.
    /// Nil when neither exists, or in a format-1 ledger. A sender cuts its batches at such
    /// points, so every batch it sends can be verified on its own.
    public func signedHead(at id: EventID) -> SignedHead? {
        guard let ledger = identity.ledgerID else { return nil }
        if let kept = replica.signedHeads.head(at: id) { return kept }
        guard let signer, id.dot.node == signer.node, replica.history.contains(id) else { return nil }
        return signer.signHead(seq: id.dot.seq, hash: id.hash, ledger: ledger)
    }

    /// The held events after `id` on its chain up to the lowest head kept above it, and that
    /// head (`PeerStore.chainToSignedHead`).
    public func chainToSignedHead(after id: EventID) -> (events: [Event], head: SignedHead)? {
        guard identity.isSigned else { return nil }
        let history = replica.history
        for head in replica.signedHeads.heads(of: id.dot.node) where head.seq > id.dot.seq {
            var events: [Event] = []
            var current = head.eventID
            while current.dot.seq > id.dot.seq, let event = history.event(current) ?? history.pendingEvent(current) {
                events.append(event)
                current = EventID(dot: Dot(node: current.dot.node, seq: current.dot.seq - 1), hash: event.previous)
            }
            if current == id { return (events.reversed(), head) }
        }
        return nil
    }

    /// This node's device key with its current salt (signed ledgers): what its sessions
    /// prove (SPEC 8.2.7).
    public var deviceKey: NodeKey? { identity.isSigned ? signer?.nodeKey : nil }

    /// A signature by the device key over a session's handshake (SPEC 8.2.7); the key
    /// itself never leaves the store.
    public func signWithDevice(_ message: [UInt8]) -> [UInt8]? {
        guard identity.isSigned, let signer else { return nil }
        return signer.privateKey.sign(message)
    }

    /// The key `node` declared in its seq-1 event, when this store holds that event.
    public func declaredKey(of node: NodeID) -> NodeKey? {
        replica.history.events(of: node, at: 1).lazy.compactMap(NodeKey.declared(by:)).first
    }

    /// Whether this store can sign any event of `node` itself (it is its own).
    public func signsFor(_ node: NodeID) -> Bool { signer?.node == node }

    /// The log's state as this store last saw it.
    public var stamp: LogStamp { log.stamp }

    /// The disk this store reads and writes, for a derived file built beside it from the
    /// log's records (the entry index).
    public var fileStorage: any Storage { storage }

    /// True after a failed write or fsync: this store appends nothing more, and the
    /// caller opens the directory again (recovery cuts what the failed record left).
    public var needsReopen: Bool { log.needsReopen }

    /// Events held that the newest checkpoint does not: what the next open must read from
    /// the log.
    public var eventsSinceCheckpoint: Int {
        replica.eventCount + replica.history.pendingCount - checkpointedEvents
    }

    /// Where the events this store appended to its log since its last checkpoint lie (the
    /// record's offset, the event's place in its batch), as far as a cold store noted them:
    /// each node's first branch, and the events waiting for a predecessor. Nothing for a
    /// warm store. What lets a file that points into the log (the entry index) be built
    /// after a first sync without reading and hashing every record again; a checkpoint
    /// forgets them, so a caller takes them before. Each event is named by the first 8
    /// bytes of its hash (what the index keys by, and what a cold history keeps).
    public func forEachAppendedEvent(_ body: (_ hashPrefix: UInt64, _ record: Int, _ index: Int) -> Void) {
        let history = replica.history
        coldLog.forEachEvent { node, seq, record, index in
            guard let prefix = history.chainHashPrefix(of: node, at: seq) else { return }
            body(prefix, record, index)
        }
        for (id, place) in waitingLocations { body(id.hash.w0, place.record, place.index) }
    }

    /// Writes a checkpoint of every event held, covering the log as it is. Skipped (false)
    /// when another process appended meanwhile: its state is newer than this store's.
    @discardableResult
    public mutating func saveCheckpoint() throws(StoreError) -> Bool {
        guard !log.needsReopen else { throw .needsReopen(path: log.path) }
        // Written a chunk at a time from the history (cold events read back as they are
        // encoded), in `Replica.allEvents` order then the waiting events: never every
        // event in memory at once.
        let history = replica.history
        let layout = CheckpointLayout(history: history)
        let heads = identity.isSigned ? replica.signedHeads.all : nil
        let stamp = log.stamp
        let directory = self.directory
        let storage = self.storage
        let cold = keepsChainsCold
        let written = try log.withLockIfCurrent { (current: Bool) throws(StoreError) -> CheckpointChains?? in
            guard current else { return nil }
            let chunks = try Checkpoint.write(layout, of: history, heads: heads, stamp: stamp, directory: directory, storage: storage)
            // Opened under the log's lock: no other writer can have replaced it yet. A
            // checkpoint that cannot be opened again only leaves the events in memory.
            guard cold, let file = try? storage.openReadOnly(directory + "/" + Checkpoint.fileName) else { return .some(nil) }
            return CheckpointChains(file: file, chunks: chunks, runs: layout.chainRuns(chunkEvents: Checkpoint.chunkEvents))
        }
        guard let written else { return false }
        checkpointedEvents = layout.count
        if let source = written {
            coldCheckpoint = source
            coldLog = LogChains()
            replica.keepChainsCold(in: source, upTo: source.reach(of:))
        }
        return true
    }

    /// Writes a checkpoint when the log has grown enough since the last one that the next
    /// open would read much of it: at least `minimum` events, and an eighth of the store.
    @discardableResult
    public mutating func saveCheckpointIfDue(minimum: Int = 2_000) throws(StoreError) -> Bool {
        let tail = eventsSinceCheckpoint
        guard tail >= minimum, tail * 8 >= replica.eventCount else { return false }
        return try saveCheckpoint()
    }

    /// What `status` reports, for the state this store holds.
    public func statusSummary(derived: [String: Int]) -> StoreStatus {
        let summary = replica.summary
        // A head is always warm (`History`): its clock is here without reading anything.
        // Nodes of waiting events alone have no heads, and the file lists none for them.
        let clocks = summary.heads.filter { !$0.value.isEmpty }
            .mapValues { heads in heads.map { replica.history.event($0)?.clock ?? .zero } }
        return StoreStatus(stamp: log.stamp, eventCount: replica.eventCount, digest: replica.digest,
                           forkCount: replica.forks.count, pendingCount: replica.history.pendingCount,
                           derived: derived, history: summary, checkpointedEvents: checkpointedEvents,
                           headClocks: clocks)
    }

    /// Writes the status file, so that the next `status` answers without opening the
    /// store. Skipped (false) when another process appended meanwhile.
    @discardableResult
    public mutating func saveStatus(derived: [String: Int]) throws(StoreError) -> Bool {
        guard !log.needsReopen else { throw .needsReopen(path: log.path) }
        let summary = statusSummary(derived: derived)
        let directory = self.directory
        let storage = self.storage
        return try log.withLockIfCurrent { (current: Bool) throws(StoreError) -> Bool in
            guard current else { return false }
            try summary.write(directory: directory, storage: storage)
            return true
        }
    }

    /// Writes a file derived from the state this store holds (the ledger's views), stamped
    /// with the log's state so that readers believe it only while the log is unchanged.
    /// Skipped (false) when another process appended meanwhile: the body describes a state
    /// that is no longer the log's. With `stamp`, written only when the store's log is in
    /// that state (a body that names its own stamp, as the entry index's head does).
    @discardableResult
    public mutating func saveStampedFile(_ name: String, as header: FileHeader, body: [UInt8],
                                         stamp: LogStamp? = nil) throws(StoreError) -> Bool {
        guard !log.needsReopen else { throw .needsReopen(path: log.path) }
        guard stamp == nil || stamp == log.stamp else { return false }
        return try log.replaceIfCurrent(name, with: StampedFile(stamp: log.stamp, body: body).pieces(as: header),
                                        directory: directory, storage: storage)
    }

    /// Writes a sectioned derived file (the views file, SPEC §6.5) from its sections, never
    /// joined into one array first; skipped (false) as `saveStampedFile` is.
    @discardableResult
    public mutating func saveStampedSections(_ name: String, as header: FileHeader,
                                             sections: [(id: UInt8, bytes: [UInt8])]) throws(StoreError) -> Bool {
        guard !log.needsReopen else { throw .needsReopen(path: log.path) }
        let pieces = StampedSections.pieces(stamp: log.stamp, sections: sections.map { ($0.id, $0.bytes[...]) }, as: header)
        return try log.replaceIfCurrent(name, with: pieces, directory: directory, storage: storage)
    }

    /// Picks up events another process (the CLI, a server) appended to this node's log;
    /// returns them (a server pushes them to its live peers).
    @discardableResult
    public mutating func refresh() throws(StoreError) -> [Event] {
        let events = try log.refresh()
        replica.admit(contentsOf: events)
        replica.keep(log.takeHeadsRead())
        return takeEventsFromOtherWriters() + events
    }

    /// Other writers' events that writes and receives took in since the last call (or
    /// `refresh()`), already applied: for a server to push them as it pushes its own.
    public mutating func takeEventsFromOtherWriters() -> [Event] {
        defer { foreignSinceRefresh = [] }
        return foreignSinceRefresh
    }
}
