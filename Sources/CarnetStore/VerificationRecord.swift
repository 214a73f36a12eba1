import CarnetSystem

/// When `carnet verify` last checked this node, what it found, and which state of the
/// log it checked (file `verified`, protocol/SPEC.md §6.6). `status` answers from small
/// files and cannot see damage in the middle of the log; it says instead when every
/// record was last checked, so that it never presents as healthy what it did not check.
public struct VerificationRecord: Sendable, Equatable {
    public var atMillis: UInt64
    public var sound: Bool
    /// The log as verified: its size and its last record's checksum.
    public var stamp: LogStamp

    public static let fileName = "verified"

    public init(atMillis: UInt64, sound: Bool, stamp: LogStamp) {
        self.atMillis = atMillis
        self.sound = sound
        self.stamp = stamp
    }

    /// Whether the log now is the one verified (`same`), one that only grew after it
    /// (`grown`, records appended since were not checked by `verify`), one of the same size
    /// and last record written to after the check (`rewritten`: a change in the middle,
    /// which only `verify` can find), or another one.
    public enum Coverage: Sendable, Equatable { case same, grown, rewritten, other }

    public func coverage(directory: String, storage: any Storage = PosixStorage()) -> Coverage {
        let path = directory + "/" + EventLog.fileName
        guard let log = try? storage.openReadOnly(path), stamp.isPrefix(of: log) else { return .other }
        guard (try? log.size()) == stamp.size else { return .grown }
        // The log only grows: written after the check without growing, it was rewritten.
        if storage is PosixStorage, let modified = try? File(readingOnly: path).metadata().modifiedMillis, modified > atMillis + 1_000 {
            return .rewritten
        }
        return .same
    }

    var text: String {
        "carnet-verified 1\nat \(atMillis)\nresult \(sound ? "sound" : "not-sound")\n"
            + "log \(stamp.size) \(stamp.lastRecordOffset) \(String(stamp.lastRecordCRC, radix: 16))\n"
    }

    static func parse(_ text: String) -> VerificationRecord? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count == 5, lines[0] == "carnet-verified 1", lines[4].isEmpty,
              lines[1].hasPrefix("at "), let at = UInt64(lines[1].dropFirst(3)),
              lines[2] == "result sound" || lines[2] == "result not-sound" else { return nil }
        let log = lines[3].split(separator: " ").map(String.init)
        guard log.count == 4, log[0] == "log", let size = Int(log[1]), let offset = Int(log[2]),
              let crc = UInt32(log[3], radix: 16), size >= LogFormat.headerSize, offset < size else { return nil }
        return VerificationRecord(atMillis: at, sound: lines[2] == "result sound",
                                  stamp: LogStamp(size: size, lastRecordOffset: offset, lastRecordCRC: crc))
    }

    /// The record of `directory`, nil when there is none or it does not read.
    public static func load(directory: String, storage: any Storage = PosixStorage()) -> VerificationRecord? {
        guard let bytes = try? storage.openReadOnly(directory + "/" + fileName).readAll() else { return nil }
        return parse(String(decoding: bytes, as: UTF8.self))
    }

    /// Replaces the record atomically.
    public func save(directory: String, storage: any Storage = PosixStorage()) throws(StoreError) {
        try StampedFile.replace(Self.fileName, with: Array(text.utf8), directory: directory, storage: storage)
    }
}

extension LogStamp {
    /// True when the log's last record, as stamped, still has the checksum it was written
    /// with: one record read, what `status` can check cheaply on every call.
    public func lastRecordIsSound(directory: String, storage: any Storage = PosixStorage()) -> Bool {
        guard lastRecordOffset > 0 else { return true }
        guard let log = try? storage.openReadOnly(directory + "/" + EventLog.fileName),
              let record = try? log.read(at: lastRecordOffset, count: size - lastRecordOffset),
              record.count == size - lastRecordOffset, record.count >= LogFormat.recordHeaderSize else { return false }
        let crc = CRC32C.checksum(record[LogFormat.recordHeaderSize...], initial: CRC32C.checksum(record[0..<4]))
        return crc == LogFormat.readUInt32(record, at: 4)
    }
}

extension LogStamp {
    /// The stamp of the log in `bytes` as its record frames lay it out (lengths only, no
    /// checksum: `verify` has checked those), up to the last frame that fits.
    public static func framing(_ bytes: [UInt8]) -> LogStamp {
        var offset = LogFormat.headerSize, last = 0, crc: UInt32 = 0
        while offset + LogFormat.recordHeaderSize <= bytes.count {
            let length = Int(LogFormat.readUInt32(bytes, at: offset))
            guard length <= LogFormat.maxPayload, offset + LogFormat.recordHeaderSize + length <= bytes.count else { break }
            last = offset
            crc = LogFormat.readUInt32(bytes, at: offset + 4)
            offset += LogFormat.recordHeaderSize + length
        }
        return LogStamp(size: min(offset, max(bytes.count, LogFormat.headerSize)), lastRecordOffset: last, lastRecordCRC: crc)
    }
}
