import CarnetCore

/// Chunk sizes for feeding a stream to an incremental decoder, derived from the input
/// itself (an FNV-1a hash of it seeds a SplitMix64): the same input always replays with
/// the same chunking, and a mutation that changes nothing else changes the chunking, so
/// the fuzzer explores boundaries without spending input bytes on them.
struct ChunkPlan {
    private var generator: SplitMix64

    init(for input: [UInt8]) {
        generator = SplitMix64(seed: Self.fingerprint(input))
    }

    /// FNV-1a, 64 bits.
    static func fingerprint(_ input: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in input { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return hash
    }

    /// The next chunk size: byte by byte, small pieces, a TCP segment or all at once.
    mutating func next() -> Int {
        switch generator.next() % 8 {
        case 0, 1: return 1
        case 2, 3: return Int(generator.next() % 16) + 1
        case 4, 5: return Int(generator.next() % 256) + 1
        case 6: return Int(generator.next() % 1_500) + 1
        default: return Int.max
        }
    }

    /// True one time in `n`.
    mutating func oneIn(_ n: UInt64) -> Bool { generator.next() % n == 0 }

    /// Cuts `bytes` into chunks of the planned sizes.
    mutating func chunks(of bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var result: [ArraySlice<UInt8>] = []
        var start = 0
        while start < bytes.count {
            let end = start + min(next(), bytes.count - start)
            result.append(bytes[start..<end])
            start = end
        }
        return result
    }
}
