// CRC-32C with the processor's own instruction (x86-64 SSE4.2 `crc32`), which computes
// exactly the Castagnoli CRC of RFC 3720 eight bytes per step. The table-driven CRC of
// CarnetStore checked a 10M hub's 195 MB log at about 1 GB/s, 29 % of a `record`'s CPU;
// the instruction runs several times faster.
//
// This module alone is compiled with SSE4.2 enabled (Package.swift), so that nothing else
// in Carnet assumes the instruction: `CRC32C` calls in here only after `cpuid` said the
// processor has it, and uses its tables otherwise (and on every other architecture).

#if arch(x86_64)
import _Builtin_intrinsics.intel

/// The CRC-32C of `bytes` continued from `initial` (0 to start), as `CRC32C.checksum`
/// computes it. Callers MUST have checked that the processor has SSE4.2.
public func crc32cBySSE42(_ bytes: UnsafeRawBufferPointer, initial: UInt32) -> UInt32 {
    var crc = UInt64(~initial)
    var index = 0
    let count = bytes.count
    while count - index >= 8 {
        crc = _mm_crc32_u64(crc, bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
        index += 8
    }
    var narrow = UInt32(truncatingIfNeeded: crc)
    while index < count {
        narrow = _mm_crc32_u8(narrow, bytes[index])
        index += 1
    }
    return ~narrow
}
#endif
