import CarnetSystem

#if canImport(Glibc)
import Glibc
#endif

/// A failed network call, as one sentence that names the address and says what to do
/// about it ("connect 10.0.0.7:7420: connection refused: is carnet serving there?").
///
/// The cases a caller reacts to differently are separate (retry later, back off, give up on
/// the peer); everything else is a `SystemError` carrying the errno.
public enum NetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Text that is not `HOST`, `HOST:PORT` or `[IPv6]:PORT`.
    case badAddress(String, reason: String)
    /// The host name did not resolve (getaddrinfo failed); `reason` is its message.
    case unresolvable(SocketAddress, reason: String)
    /// Nothing happened within the timeout: no connection, no byte in, or no byte out.
    case timedOut(operation: String, address: SocketAddress)
    /// Nobody listens at the address (the host answered, the port is closed).
    case connectionRefused(SocketAddress)
    /// The peer closed or reset the connection while we still had something to say.
    case closedByPeer(SocketAddress)
    /// This process ran out of file descriptors (EMFILE) or the system did (ENFILE), or
    /// of socket buffers: transient, so a server backs off briefly and accepts again.
    case outOfResources(SystemError)
    /// The socket was already closed by this process (`close()` was called).
    case closedLocally(operation: String, address: SocketAddress)
    /// Any other failed system call; `path` holds the address.
    case system(SystemError)

    public var description: String {
        switch self {
        case let .badAddress(text, reason):
            "bad address \"\(text)\": \(reason) (expected HOST, HOST:PORT or [IPv6]:PORT)"
        case let .unresolvable(address, reason):
            "resolve \(address): \(reason)"
        case let .timedOut(operation, address):
            "\(operation) \(address): timed out"
        case let .connectionRefused(address):
            "connect \(address): connection refused (is carnet serving there?)"
        case let .closedByPeer(address):
            "\(address): connection closed by the peer"
        case let .outOfResources(error):
            "\(error); backing off before accepting again"
        case let .closedLocally(operation, address):
            "\(operation) \(address): the connection was already closed here"
        case let .system(error):
            error.description
        }
    }

    /// Turns the errno of a failed call on a socket into the error a caller acts on.
    static func from(errno code: Int32, operation: String, address: SocketAddress) -> NetError {
        let error = SystemError(operation, path: address.description, errno: code)
        switch code {
        case ECONNREFUSED: return .connectionRefused(address)
        case ECONNRESET, EPIPE: return .closedByPeer(address)
        case ETIMEDOUT: return .timedOut(operation: operation, address: address)
        case EMFILE, ENFILE, ENOBUFS, ENOMEM: return .outOfResources(error)
        default: return .system(error)
        }
    }
}
