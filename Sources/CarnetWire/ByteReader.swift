import CarnetCore

/// Reads the primitive encodings written by `ByteWriter`, with every bound checked: a
/// decoder built on it throws on bad input and never traps.
public struct ByteReader: Sendable {
    public let bytes: [UInt8]
    public private(set) var offset: Int

    public init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    public var remaining: Int { bytes.count - offset }
    public var isAtEnd: Bool { offset >= bytes.count }

    @inline(__always)
    public mutating func byte() throws(WireError) -> UInt8 {
        guard offset < bytes.count else { throw .truncated(at: offset) }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func raw(_ count: Int) throws(WireError) -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else { throw .truncated(at: offset) }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    @inline(__always)
    public mutating func varint() throws(WireError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        let start = offset
        while true {
            guard offset < bytes.count else { throw .truncated(at: offset) }
            let b = bytes[offset]
            offset += 1
            if shift == 63, b > 1 { throw .varintOverflow(at: start) }
            result |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw .varintOverflow(at: start) }
        }
    }

    /// A varint that must fit in `Int` and not exceed `limit`.
    public mutating func count(limit: Int, _ what: String) throws(WireError) -> Int {
        let start = offset
        let value = try varint()
        guard value <= UInt64(limit) else { throw .limitExceeded(what, at: start) }
        return Int(value)
    }

    @inline(__always)
    public mutating func signed() throws(WireError) -> Int64 {
        let raw = try varint()
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    public mutating func string() throws(WireError) -> String {
        let length = try count(limit: WireLimits.maxStringBytes, "string length")
        let utf8 = try raw(length)
        guard let text = String(validating: utf8, as: UTF8.self) else {
            throw .malformed("string is not valid UTF-8", at: offset - length)
        }
        return text
    }

    public mutating func uint64BigEndian() throws(WireError) -> UInt64 {
        guard remaining >= 8 else { throw .truncated(at: offset) }
        var value: UInt64 = 0
        for i in 0..<8 { value = value << 8 | UInt64(bytes[offset + i]) }
        offset += 8
        return value
    }

    public mutating func nodeID() throws(WireError) -> NodeID {
        let high = try uint64BigEndian()
        return NodeID(high: high, low: try uint64BigEndian())
    }

    public mutating func digest() throws(WireError) -> SHA256Digest {
        let w0 = try uint64BigEndian(), w1 = try uint64BigEndian()
        let w2 = try uint64BigEndian(), w3 = try uint64BigEndian()
        return SHA256Digest(w0, w1, w2, w3)
    }
}
