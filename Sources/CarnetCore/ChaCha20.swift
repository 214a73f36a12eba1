/// The ChaCha20 stream cipher of RFC 8439 §2.1–2.4: a 256-bit key, a 96-bit nonce and a
/// 32-bit block counter.
///
/// Carnet needs a cipher for its sealed links and bundles (issue 18) and takes no package
/// dependencies, so it has its own. ChaCha20 is the cipher of WireGuard and of Noise's
/// `ChaChaPoly` suite, and it needs no hardware support to be fast and constant-time.
///
/// **Constant time.** The cipher is only additions, rotations and XORs on 32-bit words
/// (ARX): no table lookup indexed by key or data, and no branch on them. The only branches
/// and indices depend on lengths and block counts, which are public.
///
/// **Limits.** The 32-bit counter allows 2^32 blocks (256 GiB) per key and nonce; asking for
/// more traps rather than letting the counter wrap and reuse keystream.
public enum ChaCha20 {
    public static let keySize = 32
    public static let nonceSize = 12
    public static let blockSize = 64

    /// The RFC's quarter round on four words (§2.1). Public so that the tests can check it
    /// against the RFC's own vectors (§2.1.1, §2.2.1).
    @inline(__always)
    public static func quarterRound(_ a: inout UInt32, _ b: inout UInt32, _ c: inout UInt32, _ d: inout UInt32) {
        a &+= b; d ^= a; d = d.rotatedLeft(16)
        c &+= d; b ^= c; b = b.rotatedLeft(12)
        a &+= b; d ^= a; d = d.rotatedLeft(8)
        c &+= d; b ^= c; b = b.rotatedLeft(7)
    }

    /// The 64-byte keystream block for `counter` (§2.3), serialized little-endian.
    /// Preconditions: a 32-byte key and a 12-byte nonce.
    public static func block<Key: Collection<UInt8>, Nonce: Collection<UInt8>>(
        key: Key, counter: UInt32, nonce: Nonce
    ) -> [UInt8] {
        let state = State(key: key, nonce: nonce)
        var words = State.Words()
        state.block(counter: counter, into: &words)
        var out = [UInt8](repeating: 0, count: blockSize)
        words.serialize(into: &out)
        return out
    }

    /// Encrypts (or decrypts: the same operation) `data` by XOR with the keystream whose
    /// first block has number `counter` (§2.4). Preconditions: a 32-byte key, a 12-byte
    /// nonce, and no more blocks than the counter can number.
    public static func xor<Key: Collection<UInt8>, Nonce: Collection<UInt8>>(
        _ data: [UInt8], key: Key, nonce: Nonce, counter: UInt32 = 1
    ) -> [UInt8] {
        let state = State(key: key, nonce: nonce)
        var out = data
        out.withUnsafeMutableBytes { state.xor(counter: counter, in: $0) }
        return out
    }

    /// The cipher's key and nonce as the words of the initial state (§2.3), kept apart from
    /// the counter so that one value serves every block of a message.
    struct State: Sendable {
        /// The sixteen words of a state or an output block, as stored properties so that the
        /// block function runs in registers with no heap array.
        struct Words: Sendable {
            var w: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32,
                    UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

            init() {}

            /// Writes the sixteen words little-endian into `out` (at least 64 bytes).
            func serialize(into out: inout [UInt8]) {
                withUnsafeBytes(of: w) { words in
                    for index in 0..<16 {
                        let word = words.load(fromByteOffset: 4 * index, as: UInt32.self)
                        for byte in 0..<4 {
                            out[4 * index + byte] = UInt8(truncatingIfNeeded: word >> (8 * UInt32(byte)))
                        }
                    }
                }
            }
        }

        var k0, k1, k2, k3, k4, k5, k6, k7: UInt32
        var n0, n1, n2: UInt32

        init<Key: Collection<UInt8>, Nonce: Collection<UInt8>>(key: Key, nonce: Nonce) {
            precondition(key.count == ChaCha20.keySize, "ChaCha20 takes a 32-byte key")
            precondition(nonce.count == ChaCha20.nonceSize, "ChaCha20 takes a 12-byte nonce")
            let k = Self.words(key), n = Self.words(nonce)
            (k0, k1, k2, k3, k4, k5, k6, k7) = (k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7])
            (n0, n1, n2) = (n[0], n[1], n[2])
        }

        /// Little-endian words of a byte collection whose length is a multiple of 4.
        private static func words<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> [UInt32] {
            var result: [UInt32] = []
            var word: UInt32 = 0
            for (offset, byte) in bytes.enumerated() {
                word |= UInt32(byte) << (8 * UInt32(offset % 4))
                if offset % 4 == 3 {
                    result.append(word)
                    word = 0
                }
            }
            return result
        }

        /// The block function (§2.3): 20 rounds, then the input added back in.
        @inline(__always)
        func block(counter: UInt32, into out: inout Words) {
            let c0: UInt32 = 0x6170_7865, c1: UInt32 = 0x3320_646e, c2: UInt32 = 0x7962_2d32, c3: UInt32 = 0x6b20_6574
            var x0 = c0, x1 = c1, x2 = c2, x3 = c3
            var x4 = k0, x5 = k1, x6 = k2, x7 = k3, x8 = k4, x9 = k5, x10 = k6, x11 = k7
            var x12 = counter, x13 = n0, x14 = n1, x15 = n2
            for _ in 0..<10 {
                // Column round, then diagonal round (§2.3).
                ChaCha20.quarterRound(&x0, &x4, &x8, &x12)
                ChaCha20.quarterRound(&x1, &x5, &x9, &x13)
                ChaCha20.quarterRound(&x2, &x6, &x10, &x14)
                ChaCha20.quarterRound(&x3, &x7, &x11, &x15)
                ChaCha20.quarterRound(&x0, &x5, &x10, &x15)
                ChaCha20.quarterRound(&x1, &x6, &x11, &x12)
                ChaCha20.quarterRound(&x2, &x7, &x8, &x13)
                ChaCha20.quarterRound(&x3, &x4, &x9, &x14)
            }
            out.w = (
                x0 &+ c0, x1 &+ c1, x2 &+ c2, x3 &+ c3,
                x4 &+ k0, x5 &+ k1, x6 &+ k2, x7 &+ k3, x8 &+ k4, x9 &+ k5, x10 &+ k6, x11 &+ k7,
                x12 &+ counter, x13 &+ n0, x14 &+ n1, x15 &+ n2
            )
        }

        /// The first 32 bytes of block 0: Poly1305's one-time key for this key and nonce
        /// (RFC 8439 §2.6).
        func oneTimeKey() -> [UInt8] {
            var words = Words()
            block(counter: 0, into: &words)
            var out = [UInt8](repeating: 0, count: ChaCha20.blockSize)
            words.serialize(into: &out)
            return Array(out.prefix(32))
        }

        /// XORs the keystream starting at block `counter` into `buffer`, in place.
        func xor(counter: UInt32, in buffer: UnsafeMutableRawBufferPointer) {
            let blocks = (buffer.count + ChaCha20.blockSize - 1) / ChaCha20.blockSize
            precondition(UInt64(counter) + UInt64(blocks) <= 1 << 32, "ChaCha20: the 32-bit block counter would wrap")
            var keystream = Words()
            var offset = 0
            var blockCounter = counter
            while offset < buffer.count {
                block(counter: blockCounter, into: &keystream)
                blockCounter &+= 1
                let count = min(ChaCha20.blockSize, buffer.count - offset)
                withUnsafeBytes(of: keystream.w) { stream in
                    if count == ChaCha20.blockSize {
                        // A whole block: eight 64-bit XORs. Two keystream words make the
                        // 64-bit value whose little-endian bytes the RFC serializes;
                        // `littleEndian` puts it in memory order, as the data was loaded
                        // (a no-op on little-endian machines).
                        for lane in 0..<8 {
                            let low = stream.load(fromByteOffset: 8 * lane, as: UInt32.self)
                            let high = stream.load(fromByteOffset: 8 * lane + 4, as: UInt32.self)
                            let key = UInt64(low) | UInt64(high) << 32
                            let data = buffer.loadUnaligned(fromByteOffset: offset + 8 * lane, as: UInt64.self)
                            buffer.storeBytes(of: data ^ key.littleEndian, toByteOffset: offset + 8 * lane, as: UInt64.self)
                        }
                    } else {
                        for index in 0..<count {
                            let word = stream.load(fromByteOffset: 4 * (index / 4), as: UInt32.self)
                            let byte = UInt8(truncatingIfNeeded: word >> (8 * UInt32(index % 4)))
                            buffer[offset + index] ^= byte
                        }
                    }
                }
                offset += count
            }
        }
    }
}

extension UInt32 {
    @inline(__always)
    fileprivate func rotatedLeft(_ count: UInt32) -> UInt32 {
        (self << count) | (self >> (32 &- count))
    }
}
