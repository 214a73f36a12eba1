import CarnetCore
import CarnetSystem
import CarnetWire

/// Reads records of `events.log` by offset, without opening the store, for a file that
/// says where events lie (the entry index, protocol/SPEC.md §6.7): `show` reads the one
/// record that holds its entry instead of decoding a million.
///
/// Read-only and lock-free: a record inside a stamp that still describes the log was
/// acknowledged, so its bytes never change (the log only grows). Every record read is
/// checked as opening checks it (framing, CRC-32C, a batch that decodes, the events'
/// hashes recomputed by the decoder); anything else is nil, and the caller, holding a
/// derived file it must not trust over the log, falls back to opening the store.
public final class LogRecordReader: Sendable {
    private let file: any StorageFile
    /// The state of the log this reader reads within: no record past its size is read.
    public let stamp: LogStamp

    /// The log of `directory` when it is still exactly in the state `stamp` names (its size
    /// equal to the stamp's, and covered as in §6.1); nil otherwise.
    public init?(directory: String, stamp: LogStamp, storage: any Storage = PosixStorage()) {
        guard let file = try? storage.openReadOnly(directory + "/" + EventLog.fileName),
              let size = try? file.size(), size == stamp.size, stamp.isPrefix(of: file) else { return nil }
        self.file = file
        self.stamp = stamp
    }

    /// The log of `directory` as a prefix: readable up to `stamp` while the log has grown
    /// past it (a writer rebuilding a file from an older one's stamp).
    public init?(directory: String, prefix stamp: LogStamp, storage: any Storage = PosixStorage()) {
        guard let file = try? storage.openReadOnly(directory + "/" + EventLog.fileName),
              stamp.isPrefix(of: file) else { return nil }
        self.file = file
        self.stamp = stamp
    }

    /// This reader's open log, read within `stamp`: a later state of the same log (a cold
    /// store reads back what it appended since, after each append), with no file opened
    /// again. Nil when the file does not hold that state.
    public func reading(upTo stamp: LogStamp) -> LogRecordReader? {
        guard stamp.size >= self.stamp.size, stamp.isPrefix(of: file) else { return nil }
        return LogRecordReader(file: file, stamp: stamp)
    }

    private init(file: any StorageFile, stamp: LogStamp) {
        self.file = file
        self.stamp = stamp
    }

    /// Where the log's first record begins (after its header): where a walk of every record starts.
    public static var firstRecordOffset: Int { LogFormat.headerSize }

    /// The events of the record that begins at `offset`, when a sound record begins there
    /// and ends within the stamp.
    public func events(at offset: Int) -> [Event]? {
        guard offset >= LogFormat.headerSize, offset + LogFormat.recordHeaderSize <= stamp.size,
              let head = try? file.read(at: offset, count: LogFormat.recordHeaderSize),
              head.count == LogFormat.recordHeaderSize else { return nil }
        let length = Int(LogFormat.readUInt32(head, at: 0))
        guard length <= LogFormat.maxPayload, offset + LogFormat.recordHeaderSize + length <= stamp.size,
              let payload = try? file.read(at: offset + LogFormat.recordHeaderSize, count: length),
              payload.count == length,
              CRC32C.checksum(payload, initial: CRC32C.checksum(Array(head[0..<4]))) == LogFormat.readUInt32(head, at: 4)
        else { return nil }
        return try? EventBatch.decodeSigned(payload, limits: .unbounded).events
    }

    /// Whether a sound record begins at `offset` and ends within the stamp, by its framing
    /// and CRC-32C, without decoding it: what storage damage breaks, checked for the
    /// records a long answer will print before it prints a line (`log` of a whole ledger
    /// checks in milliseconds what decoding takes seconds to read).
    public func isSound(at offset: Int) -> Bool {
        guard offset >= LogFormat.headerSize, offset + LogFormat.recordHeaderSize <= stamp.size,
              let head = try? file.read(at: offset, count: LogFormat.recordHeaderSize),
              head.count == LogFormat.recordHeaderSize else { return false }
        let length = Int(LogFormat.readUInt32(head, at: 0))
        guard length <= LogFormat.maxPayload, offset + LogFormat.recordHeaderSize + length <= stamp.size,
              let payload = try? file.read(at: offset + LogFormat.recordHeaderSize, count: length),
              payload.count == length else { return false }
        return CRC32C.checksum(payload, initial: CRC32C.checksum(Array(head[0..<4]))) == LogFormat.readUInt32(head, at: 4)
    }

    /// Hands every record from `start` (a record's offset, or the end of the header) to the
    /// end of the stamp to `body`, with its offset, one at a time (the caller keeps what it
    /// needs, not a million events); false when one of them is not sound or they do not
    /// end exactly at the stamp's size.
    public func forEachRecord(from start: Int, _ body: (_ offset: Int, _ events: [Event]) -> Void) -> Bool {
        readRecords(from: start) { offset, events in
            body(offset, events)
            return true
        }
    }

    /// The same, until `body` returns false (it has seen enough): then the records after
    /// are not read, and the answer is true if those read were sound.
    ///
    /// Read `window` bytes at a time (a record longer than that in one read of its own):
    /// a walk of a ten-million-event log held its 195 MB at once.
    public func readRecords(from start: Int, window: Int = 8 << 20,
                            while body: (_ offset: Int, _ events: [Event]) -> Bool) -> Bool {
        guard start >= LogFormat.headerSize, start <= stamp.size else { return false }
        var position = start, size = window
        while position < stamp.size {
            let count = min(stamp.size - position, size)
            guard let bytes = try? file.read(at: position, count: count), bytes.count == count else { return false }
            var offset = 0
            // Where a record the window cuts begins: read again from there, with room for it.
            var cut: Int?
            while offset < bytes.count, cut == nil {
                switch LogScanner.record(in: bytes, at: offset) {
                case let .success((payload, next)):
                    guard let signed = try? EventBatch.decodeSigned(Array(bytes[payload]), limits: .unbounded) else { return false }
                    guard body(position + offset, signed.events) else { return true }
                    offset = next
                case .failure:
                    // Whole in the bytes read, or cut by the stamp's end: not sound.
                    let left = bytes.count - offset
                    let length = left >= LogFormat.recordHeaderSize ? Int(LogFormat.readUInt32(bytes, at: offset)) : 0
                    let needed = LogFormat.recordHeaderSize + length
                    guard length <= LogFormat.maxPayload, left < needed, position + count < stamp.size else { return false }
                    cut = offset
                    size = max(window, needed)
                }
            }
            position += cut ?? count
            if cut == nil { size = window }
        }
        return true
    }
}

extension LogStamp {
    /// True when the log of `directory` is exactly in this state now: its size equal to
    /// the stamp's and the stamped last record still there (§6.1). What a derived file
    /// must show before a reader believes it.
    public func isCurrent(directory: String, storage: any Storage = PosixStorage()) -> Bool {
        guard let log = try? storage.openReadOnly(directory + "/" + EventLog.fileName),
              let size = try? log.size(), size == self.size else { return false }
        return isPrefix(of: log)
    }

    /// True when the log of `directory` still begins with this state (it may have grown).
    public func isPrefix(directory: String, storage: any Storage = PosixStorage()) -> Bool {
        guard let log = try? storage.openReadOnly(directory + "/" + EventLog.fileName) else { return false }
        return isPrefix(of: log)
    }
}
