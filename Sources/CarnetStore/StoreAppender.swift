import CarnetCore
import CarnetSystem
import CarnetWire

/// Appends this node's own events to its log without loading the replica: what a
/// `carnet record` on a hub of a million entries needs, where opening the store (decoding
/// and admitting every event of the checkpoint) was half of what a record cost.
///
/// What a write needs of the state comes from the status file (SPEC §6.3, version 3):
/// the node's chain head (its next seq and the `previous` hash), every head's clock (the
/// next timestamp follows what the node holds, as `Replica.resumeClock` makes it), and the
/// summary the next status file and its digest are made from. So it is used only where
/// the status file says exactly what opening would: `open` gives nil, and the caller opens
/// the store, when the status file is not current, when events wait for a predecessor,
/// when the node's own history has forked, when the directory was copied or restored (it
/// must continue under a new id), or when a checkpoint is due (`NodeStore.saveCheckpointIfDue`'s
/// rule, so that the log read at the next open stays as short as before).
///
/// The log is opened as the store opens it (its lock, every covered record's checksum, a
/// torn tail cut), so middle damage still refuses the write. A record another process
/// appends between opening and writing is not taken in: `append` writes nothing then, and
/// the caller opens the store.
public struct StoreAppender: ~Copyable {
    public let directory: String
    public let identity: NodeIdentity
    /// The status as of the last append (or opening): what the next status file says.
    public private(set) var status: StoreStatus
    private var log: EventLog
    private var clock: HybridClock
    private let signer: DeviceSigner?
    private let storage: any Storage
    /// Bytes of an unfinished write cut from the log's end on opening (0 almost always).
    public let cutBytes: Int

    /// The appender of `directory`, or nil when the store must be opened (see the type).
    /// Never throws: whatever is wrong, opening the store says it in full.
    public static func open(directory: String, wallMillis: UInt64,
                            storage: any Storage = PosixStorage()) -> StoreAppender? {
        guard let identity = try? NodeIdentity.load(directory: directory, storage: storage),
              let status = StoreStatus.current(directory: directory, storage: storage),
              status.pendingCount == 0,
              (status.history.heads[identity.node]?.count ?? 0) <= 1,
              status.headClocks.keys.count == status.history.heads.count,
              !Self.checkpointIsDue(status),
              let home = try? NodeIdentity.currentHome(of: directory, storage: storage), home == identity.home
        else { return nil }
        var signer: DeviceSigner?
        if identity.isSigned {
            guard let salt = identity.salt, let key = try? DeviceKeyFile.load(directory: directory, storage: storage) else {
                return nil
            }
            let device = DeviceSigner(privateKey: key, salt: salt)
            guard device.node == identity.node else { return nil }
            signer = device
        }
        guard let opening = try? EventLog.open(directory: directory, resumingAt: status.stamp, storage: storage),
              opening.report.resumedAt != nil, opening.recovered.isEmpty, opening.log.stamp == status.stamp
        else { return nil }
        var clock = HybridClock()
        for (node, clocks) in status.headClocks {
            for stamp in clocks {
                if node == identity.node { clock.resume(after: stamp) } else { clock.observe(stamp, wallMillis: wallMillis) }
            }
        }
        return StoreAppender(directory: directory, identity: identity, status: status, log: opening.log, clock: clock,
                             signer: signer, storage: storage, cutBytes: opening.report.cutBytes)
    }

    private init(directory: String, identity: NodeIdentity, status: StoreStatus, log: consuming EventLog,
                 clock: HybridClock, signer: DeviceSigner?, storage: any Storage, cutBytes: Int) {
        self.directory = directory
        self.identity = identity
        self.status = status
        self.log = log
        self.clock = clock
        self.signer = signer
        self.storage = storage
        self.cutBytes = cutBytes
    }

    /// `NodeStore.saveCheckpointIfDue`'s rule, on the status file's counts.
    private static func checkpointIsDue(_ status: StoreStatus, minimum: Int = 2_000) -> Bool {
        let tail = status.eventCount - status.checkpointedEvents
        return tail >= minimum && tail * 8 >= status.eventCount
    }

    public var node: NodeID { identity.node }
    /// The log's state: what the files written next are stamped with.
    public var stamp: LogStamp { log.stamp }

    /// Appends the operations `make` returns, made into this node's next events, as one
    /// durable record (one fsync), when `accept` takes the events (a caller keeping files
    /// derived from them checks they can follow). Nil, with nothing written, when `accept`
    /// refuses or another process appended since opening (then open the store: its
    /// replica takes their record in). `make` gets the dot of the first event: an entry id
    /// names it, and under the log's lock no other writer can take it.
    public mutating func append(wallMillis: UInt64, _ make: (_ first: Dot) -> [Operation],
                                accept: ([Event]) -> Bool) throws(StoreError) -> [Event]? {
        let node = identity.node
        let head = status.history.heads[node]?.first
        let first = Dot(node: node, seq: status.history.versionVector[node] + 1)
        guard head?.dot.seq ?? 0 == first.seq - 1 else { return nil }
        let signing = signer.flatMap { device in identity.ledgerID.map { (device, $0) } }
        var working = clock
        var refused: StoreError?
        var made: [Event]?
        _ = try log.append(signing: { others in
            guard others.isEmpty else { return ([], nil) }
            let operations = make(first)
            refused = NodeStore.oversized(operations, first: first, clock: working, wallMillis: wallMillis)
            guard refused == nil, !operations.isEmpty else { return ([], nil) }
            var previous = head?.hash ?? .zero
            var events: [Event] = []
            for (index, operation) in operations.enumerated() {
                let event = Event(dot: Dot(node: node, seq: first.seq + UInt64(index)),
                                  clock: working.tick(wallMillis: wallMillis), previous: previous, operation: operation)
                previous = event.hash
                events.append(event)
            }
            guard accept(events) else { return ([], nil) }
            made = events
            guard let (device, ledger) = signing, let last = events.last else { return (events, nil) }
            return (events, [device.signHead(seq: last.dot.seq, hash: last.hash, ledger: ledger)])
        })
        if let refused { throw refused }
        guard let events = made else { return nil }
        clock = working
        noteAppended(events)
        return events
    }

    /// Appends events from elsewhere (a farm's directory, a bundle) as one durable record,
    /// when they extend the chains the status file names exactly: each node's events one
    /// chain from the seq after its single head, the first naming that head's hash (or
    /// seq 1 and no predecessor), none of this node's own, none above the size limit.
    /// Whoever calls this has kept only such events (`EntryAppender.take`); anything else
    /// is nil with nothing written, as when `accept` refuses or another process appended
    /// since opening. Then open the store, which admits them as `NodeStore.persist` does.
    public mutating func append(takenIn events: [Event], accept: ([Event]) -> Bool) throws(StoreError) -> Bool {
        guard !events.isEmpty, !identity.isSigned, NodeStore.oversized(events) == nil,
              Self.extendsChains(events, of: status.history, own: identity.node) else { return false }
        var accepted = false
        _ = try log.append(signing: { others in
            guard others.isEmpty, accept(events) else { return ([], nil) }
            accepted = true
            return (events, nil)
        })
        guard accepted else { return false }
        noteAppended(events)
        return true
    }

    /// The status after `events` were appended, each node's chain extended past its one
    /// head (both appends check that first): its stamp, count, heads, clocks and digest.
    private mutating func noteAppended(_ events: [Event]) {
        status.stamp = log.stamp
        status.eventCount += events.count
        var lasts: [NodeID: Event] = [:]
        for event in events where event.dot.seq > lasts[event.dot.node]?.dot.seq ?? 0 { lasts[event.dot.node] = event }
        for (node, last) in lasts {
            status.history.versionVector = status.history.versionVector.merged(with: VersionVector([node: last.dot.seq]))
            status.history.heads[node] = [last.id]
            status.headClocks[node] = [last.clock]
        }
        status.digest = status.history.stateDigest
    }

    /// Whether `events`, grouped by node in the order given, each extend their node's one
    /// head in `summary` without a gap or a second branch (`append(takenIn:)`).
    static func extendsChains(_ events: [Event], of summary: HistorySummary, own: NodeID) -> Bool {
        var tips: [NodeID: (seq: UInt64, hash: SHA256Digest)] = [:]
        for event in events {
            let node = event.dot.node
            guard node != own else { return false }
            let tip: (seq: UInt64, hash: SHA256Digest)
            if let known = tips[node] {
                tip = known
            } else {
                let heads = summary.heads[node] ?? []
                guard heads.count <= 1 else { return false }
                tip = (summary.versionVector[node], heads.first?.hash ?? .zero)
                guard heads.first?.dot.seq ?? 0 == tip.seq else { return false }
            }
            guard event.dot.seq == tip.seq + 1, event.previous == tip.hash else { return false }
            tips[node] = (event.dot.seq, event.hash)
        }
        return true
    }

    /// Writes the status file for the state appended so far, with `derived` figures.
    /// Skipped (false) when another process appended meanwhile, as `NodeStore.saveStatus`.
    @discardableResult
    public mutating func saveStatus(derived: [String: Int]) throws(StoreError) -> Bool {
        status.derived = derived
        let status = self.status, directory = self.directory, storage = self.storage
        return try log.withLockIfCurrent { (current: Bool) throws(StoreError) -> Bool in
            guard current else { return false }
            try status.write(directory: directory, storage: storage)
            return true
        }
    }

    /// Writes a file derived from the state appended so far, stamped with the log's state,
    /// as `NodeStore.saveStampedFile` (skipped, false, when another process appended).
    @discardableResult
    public mutating func saveStampedFile(_ name: String, as header: FileHeader, body: [UInt8],
                                         stamp: LogStamp? = nil) throws(StoreError) -> Bool {
        guard stamp == nil || stamp == log.stamp else { return false }
        return try log.replaceIfCurrent(name, with: StampedFile(stamp: log.stamp, body: body).pieces(as: header),
                                        directory: directory, storage: storage)
    }

    /// Writes a sectioned derived file (the views file, SPEC §6.5) from its sections, never
    /// joined into one array first (at ten million entries, 200 MB); skipped (false) as
    /// `saveStampedFile` is.
    @discardableResult
    public mutating func saveStampedSections(_ name: String, as header: FileHeader,
                                             sections: [(id: UInt8, bytes: [UInt8])]) throws(StoreError) -> Bool {
        let pieces = StampedSections.pieces(stamp: log.stamp, sections: sections.map { ($0.id, $0.bytes[...]) }, as: header)
        return try log.replaceIfCurrent(name, with: pieces, directory: directory, storage: storage)
    }

    /// The disk, for files read beside the log (the views file, the entry index).
    public var fileStorage: any Storage { storage }
}
