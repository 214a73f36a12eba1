import CarnetCore
import CarnetSystem
import CarnetWire

/// A stamped file in sections, each with its own checksum, so that a reader reads and
/// checks the few bytes it shows instead of the whole file (protocol/SPEC.md §6.5): at 10M
/// events the views file is 145 MB, and `balances` needs a few KB of it.
///
///     header   = magic(8) u16(version) 6 × 00
///     stamp    = u64(log size) u64(last record offset) u32(its crc)
///     table    = u8(n) n × ( u8(id) u64(length) u32(crc32c of the section) )
///                u32(crc32c of header, stamp and table before it)
///     sections = n × section, in the table's order, each exactly its length; the file
///                ends with the last one
///
/// The table's checksum covers the header and the stamp, so a reader that checks it and
/// the sections it needs has checked every byte its answer rests on; damage elsewhere is
/// found by the reader that needs those bytes (and by `verify`, which reads them all).
public struct StampedSections: Sendable, Equatable {
    public var stamp: LogStamp
    /// Every section the table names, in file order.
    public var ids: [UInt8]
    /// The bytes of the sections read (all of them from `decode`, those asked for from
    /// `current`), each checked against its checksum.
    public var sections: [UInt8: [UInt8]]

    public init(stamp: LogStamp, ids: [UInt8], sections: [UInt8: [UInt8]]) {
        self.stamp = stamp
        self.ids = ids
        self.sections = sections
    }

    static let entrySize = 13

    /// The bytes of header, stamp and table (checksum included) for a table of `count`
    /// sections.
    static func headSize(sections count: Int) -> Int { StampedFile.bodyStart + 1 + count * entrySize + 4 }

    /// One entry of the table, with where its section lies in the file.
    struct Entry: Equatable {
        var id: UInt8
        var offset: Int
        var length: Int
        var crc: UInt32
    }

    /// The sections as one body, `varint(n) n × ( u8(id) varint(length) )` then the
    /// sections: the form in which a writer hands them to `NodeStore.saveStampedFile`
    /// (whose body is one array of bytes) and `StampedFile.decode` hands them back. Never
    /// stored as such.
    public static func list(_ sections: [(id: UInt8, bytes: [UInt8])]) -> [UInt8] {
        var writer = ByteWriter(capacity: sections.reduce(16) { $0 + $1.bytes.count + 8 })
        writer.varint(UInt64(sections.count))
        for section in sections {
            writer.byte(section.id)
            writer.varint(UInt64(section.bytes.count))
        }
        for section in sections { writer.raw(section.bytes) }
        return writer.bytes
    }

    /// The sections of a `list`, as slices of it (a 10M hub's views are 145 MB: a writer
    /// need not hold them a third time); nil when it does not add up exactly, holds more
    /// than 255 sections or names one twice.
    public static func parseList(_ body: [UInt8]) -> [(id: UInt8, bytes: ArraySlice<UInt8>)]? {
        var reader = ByteReader(body)
        do throws(WireError) {
            let count = try reader.count(limit: 255, "sections")
            var table: [(id: UInt8, length: Int)] = []
            for _ in 0..<count {
                table.append((try reader.byte(), try reader.count(limit: body.count, "section length")))
            }
            guard Set(table.map(\.id)).count == table.count else { return nil }
            var sections: [(id: UInt8, bytes: ArraySlice<UInt8>)] = []
            for (id, length) in table { sections.append((id, try reader.raw(length))) }
            return reader.isAtEnd ? sections : nil
        } catch {
            return nil
        }
    }

    /// The whole file: `sections` in the order given (at most 255, ids distinct).
    public static func encoded(stamp: LogStamp, sections: [(id: UInt8, bytes: ArraySlice<UInt8>)], as header: FileHeader) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(headSize(sections: sections.count) + sections.reduce(0) { $0 + $1.bytes.count })
        for piece in pieces(stamp: stamp, sections: sections, as: header) { bytes += piece }
        return bytes
    }

    /// The same file as its parts, in order: its head (header, stamp, table), then each
    /// section as given, so that a writer writes them without joining them first.
    static func pieces(stamp: LogStamp, sections: [(id: UInt8, bytes: ArraySlice<UInt8>)],
                       as header: FileHeader) -> [ArraySlice<UInt8>] {
        precondition(sections.count <= 255 && Set(sections.map(\.id)).count == sections.count,
                     "a sectioned file holds at most 255 sections, each id once")
        var head = header.bytes
        stamp.write(into: &head)
        head.append(UInt8(sections.count))
        for section in sections {
            head.append(section.id)
            head += LogFormat.bigEndian64(UInt64(section.bytes.count))
            head += LogFormat.bigEndian(CRC32C.checksum(section.bytes))
        }
        head += LogFormat.bigEndian(CRC32C.checksum(head))
        return [head[...]] + sections.map(\.bytes)
    }

    /// The stamp and table at the start of `head` (the file's first bytes: at least its
    /// header, stamp and table, or the whole file), for a file of `fileSize` bytes. Nil for
    /// another format or version, a table that fails its checksum, names an id twice, or
    /// whose sections do not end exactly at the end of the file (a file cut short, or grown).
    static func table(_ head: [UInt8], fileSize: Int, as header: FileHeader) -> (stamp: LogStamp, entries: [Entry])? {
        let start = StampedFile.bodyStart
        guard head.count > start, header.read(head) == .matches else { return nil }
        let count = Int(head[start])
        let tableEnd = start + 1 + count * entrySize
        guard head.count >= tableEnd + 4,
              CRC32C.checksum(head[..<tableEnd]) == LogFormat.readUInt32(head, at: tableEnd),
              let stamp = LogStamp.read(head, at: FileHeader.size) else { return nil }
        var entries: [Entry] = []
        var offset = tableEnd + 4
        var seen = Set<UInt8>()
        for index in 0..<count {
            let at = start + 1 + index * entrySize
            let length = LogFormat.readUInt64(head, at: at + 1)
            guard seen.insert(head[at]).inserted, offset <= fileSize, length <= UInt64(fileSize - offset) else { return nil }
            entries.append(Entry(id: head[at], offset: offset, length: Int(length), crc: LogFormat.readUInt32(head, at: at + 9)))
            offset += Int(length)
        }
        guard offset == fileSize else { return nil }
        return (stamp, entries)
    }

    /// The whole file read: every section checked. Nil on any doubt, as for `table`.
    public static func decode(_ bytes: [UInt8], as header: FileHeader) -> StampedSections? {
        guard let (stamp, entries) = table(bytes, fileSize: bytes.count, as: header) else { return nil }
        var sections: [UInt8: [UInt8]] = [:]
        for entry in entries {
            let section = Array(bytes[entry.offset..<(entry.offset + entry.length)])
            guard CRC32C.checksum(section) == entry.crc else { return nil }
            sections[entry.id] = section
        }
        return StampedSections(stamp: stamp, ids: entries.map(\.id), sections: sections)
    }

    /// The file `name` of `directory` when it describes the log exactly as it is now, with
    /// the sections `wanted` read (ids the table does not name are left out): its header,
    /// stamp and section count, then the table, then those sections alone, each with one
    /// positioned read. Nil when
    /// it is missing, of another version, damaged in any byte read, cut short, or the log
    /// has changed since. Sections not wanted are neither read nor checked.
    /// `acceptingPrefix`: also when the log has grown past the file's stamp, still holding
    /// that state (a reader that adds the records past it, SPEC §6.8).
    public static func current(_ name: String, as header: FileHeader, directory: String, wanted: Set<UInt8>,
                               storage: any Storage = PosixStorage(), acceptingPrefix: Bool = false) -> StampedSections? {
        opened(name, as: header, directory: directory, wanted: wanted, storage: storage, acceptingPrefix: acceptingPrefix)?.sections
    }

    /// `current`, with the file kept open (`OpenSections`) for reads of parts of the
    /// sections not read whole: a reader of a few blocks of a large section (SPEC §6.5,
    /// sections 14 to 16) reads them from the very file whose table it checked, even when
    /// a writer renames a newer one over it meanwhile.
    public static func opened(_ name: String, as header: FileHeader, directory: String, wanted: Set<UInt8>,
                              storage: any Storage = PosixStorage(), acceptingPrefix: Bool = false)
        -> (sections: StampedSections, file: OpenSections)? {
        guard let file = try? storage.openReadOnly(directory + "/" + name),
              let size = try? file.size(),
              let start = try? file.read(at: 0, count: StampedFile.bodyStart + 1), start.count == StampedFile.bodyStart + 1,
              let rest = try? file.read(at: start.count, count: headSize(sections: Int(start[start.count - 1])) - start.count),
              let (stamp, entries) = table(start + rest, fileSize: size, as: header),
              acceptingPrefix ? stamp.isPrefix(directory: directory, storage: storage)
                  : stamp.describesLog(directory: directory, storage: storage) else { return nil }
        var sections: [UInt8: [UInt8]] = [:]
        for entry in entries where wanted.contains(entry.id) {
            guard let section = try? file.read(at: entry.offset, count: entry.length),
                  section.count == entry.length, CRC32C.checksum(section) == entry.crc else { return nil }
            sections[entry.id] = section
        }
        return (StampedSections(stamp: stamp, ids: entries.map(\.id), sections: sections), OpenSections(file: file, entries: entries))
    }
}

/// A sectioned file held open after its table was checked (`StampedSections.opened`): the
/// place of each section, and reads of a range within one. What a range holds is checked
/// by its reader (the views' blocks carry their own CRC-32C); this only keeps reads inside
/// the section named.
public struct OpenSections: Sendable {
    private let file: any StorageFile
    private let places: [UInt8: (offset: Int, length: Int, crc: UInt32)]

    init(file: any StorageFile, entries: [StampedSections.Entry]) {
        self.file = file
        var places: [UInt8: (offset: Int, length: Int, crc: UInt32)] = [:]
        for entry in entries { places[entry.id] = (entry.offset, entry.length, entry.crc) }
        self.places = places
    }

    /// The length of section `id`, nil when the table does not name it.
    public func length(of id: UInt8) -> Int? { places[id]?.length }

    /// The `count` bytes at `offset` within section `id`; nil when that range is not within
    /// it or cannot be read whole.
    public func read(_ id: UInt8, at offset: Int, count: Int) -> [UInt8]? {
        guard let place = places[id], offset >= 0, count >= 0, offset <= place.length, count <= place.length - offset,
              let bytes = try? file.read(at: place.offset + offset, count: count), bytes.count == count else { return nil }
        return bytes
    }

    /// Section `id` whole, checked against its checksum in the table; nil when it is not
    /// named, cannot be read whole or fails.
    public func section(_ id: UInt8) -> [UInt8]? {
        guard let place = places[id], let bytes = read(id, at: 0, count: place.length),
              CRC32C.checksum(bytes) == place.crc else { return nil }
        return bytes
    }
}
