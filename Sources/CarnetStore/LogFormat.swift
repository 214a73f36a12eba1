import CarnetWire

/// The on-disk layout of `events.log` (protocol/SPEC.md, "Store log"):
///
///     header  = "CARNETLG" u16(version = 1) 6 × 00             (16 bytes)
///     record  = u32(length) u32(crc32c(length ‖ payload)) payload
///     payload = one event batch (the wire's batch encoding)
///
/// Integers are big-endian. A record is one atomic append: one CLI write or one received
/// batch.
enum LogFormat {
    static let headerSize = FileHeader.size
    static let recordHeaderSize = 8
    /// Larger records are refused when writing and treated as damage when reading.
    static let maxPayload = 64 << 20

    static let header = FileHeader.log.bytes

    static func frame(_ payload: [UInt8]) -> [UInt8] {
        let length = UInt32(payload.count)
        let lengthBytes = bigEndian(length)
        let crc = CRC32C.checksum(payload, initial: CRC32C.checksum(lengthBytes))
        return lengthBytes + bigEndian(crc) + payload
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    static func bigEndian64(_ value: UInt64) -> [UInt8] {
        bigEndian(UInt32(value >> 32)) + bigEndian(UInt32(value & 0xFFFF_FFFF))
    }

    static func readUInt64(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        UInt64(readUInt32(bytes, at: offset)) << 32 | UInt64(readUInt32(bytes, at: offset + 4))
    }

    static func readUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }
}
