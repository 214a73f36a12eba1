import CarnetCore
import CarnetStore
import CarnetWire

/// A read-only walk over an `events.log` image, record by record, for `verify`: it needs
/// where each record ends (to compare a checkpoint with the log up to its stamp), which
/// the store's own scanner does not expose. It follows protocol/SPEC.md, "Store log":
///
///     header = "CARNETLG" u16(version = 1) 6 × 00
///     record = u32(length) u32(crc32c(length ‖ payload)) payload(event batch)
///
/// Being a second, independent reader of the format is a feature here: `verify` does not
/// trust the code it checks.
struct LogReader {
    struct Record {
        var offset: Int
        var end: Int
        var crc: UInt32
        var events: [Event]
        /// The signed heads the record carries (signed ledgers).
        var heads: [SignedHead] = []
    }

    var records: [Record] = []
    /// The first byte that is not a sound record, with the reason.
    var damage: (offset: Int, reason: String)?

    static let headerSize = 16
    static let maxPayload = 64 << 20

    init(_ bytes: [UInt8]) {
        guard bytes.count >= Self.headerSize, Array(bytes.prefix(8)) == Array("CARNETLG".utf8) else {
            damage = (0, "not a Carnet event log (wrong magic bytes)")
            return
        }
        var offset = Self.headerSize
        while offset < bytes.count {
            guard bytes.count - offset >= 8 else {
                damage = (offset, "incomplete record header")
                return
            }
            let length = Int(Self.uint32(bytes, offset))
            let stored = Self.uint32(bytes, offset + 4)
            guard length <= Self.maxPayload, bytes.count - offset - 8 >= length else {
                damage = (offset, "record length \(length) runs past the end of the file")
                return
            }
            let payload = Array(bytes[(offset + 8)..<(offset + 8 + length)])
            let crc = CRC32C.checksum(payload, initial: CRC32C.checksum(Array(bytes[offset..<(offset + 4)])))
            guard crc == stored else {
                damage = (offset, "checksum mismatch")
                return
            }
            do {
                let signed = try EventBatch.decodeSigned(payload, limits: .unbounded)
                records.append(Record(offset: offset, end: offset + 8 + length, crc: stored, events: signed.events,
                                      heads: signed.heads))
            } catch {
                damage = (offset, "record does not decode: \(error)")
                return
            }
            offset += 8 + length
        }
    }

    /// The events of the records that end at or before `size`, when `size` is exactly the
    /// end of a record (or the header alone); nil when no record ends there.
    func events(upTo stamp: LogStamp) -> [Event]? {
        if stamp.size == Self.headerSize { return [] }
        guard let index = records.firstIndex(where: { $0.end == stamp.size }),
              records[index].offset == stamp.lastRecordOffset, records[index].crc == stamp.lastRecordCRC else { return nil }
        return records[...index].flatMap(\.events)
    }

    var allEvents: [Event] { records.flatMap(\.events) }

    static func uint32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }
}
