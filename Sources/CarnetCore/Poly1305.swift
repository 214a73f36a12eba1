/// The Poly1305 one-time authenticator of RFC 8439 §2.5, and its key generation from
/// ChaCha20 (§2.6).
///
/// The AEAD of RFC 8439 authenticates with Poly1305 under a key used for one message only;
/// a Poly1305 key must never serve twice (two tags under one key reveal it). Streaming:
/// feed bytes with `update`, then `finalize` once.
///
/// **Representation.** The accumulator `h` and the clamped `r` are held in five 26-bit limbs
/// in 64-bit words, so that every product of limbs (at most 2^56 after the ×5 folding of the
/// high limbs) and every sum of five of them (below 2^59) fits a `UInt64` without overflow:
/// reduction modulo p = 2^130 − 5 uses 2^130 ≡ 5 (mod p).
///
/// **Constant time.** The arithmetic is multiplications, additions, shifts and masks on
/// fixed-size limbs, the same sequence of instructions whatever the key and message. The
/// final reduction ("is h ≥ p?") is not a comparison: it computes g = h + 5 − 2^130, takes
/// the sign bit of the top limb as an all-ones or all-zeros mask, and selects h or g with
/// that mask. No branch and no memory index depends on the key, the message or the tag; the
/// only branches depend on message lengths, which are public. The limb arithmetic uses the
/// wrapping operators (`&+`, `&*`): the bounds above show it never overflows, and the
/// wrapping forms leave out the overflow checks, whose trap branches would test flags
/// computed from secrets.
public struct Poly1305: Sendable {
    public static let keySize = 32
    public static let tagSize = 16
    /// Poly1305 consumes the message in 16-byte blocks.
    static let blockSize = 16

    private static let mask26: UInt64 = 0x3ff_ffff

    // r, clamped (§2.5), in 26-bit limbs; s1…s4 are r1…r4 × 5 (the folding of 2^130 ≡ 5).
    private var r0, r1, r2, r3, r4: UInt64
    private var s1, s2, s3, s4: UInt64
    // The accumulator h, in 26-bit limbs (partially reduced between blocks).
    private var h0: UInt64 = 0, h1: UInt64 = 0, h2: UInt64 = 0, h3: UInt64 = 0, h4: UInt64 = 0
    // s of the key (the second half), added at the end, as four little-endian words.
    private var pad0, pad1, pad2, pad3: UInt64
    /// Bytes of an incomplete block waiting for more input.
    private var pending: (UInt64, UInt64) = (0, 0)
    private var pendingCount = 0

    /// Prepares a MAC with a 32-byte one-time key (r ‖ s). Precondition: 32 bytes.
    public init<Key: Collection<UInt8>>(key: Key) {
        precondition(key.count == Self.keySize, "Poly1305 takes a 32-byte one-time key")
        let bytes = Array(key)
        func word(_ index: Int) -> UInt64 {
            UInt64(bytes[4 * index]) | UInt64(bytes[4 * index + 1]) << 8
                | UInt64(bytes[4 * index + 2]) << 16 | UInt64(bytes[4 * index + 3]) << 24
        }
        // Clamping (§2.5): the top four bits of bytes 3, 7, 11, 15 and the bottom two bits of
        // bytes 4, 8, 12 of r are cleared.
        let t0 = word(0) & 0x0fff_ffff, t1 = word(1) & 0x0fff_fffc
        let t2 = word(2) & 0x0fff_fffc, t3 = word(3) & 0x0fff_fffc
        r0 = t0 & Self.mask26
        r1 = (t0 >> 26 | t1 << 6) & Self.mask26
        r2 = (t1 >> 20 | t2 << 12) & Self.mask26
        r3 = (t2 >> 14 | t3 << 18) & Self.mask26
        r4 = t3 >> 8
        s1 = r1 &* 5
        s2 = r2 &* 5
        s3 = r3 &* 5
        s4 = r4 &* 5
        pad0 = word(4)
        pad1 = word(5)
        pad2 = word(6)
        pad3 = word(7)
    }

    /// The one-time key for the AEAD (§2.6): the first 32 bytes of the ChaCha20 block with
    /// counter 0 under the message's key and nonce.
    public static func keyGen<Key: Collection<UInt8>, Nonce: Collection<UInt8>>(key: Key, nonce: Nonce) -> [UInt8] {
        Array(ChaCha20.block(key: key, counter: 0, nonce: nonce).prefix(keySize))
    }

    /// One-shot tag of a message.
    public static func authenticate<Key: Collection<UInt8>>(_ message: [UInt8], key: Key) -> [UInt8] {
        var mac = Poly1305(key: key)
        mac.update(message)
        return mac.finalize()
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        var offset = 0
        if pendingCount > 0 {
            let take = min(Self.blockSize - pendingCount, buffer.count)
            withUnsafeMutableBytes(of: &pending) { pendingBytes in
                for index in 0..<take { pendingBytes[pendingCount + index] = buffer[index] }
            }
            pendingCount += take
            offset = take
            guard pendingCount == Self.blockSize else { return }
            let (low, high) = (UInt64(littleEndian: pending.0), UInt64(littleEndian: pending.1))
            absorb(low: low, high: high, topBit: 1 << 24)
            pendingCount = 0
            pending = (0, 0)
        }
        while buffer.count - offset >= Self.blockSize {
            let low = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            let high = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))
            absorb(low: low, high: high, topBit: 1 << 24)
            offset += Self.blockSize
        }
        if offset < buffer.count {
            let rest = buffer.count - offset
            withUnsafeMutableBytes(of: &pending) { pendingBytes in
                for index in 0..<rest { pendingBytes[index] = buffer[offset + index] }
            }
            pendingCount = rest
        }
    }

    /// Adds one 16-byte block (as two little-endian words, plus the bit 2^128 for a whole
    /// block, limb 4's bit 24) to h, and multiplies h by r modulo p.
    @inline(__always)
    private mutating func absorb(low: UInt64, high: UInt64, topBit: UInt64) {
        let m = Self.mask26
        h0 &+= low & m
        h1 &+= (low >> 26) & m
        h2 &+= (low >> 52 | high << 12) & m
        h3 &+= (high >> 14) & m
        h4 &+= (high >> 40) | topBit

        let d0 = h0 &* r0 &+ h1 &* s4 &+ h2 &* s3 &+ h3 &* s2 &+ h4 &* s1
        var d1 = h0 &* r1 &+ h1 &* r0 &+ h2 &* s4 &+ h3 &* s3 &+ h4 &* s2
        var d2 = h0 &* r2 &+ h1 &* r1 &+ h2 &* r0 &+ h3 &* s4 &+ h4 &* s3
        var d3 = h0 &* r3 &+ h1 &* r2 &+ h2 &* r1 &+ h3 &* r0 &+ h4 &* s4
        var d4 = h0 &* r4 &+ h1 &* r3 &+ h2 &* r2 &+ h3 &* r1 &+ h4 &* r0

        // Carry: each limb back to 26 bits, the carry out of limb 4 folded into limb 0 × 5.
        d1 &+= d0 >> 26; h0 = d0 & m
        d2 &+= d1 >> 26; h1 = d1 & m
        d3 &+= d2 >> 26; h2 = d2 & m
        d4 &+= d3 >> 26; h3 = d3 & m
        h0 &+= (d4 >> 26) &* 5; h4 = d4 & m
        h1 &+= h0 >> 26; h0 &= m
    }

    /// Returns the 16-byte tag. The value is spent afterwards.
    public mutating func finalize() -> [UInt8] {
        if pendingCount > 0 {
            // The last, short block: its bytes, then a 1 byte, then zeros; no 2^128 bit.
            withUnsafeMutableBytes(of: &pending) { $0[pendingCount] = 1 }
            absorb(low: UInt64(littleEndian: pending.0), high: UInt64(littleEndian: pending.1), topBit: 0)
            pendingCount = 0
        }
        let m = Self.mask26
        // Full carry: every limb below 2^26, h < 2^130 (not yet below p).
        h2 &+= h1 >> 26; h1 &= m
        h3 &+= h2 >> 26; h2 &= m
        h4 &+= h3 >> 26; h3 &= m
        h0 &+= (h4 >> 26) &* 5; h4 &= m
        h1 &+= h0 >> 26; h0 &= m
        h2 &+= h1 >> 26; h1 &= m
        h3 &+= h2 >> 26; h2 &= m
        h4 &+= h3 >> 26; h3 &= m

        // g = h + 5 − 2^130. If h ≥ p, g is h − p, in range; otherwise the subtraction
        // borrows and the top bit of g4 is set. Select by mask, not by branch.
        var g0 = h0 &+ 5
        var g1 = h1 &+ (g0 >> 26); g0 &= m
        var g2 = h2 &+ (g1 >> 26); g1 &= m
        var g3 = h3 &+ (g2 >> 26); g2 &= m
        let g4 = (h4 &+ (g3 >> 26)) &- (1 << 26); g3 &= m
        let keepG = (g4 >> 63) &- 1  // all ones when no borrow (h ≥ p), else zero
        let keepH = ~keepG
        h0 = (h0 & keepH) | (g0 & keepG)
        h1 = (h1 & keepH) | (g1 & keepG)
        h2 = (h2 & keepH) | (g2 & keepG)
        h3 = (h3 & keepH) | (g3 & keepG)
        h4 = (h4 & keepH) | (g4 & keepG)

        // h mod 2^128 as four 32-bit words, plus s, with carries; the tag is the sum mod 2^128.
        let w0 = (h0 | h1 << 26) & 0xffff_ffff
        let w1 = (h1 >> 6 | h2 << 20) & 0xffff_ffff
        let w2 = (h2 >> 12 | h3 << 14) & 0xffff_ffff
        let w3 = (h3 >> 18 | h4 << 8) & 0xffff_ffff
        var f = w0 &+ pad0
        let t0 = f & 0xffff_ffff
        f = w1 &+ pad1 &+ (f >> 32)
        let t1 = f & 0xffff_ffff
        f = w2 &+ pad2 &+ (f >> 32)
        let t2 = f & 0xffff_ffff
        f = w3 &+ pad3 &+ (f >> 32)
        let t3 = f & 0xffff_ffff

        var tag = [UInt8](repeating: 0, count: Self.tagSize)
        for (index, word) in [t0, t1, t2, t3].enumerated() {
            for byte in 0..<4 {
                tag[4 * index + byte] = UInt8(truncatingIfNeeded: word >> (8 * UInt64(byte)))
            }
        }
        // Spent: scrub the key material and the accumulator.
        (r0, r1, r2, r3, r4, s1, s2, s3, s4) = (0, 0, 0, 0, 0, 0, 0, 0, 0)
        (h0, h1, h2, h3, h4, pad0, pad1, pad2, pad3) = (0, 0, 0, 0, 0, 0, 0, 0, 0)
        return tag
    }
}
