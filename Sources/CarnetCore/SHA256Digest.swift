/// A 32-byte SHA-256 digest held as four big-endian words, so that comparing, hashing
/// and storing millions of event hashes costs no heap allocation.
public struct SHA256Digest: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    /// All zero bytes: the "previous hash" of a node's first event.
    public static let zero = SHA256Digest(0, 0, 0, 0)

    public init(_ w0: UInt64, _ w1: UInt64, _ w2: UInt64, _ w3: UInt64) {
        (self.w0, self.w1, self.w2, self.w3) = (w0, w1, w2, w3)
    }

    /// Builds a digest from exactly 32 bytes; nil for any other length.
    public init?<Bytes: Collection<UInt8>>(bytes: Bytes) {
        guard bytes.count == 32 else { return nil }
        var index = bytes.startIndex
        func word() -> UInt64 {
            var value: UInt64 = 0
            for _ in 0..<8 {
                value = value << 8 | UInt64(bytes[index])
                index = bytes.index(after: index)
            }
            return value
        }
        let w0 = word(), w1 = word(), w2 = word(), w3 = word()
        self.init(w0, w1, w2, w3)
    }

    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        func append(_ word: UInt64) {
            for shift in stride(from: 56, through: 0, by: -8) {
                out.append(UInt8(truncatingIfNeeded: word >> UInt64(shift)))
            }
        }
        append(w0)
        append(w1)
        append(w2)
        append(w3)
        return out
    }

    /// Written from the words, with no byte array between: `log --json` prints two
    /// digests an entry, a million times.
    public var hex: String { Hex.text(ofWords: w0, w1, w2, w3) }

    /// The first 8 hex digits: enough for a person to tell digests apart on screen.
    public var short: String { Hex.short(w0) }
    public var description: String { hex }

    public static func < (lhs: SHA256Digest, rhs: SHA256Digest) -> Bool {
        (lhs.w0, lhs.w1, lhs.w2, lhs.w3) < (rhs.w0, rhs.w1, rhs.w2, rhs.w3)
    }
}

/// Lower-case hexadecimal, the only textual form of ids and digests Carnet prints.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// The hex of big-endian `words`, 16 digits each, most significant first: the bytes
    /// of an id or digest held as words (`NodeID`, `SHA256Digest`), written from the words
    /// with no byte array between (`log --json` prints two an entry, a million times).
    static func text(ofWords words: UInt64...) -> String {
        String(unsafeUninitializedCapacity: 16 * words.count) { buffer in
            for (index, word) in words.enumerated() { write(word, digits: 16, into: buffer, at: 16 * index) }
            return 16 * words.count
        }
    }

    /// The first 8 hex digits of big-endian words whose first is `word`: the short form,
    /// for tables meant for people.
    static func short(_ word: UInt64) -> String {
        String(unsafeUninitializedCapacity: 8) { buffer in
            write(word >> 32, digits: 8, into: buffer, at: 0)
            return 8
        }
    }

    /// Writes the low `digits` hex digits of `word`, most significant first, at `start`.
    private static func write(_ word: UInt64, digits count: Int, into buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int) {
        for position in 0..<count {
            let shift = UInt64(4 * (count - 1 - position))
            buffer[start + position] = digits[Int((word >> shift) & 0x0f)]
        }
    }

    public static func encode<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        var utf8: [UInt8] = []
        utf8.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            utf8.append(digits[Int(byte >> 4)])
            utf8.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: utf8, as: UTF8.self)
    }

    /// Parses hex (either case); nil if the text is not an even number of hex digits.
    public static func decode(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

extension SHA256Digest {
    /// Reads the form `hex` prints: exactly 64 lower-case hex digits, nothing else, so that
    /// one digest has one spelling wherever a ledger names an event.
    public init?(lowercaseHex text: String) {
        let utf8 = Array(text.utf8)
        guard utf8.count == 64, utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }),
              let bytes = Hex.decode(text) else { return nil }
        self.init(bytes: bytes)
    }
}
