import CarnetCore
import CarnetTestKit

/// A simulated TCP connection's number: unique in a run, in order of creation.
public struct ConnectionID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let raw: Int

    public init(_ raw: Int) {
        self.raw = raw
    }

    public static func < (lhs: ConnectionID, rhs: ConnectionID) -> Bool { lhs.raw < rhs.raw }
    public var description: String { "c\(raw)" }
}

/// One end of a connection: the node that dialed, or the one that accepted.
public enum ConnectionEnd: Int, Sendable, Equatable {
    case dialer = 0
    case listener = 1

    public var other: ConnectionEnd { self == .dialer ? .listener : .dialer }
}

/// What the network tells the nodes, at the time it happens.
public enum NetworkEvent: Sendable {
    /// The three-way handshake finished at the listener: it accepts and starts a session.
    case accepted(ConnectionID)
    /// The dialer's connect returned: it starts its session.
    case connected(ConnectionID)
    /// The dialer's connect failed (refused, or timed out behind a partition).
    case connectFailed(ConnectionID, reason: String)
    /// Bytes arrive at one end.
    case data(ConnectionID, to: ConnectionEnd, [UInt8])
    /// The other end closed its side: EOF after everything it sent.
    case fin(ConnectionID, to: ConnectionEnd)
    /// The connection was reset: nothing more arrives at this end.
    case reset(ConnectionID, to: ConnectionEnd)
    /// A frame held back to be reordered goes out even though no later frame came.
    case releaseHeld(ConnectionID, from: ConnectionEnd, token: Int)
}

/// A connection as the network keeps it: two directed byte streams.
struct SimConnection: Sendable {
    /// What waits in one direction while its link is cut.
    enum Stalled: Sendable {
        case data([UInt8])
        case fin
    }

    /// One direction of the connection.
    struct Stream: Sendable {
        /// When the last segment in this direction arrives: TCP delivers in order, so no
        /// later segment arrives before it.
        var lastArrival: SimTime = .zero
        /// A frame held back to go out after the next one (the reorder fault).
        var held: [UInt8]?
        var heldToken = 0
        /// Sent while the link was cut: goes out (retransmitted) once it heals.
        var stalled: [Stalled] = []
    }

    let id: ConnectionID
    /// Node of each end: [dialer, listener].
    let nodes: [Int]
    /// Per end: its application closed the socket (or its process died). A closed end
    /// answers data with a reset.
    var closed = [false, false]
    /// Per end: its session has started (the connect or accept completed).
    var started = [false, false]
    /// From this time on, nothing more is delivered (a reset).
    var resetAt: SimTime?
    /// By sending end.
    var streams = [Stream(), Stream()]

    func node(_ end: ConnectionEnd) -> Int { nodes[end.rawValue] }
}
