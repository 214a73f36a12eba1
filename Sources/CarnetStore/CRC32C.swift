import CarnetCRCHardware
#if arch(x86_64)
import _Builtin_intrinsics.intel.cpuid
#endif

/// CRC-32C (Castagnoli, as in iSCSI, RFC 3720), the checksum of every log record.
///
/// Catches torn writes and bit rot; it is not a defence against tampering (the per-node
/// hash chains are). A writer checks every record of the log before it appends (RELIABILITY
/// I3), so at 10M events this runs over 195 MB for one `record`: the processor's `crc32`
/// instruction where it has one (x86-64 with SSE4.2), else slicing-by-8, eight bytes per
/// step through eight tables. Both give the same value; `byTables` stays callable so that
/// tests hold one to the other.
public enum CRC32C {
    /// Whether this processor has the `crc32` instruction (CPUID leaf 1, ECX bit 20), asked once.
    public static let usesInstruction: Bool = {
        #if arch(x86_64)
        var eax: UInt32 = 0, ebx: UInt32 = 0, ecx: UInt32 = 0, edx: UInt32 = 0
        guard __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 else { return false }
        return (ecx >> 20) & 1 == 1
        #else
        return false
        #endif
    }()

    /// tables[k][b]: the CRC of byte b followed by k zero bytes.
    private static let tables: [[UInt32]] = {
        var tables = [[UInt32]](repeating: [UInt32](repeating: 0, count: 256), count: 8)
        for index in 0..<256 {
            var crc = UInt32(index)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            tables[0][index] = crc
        }
        for index in 0..<256 {
            for k in 1..<8 {
                let previous = tables[k - 1][index]
                tables[k][index] = (previous >> 8) ^ tables[0][Int(previous & 0xFF)]
            }
        }
        return tables
    }()

    private static let flat: [UInt32] = tables.flatMap { $0 }

    public static func checksum(_ bytes: UnsafeRawBufferPointer, initial: UInt32 = 0) -> UInt32 {
        #if arch(x86_64)
        if usesInstruction { return crc32cBySSE42(bytes, initial: initial) }
        #endif
        return byTables(bytes, initial: initial)
    }

    /// The table-driven CRC, whatever the processor has.
    public static func byTables(_ bytes: UnsafeRawBufferPointer, initial: UInt32 = 0) -> UInt32 {
        var crc = ~initial
        flat.withUnsafeBufferPointer { t in
            var index = 0
            let count = bytes.count
            while count - index >= 8 {
                let low = crc ^ (UInt32(bytes[index]) | UInt32(bytes[index + 1]) << 8
                    | UInt32(bytes[index + 2]) << 16 | UInt32(bytes[index + 3]) << 24)
                crc = t[7 * 256 + Int(low & 0xFF)] ^ t[6 * 256 + Int((low >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((low >> 16) & 0xFF)] ^ t[4 * 256 + Int(low >> 24)]
                    ^ t[3 * 256 + Int(bytes[index + 4])] ^ t[2 * 256 + Int(bytes[index + 5])]
                    ^ t[1 * 256 + Int(bytes[index + 6])] ^ t[Int(bytes[index + 7])]
                index += 8
            }
            while index < count {
                crc = t[Int((crc ^ UInt32(bytes[index])) & 0xFF)] ^ (crc >> 8)
                index += 1
            }
        }
        return ~crc
    }

    public static func checksum(_ bytes: [UInt8], initial: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0, initial: initial) }
    }

    public static func checksum(_ bytes: ArraySlice<UInt8>, initial: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0, initial: initial) }
    }
}
