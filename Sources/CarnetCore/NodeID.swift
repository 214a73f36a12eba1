/// A replica's identity: 128 random bits, printed as 32 hex digits.
///
/// A node is one device's replica, not a person or a farm: a producer may have several
/// nodes, and a node restored from backup takes a fresh id once it learns it forked.
public struct NodeID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// A fresh random id. Randomness is an input so that simulations replay from a seed.
    public init<R: RandomNumberGenerator>(using generator: inout R) {
        self.init(high: generator.next(), low: generator.next())
    }

    /// Parses 32 hex digits; nil for anything else.
    public init?(hex: String) {
        guard let bytes = Hex.decode(hex), bytes.count == 16 else { return nil }
        self.init(bytes: bytes)
    }

    /// Builds an id from 16 bytes (big-endian); only the first 16 bytes are read.
    public init<Bytes: Collection<UInt8>>(bytes: Bytes) where Bytes.Index == Int {
        precondition(bytes.count >= 16, "a node id is 16 bytes")
        var high: UInt64 = 0, low: UInt64 = 0
        let start = bytes.startIndex
        for i in 0..<8 { high = high << 8 | UInt64(bytes[start + i]) }
        for i in 8..<16 { low = low << 8 | UInt64(bytes[start + i]) }
        self.init(high: high, low: low)
    }

    /// A stable id derived from a name, for fixtures and workloads that must give the same
    /// digest on every run (one node per workload actor). Never used for real nodes.
    public static func derived(from name: String) -> NodeID {
        let digest = SHA256.hash(Array("carnet-derived-node/1:".utf8) + Array(name.utf8))
        return NodeID(high: digest.w0, low: digest.w1)
    }

    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(16)
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: high >> UInt64(shift))) }
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: low >> UInt64(shift))) }
        return out
    }

    /// Written from the two words (`log` prints one an entry).
    public var hex: String { Hex.text(ofWords: high, low) }

    /// The first 8 hex digits, for tables meant for people.
    public var short: String { Hex.short(high) }
    public var description: String { hex }

    public static func < (lhs: NodeID, rhs: NodeID) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }
}
