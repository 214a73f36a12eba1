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
/// 6.2.2 does, with `constants` its 64 round constants (4.2.2: `SHA256` holds them, so
/// that they are written once). Callers MUST have checked that the processor has the SHA
/// extensions and SSE4.1.
public func sha256CompressBySHAExtensions(_ state: inout (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32),
                                          _ data: UnsafeRawBufferPointer, blocks: Int, constants: UnsafeBufferPointer<UInt32>) {
    precondition(constants.count == 64, "SHA-256 has 64 round constants")
    // The instructions keep the eight words as two vectors, lane 0 first: (f, e, b, a)
    // and (h, g, d, c).
    var abef = Words(state.5, state.4, state.1, state.0)
    var cdgh = Words(state.7, state.6, state.3, state.2)
    // Four constants to a vector, each group's read once per block.
    let k = UnsafeRawPointer(constants.baseAddress!)
    func kw(_ group: Int) -> Words { k.loadUnaligned(fromByteOffset: group * 16, as: Words.self) }
    for block in 0..<blocks {
        let base = block * 64
        let savedABEF = abef, savedCDGH = cdgh
        var w0 = load(data, base), w1 = load(data, base + 16), w2 = load(data, base + 32), w3 = load(data, base + 48)
        fourRounds(&abef, &cdgh, w0 &+ kw(0))
        fourRounds(&abef, &cdgh, w1 &+ kw(1))
        fourRounds(&abef, &cdgh, w2 &+ kw(2))
        fourRounds(&abef, &cdgh, w3 &+ kw(3))
        var group = 4
        while group < 16 {
            w0 = schedule(w0, w1, w2, w3)
            fourRounds(&abef, &cdgh, w0 &+ kw(group))
            w1 = schedule(w1, w2, w3, w0)
            fourRounds(&abef, &cdgh, w1 &+ kw(group + 1))
            w2 = schedule(w2, w3, w0, w1)
            fourRounds(&abef, &cdgh, w2 &+ kw(group + 2))
            w3 = schedule(w3, w0, w1, w2)
            fourRounds(&abef, &cdgh, w3 &+ kw(group + 3))
            group += 4
        }
        abef &+= savedABEF
        cdgh &+= savedCDGH
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

#endif
