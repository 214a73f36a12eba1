import CarnetTestKit

/// Seeded mutations in plain Swift, the poor relation of libFuzzer that runs inside
/// `swift test` on every change: bit flips, interesting bytes, inserts, deletes, length
/// fields set to their edge values, and splices of two corpus files. Deterministic for a
/// seed, so a failure replays from the seed and iteration it prints.
struct Mutator {
    private var generator: SplitMix64
    private let corpus: [[UInt8]]
    /// Inputs grow no larger than this (libFuzzer's default -max_len is 4096; a little
    /// more lets lengths near the limits of small formats appear).
    static let maxLength = 16 << 10

    init(seed: UInt64, corpus: [[UInt8]]) {
        generator = SplitMix64(seed: seed)
        self.corpus = corpus.isEmpty ? [[0]] : corpus
    }

    /// A corpus file with one to four mutations applied.
    mutating func next() -> [UInt8] {
        var bytes = corpus[random(corpus.count)]
        for _ in 0..<(1 + random(4)) { mutate(&bytes) }
        if bytes.count > Self.maxLength { bytes.removeLast(bytes.count - Self.maxLength) }
        return bytes
    }

    private mutating func random(_ bound: Int) -> Int { Int(generator.next() % UInt64(max(1, bound))) }

    private mutating func mutate(_ bytes: inout [UInt8]) {
        let position = random(bytes.count + 1)
        switch random(8) {
        case 0 where !bytes.isEmpty:
            bytes[min(position, bytes.count - 1)] ^= 1 << random(8)
        case 1 where !bytes.isEmpty:
            let interesting: [UInt8] = [0, 1, 0x7F, 0x80, 0xFF, 0xFE, 0x40, UInt8(truncatingIfNeeded: generator.next())]
            bytes[min(position, bytes.count - 1)] = interesting[random(interesting.count)]
        case 2:
            let count = 1 + random(16)
            let fill = random(2) == 0 ? (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
                : [UInt8](repeating: UInt8(truncatingIfNeeded: generator.next()), count: count)
            bytes.insert(contentsOf: fill, at: position)
        case 3 where !bytes.isEmpty:
            let start = min(position, bytes.count - 1)
            bytes.removeSubrange(start..<min(bytes.count, start + 1 + random(16)))
        case 4:
            tamperWithLength(&bytes, at: position)
        case 5:
            let other = corpus[random(corpus.count)]
            bytes = Array(bytes.prefix(position)) + other.suffix(random(other.count + 1))
        case 6 where !bytes.isEmpty:
            let start = random(bytes.count)
            let chunk = bytes[start..<min(bytes.count, start + 1 + random(32))]
            bytes.insert(contentsOf: chunk, at: position)
        default:
            if !bytes.isEmpty { bytes[min(position, bytes.count - 1)] &+= UInt8(1 + random(3)) }
        }
    }

    /// Overwrites a big-endian field of 1, 2, 4 or 8 bytes, or a varint, with an edge
    /// value: zero, one, the maximum, the frame limit and one past it, or the field's own
    /// value nudged by a little.
    private mutating func tamperWithLength(_ bytes: inout [UInt8], at position: Int) {
        guard !bytes.isEmpty else { return }
        let start = min(position, bytes.count - 1)
        if random(3) == 0 {
            // A varint: 0, 127, 128, 2^32, 2^63, 2^64 - 1, or eleven continuation bytes.
            let values: [UInt64] = [0, 127, 128, 1 << 20, (1 << 20) + 1, 1 << 32, 1 << 63, .max]
            var encoded: [UInt8] = []
            if random(8) == 0 {
                encoded = [UInt8](repeating: 0xFF, count: 11)
            } else {
                var value = values[random(values.count)]
                repeat {
                    encoded.append(UInt8(value & 0x7F) | (value > 0x7F ? 0x80 : 0))
                    value >>= 7
                } while value > 0
            }
            var end = start
            while end < bytes.count, bytes[end] & 0x80 != 0 { end += 1 }
            bytes.replaceSubrange(start..<min(bytes.count, end + 1), with: encoded)
            return
        }
        let width = [1, 2, 4, 8][random(4)]
        let end = min(bytes.count, start + width)
        let current = bytes[start..<end].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let maximum: UInt64 = width == 8 ? .max : (1 << (UInt64(width) * 8)) - 1
        let candidates: [UInt64] = [0, 1, maximum, maximum / 2, 1 << 20, (1 << 20) + 1,
                                    current &+ 1, current &- 1, current &+ UInt64(1 + random(16)), current / 2]
        var value = candidates[random(candidates.count)] & maximum
        for index in stride(from: end - 1, through: start, by: -1) {
            bytes[index] = UInt8(value & 0xFF)
            value >>= 8
        }
    }
}
