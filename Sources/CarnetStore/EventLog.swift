import CarnetCore
import CarnetSystem
import CarnetWire

/// What opening the log found.
public struct RecoveryReport: Sendable, Equatable {
    public var records = 0
    public var events = 0
    /// Bytes cut from the end: an incomplete or damaged last record (a crash mid-append).
    public var cutBytes = 0
    /// Where the cut began, when there was one.
    public var cutAt: Int?
    /// True when the file did not exist and was created.
    public var created = false
    /// Set when only the records after a checkpoint's state were read: where they began.
    /// `records` and `events` then count those records only.
    public var resumedAt: Int?

    public init(records: Int = 0, events: Int = 0, cutBytes: Int = 0, cutAt: Int? = nil, created: Bool = false) {
        self.records = records
        self.events = events
        self.cutBytes = cutBytes
        self.cutAt = cutAt
        self.created = created
    }
}

/// The append-only event log of one node: framed, checksummed records of event batches.
///
/// An append is acknowledged only after its bytes and the file are fsynced. After any
/// failed write or fsync the log refuses further appends (a later fsync could "succeed"
/// on lost data) and cuts the record it was writing: the caller reopens it, and recovery
/// cuts whatever partial record a crash left.
///
/// All I/O goes through a `Storage` (the real disk unless a test passes a simulated one).
public struct EventLog: ~Copyable {
    public let path: String
    private let file: any StorageFile
    /// The state of the file this log has read or written: its sound size and last record.
    public private(set) var stamp: LogStamp
    private var end: Int {
        get { stamp.size }
        set { stamp.size = newValue }
    }
    private var failed = false
    /// Set when a failed append could not even cut its own unacknowledged bytes: then what
    /// lies past `end` is unknown, and reading it (`refresh`) is refused too.
    private var tailUnknown = false
    /// Signed heads of records read since `takeHeadsRead` last emptied it.
    private var headsRead: [SignedHead] = []
    public let report: RecoveryReport

    public static let fileName = "events.log"

    /// An opened log with what opening read: the log to append to, the events its records
    /// hold (in log order; after the checkpoint's state when it resumed from one), and
    /// what recovery did. Handed over together so that no caller has to remember to ask
    /// for the events, and the log never holds a second copy of them.
    public struct Opening: ~Copyable {
        public var log: EventLog
        public var recovered: [Event]
        /// The signed heads the recovered records carry (signed ledgers).
        public var recoveredHeads: [SignedHead]
        public var report: RecoveryReport
    }

    /// Opens (or creates) `directory/events.log`, recovering from a crash at any byte.
    /// Recovery holds the log's lock, so it never mistakes another process's append in
    /// progress for a torn tail.
    ///
    /// With `checkpoint`, the stamp of a checkpoint the caller holds, and when the log
    /// still begins with that state, only the records after it are decoded (`recovered`
    /// holds just those; the ones before are checked against their checksums, and damage
    /// there is reported, never cut); otherwise the whole log is decoded and
    /// `report.resumedAt` is nil.
    ///
    /// `storage` is the disk (the real one unless a test simulates one).
    public static func open(directory: String, resumingAt checkpoint: LogStamp? = nil,
                            storage: any Storage = PosixStorage()) throws(StoreError) -> Opening {
        var recovered = SignedEvents(events: [])
        let log = try EventLog(directory: directory, resumingAt: checkpoint, storage: storage, recovered: &recovered)
        let report = log.report
        return Opening(log: log, recovered: recovered.events, recoveredHeads: recovered.heads, report: report)
    }

    /// Opens the log and recovers it (see `open`); the events read go to `recovered`.
    private init(directory: String, resumingAt checkpoint: LogStamp?,
                 storage: any Storage, recovered: inout SignedEvents) throws(StoreError) {
        let path = directory + "/" + Self.fileName
        let existed = storage.exists(path)
        let handle: any StorageFile
        do {
            handle = try storage.open(path, create: true, truncate: false)
        } catch {
            throw .system(error)
        }
        try Self.lock(handle)
        // On every error path below `handle` is closed, which releases the lock.
        var report = RecoveryReport()
        report.created = !existed
        let base: Int
        let bytes: [UInt8]
        var stamp = LogStamp.empty
        if let checkpoint, checkpoint.isPrefix(of: handle) {
            do {
                try Self.checkHeader(try handle.read(at: 0, count: LogFormat.headerSize), path: path)
                try Self.checkCoveredRecords(handle, upTo: checkpoint.size, path: path)
                let size = try handle.size()
                bytes = try handle.read(at: checkpoint.size, count: size - checkpoint.size)
            } catch let error as StoreError {
                throw error
            } catch {
                throw .system(error as! SystemError)
            }
            base = checkpoint.size
            stamp = checkpoint
            report.resumedAt = checkpoint.size
        } else {
            bytes = try Self.readWithHeader(handle, directory: directory, storage: storage)
            base = 0
        }
        let scan = LogScanner.scan(bytes, from: base == 0 ? LogFormat.headerSize : 0)
        report.records = scan.records
        report.events = scan.events.count
        if let damage = scan.damage {
            try Self.cutTornTail(handle, bytes: bytes, damage: damage, intact: scan, base: base)
            report.cutBytes = bytes.count - damage.offset
            report.cutAt = base + damage.offset
        }
        if let last = scan.lastRecord {
            stamp.lastRecordOffset = base + last.offset
            stamp.lastRecordCRC = last.crc
        }
        stamp.size = base + scan.end
        self.path = path
        recovered = SignedEvents(events: scan.events, heads: scan.heads)
        self.report = report
        self.stamp = stamp
        handle.unlock()
        self.file = handle
    }

    /// Checks the framing and checksums of the records a checkpoint covers, without
    /// decoding them: the checkpoint spares open the decoding and hashing, not the check
    /// that the log is still sound (RELIABILITY I3: middle damage is reported, and a store
    /// with it refuses to write). Damage here is never a torn tail, even in the last
    /// covered record: the stamp proves those records were complete, so it is reported
    /// and the file is left as it is.
    ///
    /// Read a piece at a time (`checkedPiece` bytes, or one record when it is longer): at
    /// ten million events the log is 195 MB, and every opening held it whole to check it.
    private static func checkCoveredRecords(_ file: any StorageFile, upTo covered: Int, path: String) throws(StoreError) {
        var start = LogFormat.headerSize
        var piece: [UInt8] = [], pieceAt = start
        while start < covered {
            var relative = start - pieceAt
            if !holdsRecord(piece, at: relative, endingBefore: covered - pieceAt) {
                let header = LogFormat.recordHeaderSize
                let wanted = piece.count - relative >= header ? header + Int(LogFormat.readUInt32(piece, at: relative)) : header
                do {
                    piece = try file.read(at: start, count: min(covered - start, max(checkedPiece, wanted)))
                } catch {
                    throw .system(error)
                }
                pieceAt = start
                relative = 0
            }
            if let damage = LogScanner.checkFrames(piece, from: relative, to: min(piece.count, relative + recordLength(piece, at: relative))) {
                try reportCoveredDamage(file, at: pieceAt + damage.offset, reason: damage.reason, path: path)
            }
            // Checked whole within the piece, which ends at the covered end or before.
            start = pieceAt + relative + recordLength(piece, at: relative)
        }
    }

    /// How much of the covered log `checkCoveredRecords` reads at a time.
    static let checkedPiece = 8 << 20

    /// Whether `piece` holds the whole record at `offset` (its header and its payload), or
    /// as much of it as there is before the covered end (`limit`, from the piece's start):
    /// then the check reports what is wrong with it.
    private static func holdsRecord(_ piece: [UInt8], at offset: Int, endingBefore limit: Int) -> Bool {
        guard piece.count - offset >= LogFormat.recordHeaderSize else { return piece.count >= limit }
        let length = Int(LogFormat.readUInt32(piece, at: offset))
        guard length <= LogFormat.maxPayload else { return true }
        return piece.count - offset - LogFormat.recordHeaderSize >= length || piece.count >= limit
    }

    /// The bytes the record at `offset` takes, header included, as its header says (at
    /// least the header: a checked record's length is within the limit).
    private static func recordLength(_ piece: [UInt8], at offset: Int) -> Int {
        guard piece.count - offset >= LogFormat.recordHeaderSize else { return LogFormat.recordHeaderSize }
        return LogFormat.recordHeaderSize + min(Int(LogFormat.readUInt32(piece, at: offset)), LogFormat.maxPayload)
    }

    /// Throws the damage found at `offset` of the covered log, with the sound records and
    /// events before it (read and decoded only then).
    private static func reportCoveredDamage(_ file: any StorageFile, at offset: Int, reason: String, path: String) throws(StoreError) {
        let before: [UInt8]
        do {
            before = try file.read(at: 0, count: offset)
        } catch {
            throw .system(error)
        }
        let intact = LogScanner.scan(before, from: LogFormat.headerSize)
        throw .corrupt(path: path, offset: offset, reason: reason, intactRecords: intact.records, intactEvents: intact.events.count)
    }

    /// Takes the log's lock; a lock held past its timeout is another process stuck mid-write.
    static func lock(_ file: any StorageFile) throws(StoreError) {
        do {
            try file.lockExclusive()
        } catch {
            throw error.isLockTimeout ? .busy(path: file.path) : .system(error)
        }
    }

    /// Cuts a torn tail, or refuses when sound records follow the damage (then it is not a
    /// tail but damage in the middle, which is reported and left untouched).
    private static func cutTornTail(_ file: any StorageFile, bytes: [UInt8], damage: LogScanner.Damage,
                                    intact: LogScanner.Result, base: Int = 0) throws(StoreError) {
        guard !LogScanner.hasValidRecord(bytes, after: damage.offset) else {
            throw .corrupt(path: file.path, offset: base + damage.offset, reason: damage.reason,
                           intactRecords: intact.records, intactEvents: intact.events.count)
        }
        do {
            try file.truncate(to: base + damage.offset)
            try file.sync()
        } catch {
            throw .system(error)
        }
    }

    /// The file's bytes, after writing the header of a new (or torn-at-creation) file and
    /// checking the header of an existing one.
    private static func readWithHeader(_ file: any StorageFile, directory: String,
                                       storage: any Storage) throws(StoreError) -> [UInt8] {
        var bytes: [UInt8]
        do {
            bytes = try file.readAll()
            if bytes.count < LogFormat.headerSize {
                guard Array(LogFormat.header.prefix(bytes.count)) == bytes else { throw StoreError.notALog(path: file.path) }
                do {
                    try file.write(LogFormat.header, at: 0)
                    try file.sync()
                    try storage.syncDirectory(directory)
                } catch {
                    // A header whose write or fsync failed can be readable and yet never
                    // reach the disk (nor the file's name, if the directory's fsync
                    // failed). Left in place, the next opening would take it as written
                    // and never write or sync it again: the first record would then land
                    // after 16 bytes the disk never got. Cut back to nothing, the next
                    // opening writes and syncs it all anew.
                    try? file.truncate(to: 0)
                    throw error
                }
                bytes = LogFormat.header
            }
        } catch let error as SystemError {
            throw .system(error)
        } catch let error as StoreError {
            throw error
        } catch {
            throw .notALog(path: file.path)
        }
        try checkHeader(bytes, path: file.path)
        return bytes
    }

    private static func checkHeader(_ bytes: [UInt8], path: String) throws(StoreError) {
        switch FileHeader.log.read(bytes) {
        case .matches: break
        case .otherFormat: throw .notALog(path: path)
        case let .otherVersion(version): throw .unsupportedVersion(path: path, version: version)
        }
    }

    /// Bytes of the log that hold sound records (header included).
    public var size: Int { end }

    /// True after a failed append: the file's state is unknown until the log is reopened.
    public var needsReopen: Bool { failed }

    /// Runs `body` holding the log's lock, when no other writer has appended since this
    /// log last looked (`body` gets true) or not (false): a checkpoint or status file is
    /// written only for the state the file is really in.
    /// Replaces the derived file `name` with the bytes of `pieces` under the log's lock, when no other
    /// process appended since this log last looked (false, nothing written, otherwise): the
    /// file describes the state this log last saw, which another writer's record has left.
    func replaceIfCurrent(_ name: String, with pieces: [ArraySlice<UInt8>], directory: String,
                          storage: any Storage) throws(StoreError) -> Bool {
        try withLockIfCurrent { (current: Bool) throws(StoreError) -> Bool in
            guard current else { return false }
            try StampedFile.replace(name, with: pieces, directory: directory, storage: storage)
            return true
        }
    }

    public func withLockIfCurrent<T>(_ body: (Bool) throws(StoreError) -> T) throws(StoreError) -> T {
        try Self.lock(file)
        defer { file.unlock() }
        let current = (try? file.size()) == end
        return try body(current)
    }

    /// Appends events as one record and makes them durable. When this returns, they are
    /// acknowledged: they survive a crash or power loss.
    ///
    /// Holds the log's lock while writing, so two writers (the CLI and `carnet serve`)
    /// never interleave records. Returns the events other writers appended since this log
    /// last looked: the caller's replica must take them in too.
    @discardableResult
    public mutating func append(_ events: [Event], heads: [SignedHead]? = nil) throws(StoreError) -> [Event] {
        var others: [Event] = []
        _ = try append(signing: { seen in
            others = seen
            return (events, heads)
        })
        return others
    }

    /// Appends the events `build` makes, as one durable record, after `build` has seen
    /// every record other writers appended: all under the log's lock. A local write
    /// needs this: its seq must follow what another process (a second `carnet record`)
    /// wrote a moment ago, or the node would fork itself. Returns the built events.
    public mutating func append(building build: (_ others: [Event]) -> [Event]) throws(StoreError) -> [Event] {
        try append(signing: { others in (build(others), nil) })
    }

    /// Like `append(building:)`, for a signed ledger: `build` also returns the heads that
    /// vouch for its events, written in the same record (a batch of version 2), so that
    /// no crash can leave events on disk without their signature. Nil heads write a
    /// version-1 batch, as a format-1 ledger does.
    public mutating func append(signing build: (_ others: [Event]) -> (events: [Event], heads: [SignedHead]?)) throws(StoreError) -> [Event] {
        guard !failed else { throw .needsReopen(path: path) }
        try Self.lock(file)
        defer { file.unlock() }
        let (events, heads) = build(try readNewRecordsLocked())
        guard !events.isEmpty else { return [] }
        let payload = heads.map { EventBatch.encode(SignedEvents(events: events, heads: $0)) } ?? EventBatch.encode(events)
        guard payload.count <= LogFormat.maxPayload else { throw .batchTooLarge(bytes: payload.count) }
        let record = LogFormat.frame(payload)
        do {
            try file.write(record, at: end)
            try file.sync()
        } catch {
            // Fail-stop: never acknowledged, never retried; the caller reopens.
            failed = true
            cutOwnUnacknowledgedBytes()
            throw .system(error)
        }
        stamp = LogStamp(size: end + record.count, lastRecordOffset: end,
                         lastRecordCRC: LogFormat.readUInt32(record, at: 4))
        return events
    }

    /// After a failed append, cuts what it wrote past `end`: under the lock those bytes are
    /// its own record, never acknowledged. Without the cut, a record whose fsync failed
    /// stays readable (the page cache still holds it) though the disk may never get it: the
    /// next writer would take it as sound and append after it, and a power loss would then
    /// leave a hole in the middle of the log, before acknowledged records. Best effort and
    /// not synced: the next append's fsync makes the cut durable with its record, and
    /// recovery cuts whatever a crash leaves of an unfinished record.
    private mutating func cutOwnUnacknowledgedBytes() {
        do {
            try file.truncate(to: end)
        } catch {
            tailUnknown = true
        }
    }

    /// The events other writers appended since this log last looked (a running server
    /// calls it to see what the CLI wrote). Refused after a failed append that could not
    /// cut its own bytes: they would read as another writer's record.
    public mutating func refresh() throws(StoreError) -> [Event] {
        guard !tailUnknown else { throw .needsReopen(path: path) }
        try Self.lock(file)
        defer { file.unlock() }
        return try readNewRecordsLocked()
    }

    /// Reads records past `end`. Called with the lock held: every other writer has finished
    /// its record, so an incomplete one is the torn tail of a writer that crashed.
    private mutating func readNewRecordsLocked() throws(StoreError) -> [Event] {
        let tail: [UInt8]
        do {
            let size = try file.size()
            guard size > end else { return [] }
            tail = try file.read(at: end, count: size - end)
        } catch {
            throw .system(error)
        }
        let scan = LogScanner.scan(tail, from: 0)
        if let damage = scan.damage {
            do {
                try Self.cutTornTail(file, bytes: tail, damage: damage, intact: scan, base: end)
            } catch {
                // A failed truncate or fsync of the cut is a failed write like any other:
                // this log appends no more until reopened.
                if case .system = error { failed = true }
                throw error
            }
        }
        if let last = scan.lastRecord {
            stamp.lastRecordOffset = end + last.offset
            stamp.lastRecordCRC = last.crc
        }
        end += scan.end
        headsRead += scan.heads
        return scan.events
    }

    /// Hands over the signed heads of the records other writers appended, read since the
    /// last call (by `append` or `refresh`): the caller keeps them with the events.
    public mutating func takeHeadsRead() -> [SignedHead] {
        defer { headsRead = [] }
        return headsRead
    }
}

/// Reads records from a log image without changing anything.
enum LogScanner {
    struct Damage {
        var offset: Int
        var reason: String
    }

    struct Result {
        var events: [Event] = []
        var heads: [SignedHead] = []
        var records = 0
        /// End of the last sound record.
        var end = 0
        /// Where the last sound record begins, and its stored checksum.
        var lastRecord: (offset: Int, crc: UInt32)?
        var damage: Damage?
    }

    /// Reads the records of `bytes` from `start` (after the header for a whole file, 0 for
    /// a tail read on its own).
    static func scan(_ bytes: [UInt8], from start: Int) -> Result {
        var result = Result()
        result.end = start
        var offset = start
        while offset < bytes.count {
            switch record(in: bytes, at: offset) {
            case let .failure(damage):
                result.damage = damage
                return result
            case let .success((payloadRange, next)):
                do {
                    let signed = try EventBatch.decodeSigned(Array(bytes[payloadRange]), limits: .unbounded)
                    result.events.append(contentsOf: signed.events)
                    result.heads.append(contentsOf: signed.heads)
                } catch {
                    result.damage = Damage(offset: offset, reason: "record does not decode: \(error)")
                    return result
                }
                result.records += 1
                result.lastRecord = (offset, LogFormat.readUInt32(bytes, at: offset + 4))
                offset = next
                result.end = offset
            }
        }
        return result
    }

    /// The first damage among the records of `bytes[start..<end]`, checking their framing
    /// and checksums only (no decoding). The records must end exactly at `end`.
    static func checkFrames(_ bytes: [UInt8], from start: Int, to end: Int) -> Damage? {
        var offset = start
        while offset < end {
            switch record(in: bytes, at: offset) {
            case let .failure(damage):
                return damage
            case let .success((_, next)):
                guard next <= end else {
                    return Damage(offset: offset, reason: "record runs past the end the checkpoint recorded")
                }
                offset = next
            }
        }
        return nil
    }

    /// The payload range and the next offset of the record at `offset`, or what is wrong.
    static func record(in bytes: [UInt8], at offset: Int) -> Swift.Result<(Range<Int>, Int), Damage> {
        guard bytes.count - offset >= LogFormat.recordHeaderSize else {
            return .failure(Damage(offset: offset, reason: "incomplete record header"))
        }
        let length = Int(LogFormat.readUInt32(bytes, at: offset))
        let stored = LogFormat.readUInt32(bytes, at: offset + 4)
        guard length <= LogFormat.maxPayload else {
            return .failure(Damage(offset: offset, reason: "record length \(length) beyond the limit"))
        }
        let start = offset + LogFormat.recordHeaderSize
        guard bytes.count - start >= length else {
            return .failure(Damage(offset: offset, reason: "record ends past the end of the file"))
        }
        let crc = CRC32C.checksum(bytes[start..<(start + length)], initial: CRC32C.checksum(bytes[offset..<(offset + 4)]))
        guard crc == stored else {
            return .failure(Damage(offset: offset, reason: "checksum mismatch"))
        }
        return .success((start..<(start + length), start + length))
    }

    /// True when some sound record starts after `offset`: then the damage is in the middle
    /// of the log, not a torn tail.
    static func hasValidRecord(_ bytes: [UInt8], after offset: Int) -> Bool {
        var position = offset + 1
        while position + LogFormat.recordHeaderSize <= bytes.count {
            let length = Int(LogFormat.readUInt32(bytes, at: position))
            if length > 0, length <= bytes.count - position - LogFormat.recordHeaderSize,
               case .success = record(in: bytes, at: position) {
                return true
            }
            position += 1
        }
        return false
    }
}

extension LogScanner.Damage: Error {}
