import CarnetSystem

/// Names one exact state of `events.log`: its size and its last record's checksum.
///
/// A checkpoint or status file covers the log up to its stamp. The log only grows (a torn
/// tail cut at recovery was never acknowledged), so a file still covers the log when the
/// log is at least as long and the record that ended the stamped state is still there:
/// checked with one 8-byte read instead of reading the log.
public struct LogStamp: Sendable, Equatable, CustomStringConvertible {
    /// Bytes of sound records, header included.
    public var size: Int
    /// Where the last record begins (0 for a log with no record).
    public var lastRecordOffset: Int
    /// The stored CRC-32C of that record (0 for a log with no record).
    public var lastRecordCRC: UInt32

    public init(size: Int, lastRecordOffset: Int, lastRecordCRC: UInt32) {
        self.size = size
        self.lastRecordOffset = lastRecordOffset
        self.lastRecordCRC = lastRecordCRC
    }

    static let empty = LogStamp(size: LogFormat.headerSize, lastRecordOffset: 0, lastRecordCRC: 0)
    public static let encodedSize = 20

    /// The stamp's 20 bytes, as a stamped file stores them.
    public var bytes: [UInt8] {
        var bytes: [UInt8] = []
        write(into: &bytes)
        return bytes
    }

    public var description: String { "log size \(size), last record at \(lastRecordOffset)" }

    /// True when `file` (the log) still holds the stamped state as its prefix.
    func isPrefix(of file: any StorageFile) -> Bool {
        guard let size = try? file.size(), size >= self.size else { return false }
        guard lastRecordOffset > 0 else { return self.size == LogFormat.headerSize }
        guard lastRecordOffset + LogFormat.recordHeaderSize <= self.size,
              let header = try? file.read(at: lastRecordOffset, count: LogFormat.recordHeaderSize),
              header.count == LogFormat.recordHeaderSize else { return false }
        let length = Int(LogFormat.readUInt32(header, at: 0))
        return LogFormat.readUInt32(header, at: 4) == lastRecordCRC
            && lastRecordOffset + LogFormat.recordHeaderSize + length == self.size
    }

    func write(into bytes: inout [UInt8]) {
        bytes += LogFormat.bigEndian64(UInt64(size))
        bytes += LogFormat.bigEndian64(UInt64(lastRecordOffset))
        bytes += LogFormat.bigEndian(lastRecordCRC)
    }

    public static func read(_ bytes: [UInt8], at offset: Int) -> LogStamp? {
        guard bytes.count - offset >= encodedSize else { return nil }
        let size = LogFormat.readUInt64(bytes, at: offset)
        let last = LogFormat.readUInt64(bytes, at: offset + 8)
        guard size <= UInt64(Int.max), last < size else { return nil }
        return LogStamp(size: Int(size), lastRecordOffset: Int(last), lastRecordCRC: LogFormat.readUInt32(bytes, at: offset + 16))
    }
}
