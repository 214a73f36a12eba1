// SHA-256's compression function (FIPS 180-4, 6.2.2) by the processor's SHA extensions
// (x86-64 `sha256rnds2`, `sha256msg1`, `sha256msg2`), which compute the same rounds and
// message schedule as the code in CarnetCore's `SHA256`, several times faster. Every
// event is hashed when a batch is decoded (a `log --json` of 10M entries spent 15 % of
// its time there), every received event when a farm joins, every event again in `verify`.
//
// This module alone is compiled with the SHA extensions and SSE4.1 enabled (Package.swift),
// so that nothing else assumes them: `SHA256` calls in here only after `cpuid` said the
// processor has them, and uses its own rounds otherwise (and on every other architecture).
// The instructions take no data-dependent branch or memory index.

#if arch(x86_64)
import _Builtin_intrinsics.intel

private typealias Words = SIMD4<UInt32>

@inline(__always) private func vector(_ words: Words) -> __m128i { unsafeBitCast(words, to: __m128i.self) }
@inline(__always) private func words(_ vector: __m128i) -> Words { unsafeBitCast(vector, to: Words.self) }

/// Processes `blocks` 64-byte blocks of `data` into `state` (a, b, …, h), as FIPS 180-4
/// 6.2.2 does. Callers MUST have checked that the processor has the SHA extensions and
/// SSE4.1.
public func sha256CompressBySHAExtensions(_ state: inout (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32),
                                          _ data: UnsafeRawBufferPointer, blocks: Int) {
    // The instructions keep the eight words as two vectors, lane 0 first: (f, e, b, a)
    // and (h, g, d, c).
    var abef = Words(state.5, state.4, state.1, state.0)
    var cdgh = Words(state.7, state.6, state.3, state.2)
    roundConstants.withUnsafeBufferPointer { k in
        for block in 0..<blocks {
            let base = block * 64
            let savedABEF = abef, savedCDGH = cdgh
            var w0 = load(data, base), w1 = load(data, base + 16), w2 = load(data, base + 32), w3 = load(data, base + 48)
            fourRounds(&abef, &cdgh, w0 &+ k[0])
            fourRounds(&abef, &cdgh, w1 &+ k[1])
            fourRounds(&abef, &cdgh, w2 &+ k[2])
            fourRounds(&abef, &cdgh, w3 &+ k[3])
            var group = 4
            while group < 16 {
                w0 = schedule(w0, w1, w2, w3)
                fourRounds(&abef, &cdgh, w0 &+ k[group])
                w1 = schedule(w1, w2, w3, w0)
                fourRounds(&abef, &cdgh, w1 &+ k[group + 1])
                w2 = schedule(w2, w3, w0, w1)
                fourRounds(&abef, &cdgh, w2 &+ k[group + 2])
                w3 = schedule(w3, w0, w1, w2)
                fourRounds(&abef, &cdgh, w3 &+ k[group + 3])
                group += 4
            }
            abef &+= savedABEF
            cdgh &+= savedCDGH
        }
    }
    state = (abef[3], abef[2], cdgh[3], cdgh[2], abef[1], abef[0], cdgh[1], cdgh[0])
}

/// Four big-endian words of a block (each 32-bit lane's bytes reversed).
@inline(__always)
private func load(_ data: UnsafeRawBufferPointer, _ at: Int) -> Words {
    let bytes = data.loadUnaligned(fromByteOffset: at, as: SIMD16<UInt8>.self)
    return words(_mm_shuffle_epi8(unsafeBitCast(bytes, to: __m128i.self), vector(byteSwapMask)))
}

private let byteSwapMask = unsafeBitCast(SIMD16<UInt8>(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12), to: Words.self)

/// Four rounds with `kw`, the schedule's words plus their round constants.
@inline(__always)
private func fourRounds(_ abef: inout Words, _ cdgh: inout Words, _ kw: Words) {
    cdgh = words(_mm_sha256rnds2_epu32(vector(cdgh), vector(abef), vector(kw)))
    abef = words(_mm_sha256rnds2_epu32(vector(abef), vector(cdgh), vector(Words(kw[2], kw[3], 0, 0))))
}

/// The schedule's next four words from the sixteen before them: W[t-16] + σ0(W[t-15])
/// (msg1), + W[t-7], + σ1(W[t-2]) (msg2).
@inline(__always)
private func schedule(_ w16: Words, _ w12: Words, _ w8: Words, _ w4: Words) -> Words {
    let partial = words(_mm_sha256msg1_epu32(vector(w16), vector(w12))) &+ Words(w8[1], w8[2], w8[3], w4[0])
    return words(_mm_sha256msg2_epu32(vector(partial), vector(w4)))
}

/// FIPS 180-4 4.2.2, four to a vector.
private let roundConstants: [Words] = {
    let k: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]
    return (0..<16).map { Words(k[4 * $0], k[4 * $0 + 1], k[4 * $0 + 2], k[4 * $0 + 3]) }
}()
#endif
