import CarnetSystem
import CarnetWire

/// A file derived from the log (the status file, the views file) that is only believed
/// while the log is exactly in the state it was computed from, so that a reading command
/// answers from it without touching the events (protocol/SPEC.md §6.3, §6.5):
///
///     header  = magic(8) u16(version) 6 × 00
///     stamp   = u64(log size) u64(last record offset) u32(its crc)
///     body    = what the format says
///     trailer = u32(crc32c of every byte before it)
///
/// The store writes these bytes and checks the stamp; what the body means belongs to the
/// layer that knows (counts for the store, stock and balances for the ledger).
public struct StampedFile: Sendable, Equatable {
    public var stamp: LogStamp
    public var body: [UInt8]

    public init(stamp: LogStamp, body: [UInt8]) {
        self.stamp = stamp
        self.body = body
    }

    static let bodyStart = FileHeader.size + LogStamp.encodedSize

    /// The whole file.
    public func encoded(as header: FileHeader) -> [UInt8] {
        var bytes = header.bytes
        bytes.reserveCapacity(Self.bodyStart + body.count + 4)
        stamp.write(into: &bytes)
        bytes += body
        bytes += LogFormat.bigEndian(CRC32C.checksum(bytes))
        return bytes
    }

    /// Nil for a file of another format or version, a short file or a checksum mismatch:
    /// a derived file is a convenience, and any doubt sends the reader to the log.
    public static func decode(_ bytes: [UInt8], as header: FileHeader) -> StampedFile? {
        guard bytes.count >= bodyStart + 4, header.read(bytes) == .matches else { return nil }
        let end = bytes.count - 4
        guard CRC32C.checksum(bytes[..<end]) == LogFormat.readUInt32(bytes, at: end),
              let stamp = LogStamp.read(bytes, at: FileHeader.size) else { return nil }
        return StampedFile(stamp: stamp, body: Array(bytes[bodyStart..<end]))
    }

    /// The file `name` of `directory` when it describes the log exactly as it is now; nil
    /// when it is missing, damaged, or the log has changed since.
    public static func current(_ name: String, as header: FileHeader, directory: String,
                               storage: any Storage = PosixStorage()) -> StampedFile? {
        guard let bytes = try? storage.openReadOnly(directory + "/" + name).readAll(),
              let file = decode(bytes, as: header),
              let log = try? storage.openReadOnly(directory + "/" + EventLog.fileName),
              let size = try? log.size(), size == file.stamp.size,
              file.stamp.isPrefix(of: log) else { return nil }
        return file
    }

    /// Replaces the file atomically (a reader sees the old file or the new one, whole).
    func write(_ name: String, as header: FileHeader, directory: String, storage: any Storage) throws(StoreError) {
        try Self.replace(name, with: encoded(as: header), directory: directory, storage: storage)
    }

    static func replace(_ name: String, with bytes: [UInt8], directory: String, storage: any Storage) throws(StoreError) {
        do {
            try storage.writeAtomically(bytes, to: directory + "/" + name, in: directory)
        } catch {
            throw .checkpointFailed(error)
        }
    }
}
