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
///
/// The views file is framed in sections instead (`StampedSections`), so that a reader
/// reads only the sections it shows: its writer hands over the sections as one section
/// list (`StampedSections.list`), and `decode` hands the list back.
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
        if header.isSectioned {
            guard let sections = StampedSections.parseList(body) else {
                preconditionFailure("the body of a sectioned file is a section list (StampedSections.list)")
            }
            return StampedSections.encoded(stamp: stamp, sections: sections, as: header)
        }
        var bytes = header.bytes
        bytes.reserveCapacity(Self.bodyStart + body.count + 4)
        stamp.write(into: &bytes)
        bytes += body
        bytes += LogFormat.bigEndian(CRC32C.checksum(bytes))
        return bytes
    }

    /// Nil for a file of another format or version, a short file or a checksum mismatch:
    /// a derived file is a convenience, and any doubt sends the reader to the log.
    /// Consumes `bytes`: the body is cut out of them in place, not copied (the entry index
    /// at ten million entries is 400 MB).
    public static func decode(_ bytes: consuming [UInt8], as header: FileHeader) -> StampedFile? {
        if header.isSectioned {
            return StampedSections.decode(bytes, as: header).map { file in
                StampedFile(stamp: file.stamp, body: StampedSections.list(file.ids.map { ($0, file.sections[$0] ?? []) }))
            }
        }
        guard bytes.count >= bodyStart + 4, header.read(bytes) == .matches else { return nil }
        let end = bytes.count - 4
        guard CRC32C.checksum(bytes[..<end]) == LogFormat.readUInt32(bytes, at: end),
              let stamp = LogStamp.read(bytes, at: FileHeader.size) else { return nil }
        var body = consume bytes
        body.removeLast(4)
        body.removeFirst(bodyStart)
        return StampedFile(stamp: stamp, body: body)
    }

    /// The file `name` of `directory` when it describes the log exactly as it is now; nil
    /// when it is missing, damaged, or the log has changed since.
    public static func current(_ name: String, as header: FileHeader, directory: String,
                               storage: any Storage = PosixStorage()) -> StampedFile? {
        guard let bytes = try? storage.openReadOnly(directory + "/" + name).readAll(),
              let file = decode(consume bytes, as: header),
              file.stamp.describesLog(directory: directory, storage: storage) else { return nil }
        return file
    }

    /// Replaces the file atomically (a reader sees the old file or the new one, whole).
    func write(_ name: String, as header: FileHeader, directory: String, storage: any Storage) throws(StoreError) {
        try Self.replace(name, with: pieces(as: header), directory: directory, storage: storage)
    }

    /// The whole file as its parts, in order: the body is never copied into the file's
    /// bytes (the entry index at ten million entries is 400 MB).
    func pieces(as header: FileHeader) -> [ArraySlice<UInt8>] {
        if header.isSectioned {
            guard let sections = StampedSections.parseList(body) else {
                preconditionFailure("the body of a sectioned file is a section list (StampedSections.list)")
            }
            return StampedSections.pieces(stamp: stamp, sections: sections, as: header)
        }
        var head = header.bytes
        stamp.write(into: &head)
        let crc = CRC32C.checksum(body, initial: CRC32C.checksum(head))
        return [head[...], body[...], LogFormat.bigEndian(crc)[...]]
    }

    static func replace(_ name: String, with bytes: [UInt8], directory: String, storage: any Storage) throws(StoreError) {
        try replace(name, with: [bytes[...]], directory: directory, storage: storage)
    }

    static func replace(_ name: String, with pieces: [ArraySlice<UInt8>], directory: String,
                        storage: any Storage) throws(StoreError) {
        do {
            try storage.writeAtomically(pieces: pieces, to: directory + "/" + name, in: directory)
        } catch {
            throw .checkpointFailed(error)
        }
    }
}

extension LogStamp {
    /// True when the log of `directory` is exactly in this state: as long, and ending with
    /// the stamped record. A derived file is believed only then (a longer log holds events
    /// it does not count).
    func describesLog(directory: String, storage: any Storage) -> Bool {
        guard let log = try? storage.openReadOnly(directory + "/" + EventLog.fileName),
              let size = try? log.size() else { return false }
        return size == self.size && isPrefix(of: log)
    }
}

extension FileHeader {
    /// Whether stamped files of this format are framed in sections (`StampedSections`).
    var isSectioned: Bool { self == .views }
}
