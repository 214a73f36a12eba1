import CarnetSHA256Hardware
#if arch(x86_64)
import _Builtin_intrinsics.intel.cpuid
#endif

/// SHA-256 (FIPS 180-4), written here because Carnet takes no package dependencies.
///
/// Event identity, the per-node hash chains and the state digest all rest on it, so it is
/// checked against the NIST example vectors in the tests. Streaming: feed bytes with
/// `update`, then `finalize` once. The compression function runs on the processor's SHA
/// extensions where it has them (`usesInstructions`), else on the rounds below; the tests
/// hold one to the other.
public struct SHA256: Sendable {
    /// Whether this processor has the SHA extensions and SSE4.1 (CPUID leaf 7 EBX bit 29,
    /// leaf 1 ECX bit 19), asked once.
    public static let usesInstructions: Bool = {
        #if arch(x86_64)
        var eax: UInt32 = 0, ebx: UInt32 = 0, ecx: UInt32 = 0, edx: UInt32 = 0
        guard __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0, (ecx >> 19) & 1 == 1 else { return false }
        guard __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) != 0 else { return false }
        return (ebx >> 29) & 1 == 1
        #else
        return false
        #endif
    }()

    /// False for a hasher that must use the rounds written here (the tests' reference).
    private var instructions = SHA256.usesInstructions

    private var state: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a,
        0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19
    )
    /// Bytes of a partial block waiting for more input (always fewer than 64).
    private var pending: [UInt8] = []
    private var totalLength: UInt64 = 0

    public init() {
        pending.reserveCapacity(64)
    }

    /// A hasher that never uses the processor's SHA extensions: what the tests hold the
    /// instructions to, and the benchmark compares them with.
    public static func byRounds() -> SHA256 {
        var hasher = SHA256()
        hasher.instructions = false
        return hasher
    }

    /// One-shot digest of a byte sequence.
    public static func hash<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> SHA256Digest {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    public mutating func update<Bytes: Sequence<UInt8>>(_ bytes: Bytes) {
        let handled: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            update(UnsafeRawBufferPointer(buffer))
        }
        if handled == nil {
            let copy = Array(bytes)
            copy.withUnsafeBytes { update($0) }
        }
    }

    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        totalLength &+= UInt64(buffer.count)
        var offset = 0
        if !pending.isEmpty {
            let take = min(64 - pending.count, buffer.count)
            pending.append(contentsOf: buffer[0..<take])
            offset = take
            if pending.count < 64 { return }
            let block = pending
            block.withUnsafeBytes { compress($0, blocks: 1) }
            pending.removeAll(keepingCapacity: true)
        }
        let wholeBlocks = (buffer.count - offset) / 64
        if wholeBlocks > 0 {
            compress(UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + wholeBlocks * 64)]), blocks: wholeBlocks)
            offset += wholeBlocks * 64
        }
        if offset < buffer.count {
            pending.append(contentsOf: buffer[offset...])
        }
    }

    /// Pads, processes the last block(s) and returns the digest. The hasher is spent afterwards.
    public mutating func finalize() -> SHA256Digest {
        let bitLength = totalLength &* 8
        let used = pending.count
        let blocks = used < 56 ? 1 : 2
        // The padded tail in a stack buffer: 0x80, zeros, the 64-bit big-endian bit length.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 128) { tail in
            tail.initialize(repeating: 0)
            for index in 0..<used { tail[index] = pending[index] }
            tail[used] = 0x80
            let end = blocks * 64
            for index in 0..<8 { tail[end - 1 - index] = UInt8(truncatingIfNeeded: bitLength >> UInt64(8 * index)) }
            compress(UnsafeRawBufferPointer(start: tail.baseAddress, count: end), blocks: blocks)
        }
        pending.removeAll(keepingCapacity: true)
        let s = state
        return SHA256Digest(
            UInt64(s.0) << 32 | UInt64(s.1), UInt64(s.2) << 32 | UInt64(s.3),
            UInt64(s.4) << 32 | UInt64(s.5), UInt64(s.6) << 32 | UInt64(s.7)
        )
    }

    private mutating func compress(_ data: UnsafeRawBufferPointer, blocks: Int) {
        #if arch(x86_64)
        if instructions {
            sha256RoundConstants.withUnsafeBufferPointer { sha256CompressBySHAExtensions(&state, data, blocks: blocks, constants: $0) }
            return
        }
        #endif
        sha256RoundConstants.withUnsafeBufferPointer { k in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
                var (h0, h1, h2, h3, h4, h5, h6, h7) = state
                for block in 0..<blocks {
                    let base = block * 64
                    for i in 0..<16 {
                        w[i] = UInt32(bigEndian: data.loadUnaligned(fromByteOffset: base + i * 4, as: UInt32.self))
                    }
                    for i in 16..<64 {
                        let x = w[i - 15], y = w[i - 2]
                        let s0 = rotr(x, 7) ^ rotr(x, 18) ^ (x >> 3)
                        let s1 = rotr(y, 17) ^ rotr(y, 19) ^ (y >> 10)
                        w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
                    }
                    var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7
                    // Eight rounds per step with the roles of the variables rotated, instead
                    // of shifting eight values through each round.
                    var i = 0
                    while i < 64 {
                        round(a, b, c, &d, e, f, g, &h, k[i] &+ w[i])
                        round(h, a, b, &c, d, e, f, &g, k[i + 1] &+ w[i + 1])
                        round(g, h, a, &b, c, d, e, &f, k[i + 2] &+ w[i + 2])
                        round(f, g, h, &a, b, c, d, &e, k[i + 3] &+ w[i + 3])
                        round(e, f, g, &h, a, b, c, &d, k[i + 4] &+ w[i + 4])
                        round(d, e, f, &g, h, a, b, &c, k[i + 5] &+ w[i + 5])
                        round(c, d, e, &f, g, h, a, &b, k[i + 6] &+ w[i + 6])
                        round(b, c, d, &e, f, g, h, &a, k[i + 7] &+ w[i + 7])
                        i += 8
                    }
                    h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d
                    h4 &+= e; h5 &+= f; h6 &+= g; h7 &+= h
                }
                state = (h0, h1, h2, h3, h4, h5, h6, h7)
            }
        }
    }
}

/// One SHA-256 round: `d` gains T1, `h` becomes T1 + T2 (FIPS 180-4, 6.2.2 step 3, with
/// the variables renamed instead of moved).
@inline(__always)
private func round(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32,
                   _ e: UInt32, _ f: UInt32, _ g: UInt32, _ h: inout UInt32, _ kw: UInt32) {
    let t1 = h &+ (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) &+ ((e & f) ^ (~e & g)) &+ kw
    d &+= t1
    h = t1 &+ (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) &+ ((a & b) ^ (a & c) ^ (b & c))
}

@inline(__always)
private func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 {
    // Masking shifts: plain rotate instructions, without the over-shift checks of >> and <<.
    (x &>> n) | (x &<< (32 &- n))
}

private let sha256RoundConstants: [UInt32] = [
    0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
    0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
    0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
    0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
    0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
    0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
    0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
    0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
]
