/// Appends the primitive encodings that Carnet's byte formats share: LEB128 varints,
/// zig-zag signed integers, length-prefixed UTF-8 and fixed-width ids.
public struct ByteWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public var count: Int { bytes.count }

    @inline(__always)
    public mutating func byte(_ value: UInt8) { bytes.append(value) }

    public mutating func raw<Bytes: Sequence<UInt8>>(_ values: Bytes) { bytes.append(contentsOf: values) }

    /// Unsigned LEB128: 7 bits per byte, low groups first.
    @inline(__always)
    public mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// Zig-zag then LEB128, so that small negative numbers stay small.
    @inline(__always)
    public mutating func signed(_ value: Int64) {
        varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    /// Length (varint) then UTF-8 bytes.
    public mutating func string(_ value: String) {
        var copy = value
        copy.withUTF8 { utf8 in
            varint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    public mutating func uint64BigEndian(_ value: UInt64) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func nodeID(_ node: NodeID) {
        uint64BigEndian(node.high)
        uint64BigEndian(node.low)
    }

    public mutating func digest(_ digest: SHA256Digest) {
        uint64BigEndian(digest.w0)
        uint64BigEndian(digest.w1)
        uint64BigEndian(digest.w2)
        uint64BigEndian(digest.w3)
    }
}
