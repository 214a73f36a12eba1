/// SHA-512 (FIPS 180-4), written here because Carnet takes no package dependencies.
///
/// Ed25519 (RFC 8032) hashes with it: the seed into the secret scalar and nonce prefix, and
/// each signature's nonce and challenge. Checked against the NIST example vectors in the
/// tests. The same shape as `SHA256`: feed bytes with `update`, then `finalize` once. Every
/// step is a fixed sequence of additions, rotations and logic on the input, so hashing a
/// secret takes the same time whatever its value.
public struct SHA512: Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (
        0x6a09_e667_f3bc_c908, 0xbb67_ae85_84ca_a73b, 0x3c6e_f372_fe94_f82b, 0xa54f_f53a_5f1d_36f1,
        0x510e_527f_ade6_82d1, 0x9b05_688c_2b3e_6c1f, 0x1f83_d9ab_fb41_bd6b, 0x5be0_cd19_137e_2179
    )
    /// Bytes of a partial block waiting for more input (always fewer than 128).
    private var pending: [UInt8] = []
    /// Bytes fed so far. FIPS 180-4 counts the length in 128 bits; a byte count in 64 bits
    /// covers every message this process can hold, and `finalize` widens it.
    private var totalLength: UInt64 = 0

    public init() {
        pending.reserveCapacity(128)
    }

    /// One-shot digest of a byte sequence.
    public static func hash<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> SHA512Digest {
        var hasher = SHA512()
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
            let take = min(128 - pending.count, buffer.count)
            pending.append(contentsOf: buffer[0..<take])
            offset = take
            if pending.count < 128 { return }
            let block = pending
            block.withUnsafeBytes { compress($0, blocks: 1) }
            pending.removeAll(keepingCapacity: true)
        }
        let wholeBlocks = (buffer.count - offset) / 128
        if wholeBlocks > 0 {
            compress(UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + wholeBlocks * 128)]), blocks: wholeBlocks)
            offset += wholeBlocks * 128
        }
        if offset < buffer.count {
            pending.append(contentsOf: buffer[offset...])
        }
    }

    /// Pads, processes the last block(s) and returns the digest. The hasher is spent afterwards.
    public mutating func finalize() -> SHA512Digest {
        // The message length in bits as a 128-bit big-endian number.
        let bitLengthHigh = totalLength >> 61
        let bitLengthLow = totalLength &<< 3
        let used = pending.count
        let blocks = used < 112 ? 1 : 2
        // The padded tail in a stack buffer: 0x80, zeros, the 128-bit bit length.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { tail in
            tail.initialize(repeating: 0)
            for index in 0..<used { tail[index] = pending[index] }
            tail[used] = 0x80
            let end = blocks * 128
            for index in 0..<8 {
                tail[end - 1 - index] = UInt8(truncatingIfNeeded: bitLengthLow >> UInt64(8 * index))
                tail[end - 9 - index] = UInt8(truncatingIfNeeded: bitLengthHigh >> UInt64(8 * index))
            }
            compress(UnsafeRawBufferPointer(start: tail.baseAddress, count: end), blocks: blocks)
        }
        pending.removeAll(keepingCapacity: true)
        let s = state
        return SHA512Digest(s.0, s.1, s.2, s.3, s.4, s.5, s.6, s.7)
    }

    private mutating func compress(_ data: UnsafeRawBufferPointer, blocks: Int) {
        sha512RoundConstants.withUnsafeBufferPointer { k in
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 80) { w in
                var (h0, h1, h2, h3, h4, h5, h6, h7) = state
                for block in 0..<blocks {
                    let base = block * 128
                    for i in 0..<16 {
                        w[i] = UInt64(bigEndian: data.loadUnaligned(fromByteOffset: base + i * 8, as: UInt64.self))
                    }
                    for i in 16..<80 {
                        let x = w[i - 15], y = w[i - 2]
                        let s0 = rotr(x, 1) ^ rotr(x, 8) ^ (x &>> 7)
                        let s1 = rotr(y, 19) ^ rotr(y, 61) ^ (y &>> 6)
                        w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
                    }
                    var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7
                    // Eight rounds per step with the roles of the variables rotated, as in
                    // `SHA256`, instead of shifting eight values through each round.
                    var i = 0
                    while i < 80 {
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

/// One SHA-512 round: `d` gains T1, `h` becomes T1 + T2 (FIPS 180-4, 6.4.2 step 3, with
/// the variables renamed instead of moved).
@inline(__always)
private func round(_ a: UInt64, _ b: UInt64, _ c: UInt64, _ d: inout UInt64,
                   _ e: UInt64, _ f: UInt64, _ g: UInt64, _ h: inout UInt64, _ kw: UInt64) {
    let t1 = h &+ (rotr(e, 14) ^ rotr(e, 18) ^ rotr(e, 41)) &+ ((e & f) ^ (~e & g)) &+ kw
    d &+= t1
    h = t1 &+ (rotr(a, 28) ^ rotr(a, 34) ^ rotr(a, 39)) &+ ((a & b) ^ (a & c) ^ (b & c))
}

@inline(__always)
private func rotr(_ x: UInt64, _ n: UInt64) -> UInt64 {
    (x &>> n) | (x &<< (64 &- n))
}

/// FIPS 180-4 section 4.2.3: the first 64 bits of the fractional parts of the cube roots of
/// the first 80 primes.
private let sha512RoundConstants: [UInt64] = [
    0x428a_2f98_d728_ae22, 0x7137_4491_23ef_65cd, 0xb5c0_fbcf_ec4d_3b2f, 0xe9b5_dba5_8189_dbbc,
    0x3956_c25b_f348_b538, 0x59f1_11f1_b605_d019, 0x923f_82a4_af19_4f9b, 0xab1c_5ed5_da6d_8118,
    0xd807_aa98_a303_0242, 0x1283_5b01_4570_6fbe, 0x2431_85be_4ee4_b28c, 0x550c_7dc3_d5ff_b4e2,
    0x72be_5d74_f27b_896f, 0x80de_b1fe_3b16_96b1, 0x9bdc_06a7_25c7_1235, 0xc19b_f174_cf69_2694,
    0xe49b_69c1_9ef1_4ad2, 0xefbe_4786_384f_25e3, 0x0fc1_9dc6_8b8c_d5b5, 0x240c_a1cc_77ac_9c65,
    0x2de9_2c6f_592b_0275, 0x4a74_84aa_6ea6_e483, 0x5cb0_a9dc_bd41_fbd4, 0x76f9_88da_8311_53b5,
    0x983e_5152_ee66_dfab, 0xa831_c66d_2db4_3210, 0xb003_27c8_98fb_213f, 0xbf59_7fc7_beef_0ee4,
    0xc6e0_0bf3_3da8_8fc2, 0xd5a7_9147_930a_a725, 0x06ca_6351_e003_826f, 0x1429_2967_0a0e_6e70,
    0x27b7_0a85_46d2_2ffc, 0x2e1b_2138_5c26_c926, 0x4d2c_6dfc_5ac4_2aed, 0x5338_0d13_9d95_b3df,
    0x650a_7354_8baf_63de, 0x766a_0abb_3c77_b2a8, 0x81c2_c92e_47ed_aee6, 0x9272_2c85_1482_353b,
    0xa2bf_e8a1_4cf1_0364, 0xa81a_664b_bc42_3001, 0xc24b_8b70_d0f8_9791, 0xc76c_51a3_0654_be30,
    0xd192_e819_d6ef_5218, 0xd699_0624_5565_a910, 0xf40e_3585_5771_202a, 0x106a_a070_32bb_d1b8,
    0x19a4_c116_b8d2_d0c8, 0x1e37_6c08_5141_ab53, 0x2748_774c_df8e_eb99, 0x34b0_bcb5_e19b_48a8,
    0x391c_0cb3_c5c9_5a63, 0x4ed8_aa4a_e341_8acb, 0x5b9c_ca4f_7763_e373, 0x682e_6ff3_d6b2_b8a3,
    0x748f_82ee_5def_b2fc, 0x78a5_636f_4317_2f60, 0x84c8_7814_a1f0_ab72, 0x8cc7_0208_1a64_39ec,
    0x90be_fffa_2363_1e28, 0xa450_6ceb_de82_bde9, 0xbef9_a3f7_b2c6_7915, 0xc671_78f2_e372_532b,
    0xca27_3ece_ea26_619c, 0xd186_b8c7_21c0_c207, 0xeada_7dd6_cde0_eb1e, 0xf57d_4f7f_ee6e_d178,
    0x06f0_67aa_7217_6fba, 0x0a63_7dc5_a2c8_98a6, 0x113f_9804_bef9_0dae, 0x1b71_0b35_131c_471b,
    0x28db_77f5_2304_7d84, 0x32ca_ab7b_40c7_2493, 0x3c9e_be0a_15c9_bebc, 0x431d_67c4_9c10_0d4c,
    0x4cc5_d4be_cb3e_42b6, 0x597f_299c_fc65_7e2a, 0x5fcb_6fab_3ad6_faec, 0x6c44_198c_4a47_5817,
]

/// A 64-byte SHA-512 digest held as eight big-endian words, like `SHA256Digest`.
public struct SHA512Digest: Hashable, Sendable, CustomStringConvertible {
    public var w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64
    public var w4: UInt64, w5: UInt64, w6: UInt64, w7: UInt64

    public init(_ w0: UInt64, _ w1: UInt64, _ w2: UInt64, _ w3: UInt64,
                _ w4: UInt64, _ w5: UInt64, _ w6: UInt64, _ w7: UInt64) {
        (self.w0, self.w1, self.w2, self.w3) = (w0, w1, w2, w3)
        (self.w4, self.w5, self.w6, self.w7) = (w4, w5, w6, w7)
    }

    /// The 64 bytes in order (FIPS 180-4: each word big-endian).
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for word in [w0, w1, w2, w3, w4, w5, w6, w7] {
            for shift in stride(from: 56, through: 0, by: -8) {
                out.append(UInt8(truncatingIfNeeded: word >> UInt64(shift)))
            }
        }
        return out
    }

    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }
}
