/// Where a driver writes what the session sends: a socket in the node, a buffer in tests
/// and in the simulation (which delivers it later, over its simulated links). Passed into
/// each driver call, as the store is.
public protocol PeerTransport {
    /// Writes the bytes in order after those written before; throws when the connection
    /// failed, which ends the session (nothing durable is lost: the next one resumes).
    mutating func send(_ bytes: [UInt8]) throws(PeerTransportFailure)
}

/// Why the connection could not take the bytes (reset, timed out writing).
public struct PeerTransportFailure: Error, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// A transport that keeps what was sent, for a caller that delivers it itself.
public struct OutgoingBytes: PeerTransport, Sendable {
    public var bytes: [UInt8] = []

    public init() {}

    public mutating func send(_ bytes: [UInt8]) throws(PeerTransportFailure) {
        self.bytes += bytes
    }

    /// What was sent since the last call, handed over once.
    public mutating func take() -> [UInt8] {
        defer { bytes = [] }
        return bytes
    }
}
