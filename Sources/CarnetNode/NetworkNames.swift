#if canImport(Glibc)
import Glibc
#endif
import CarnetNet

/// A peer's address (`host:port`, IPv4 or IPv6): what `sync`, `serve --peer` and the
/// peer book take. Named here so that the command line needs no network module.
public typealias PeerAddress = SocketAddress

/// Why an address could not be parsed or a socket could not be used.
public typealias AddressError = NetError

/// Ends a long-running node (`carnet serve`) on SIGINT or SIGTERM.
public enum StopSignals {
    /// Calls `handler` with the signal's name on a thread of its own when SIGINT or
    /// SIGTERM arrives, for the rest of the process.
    public static func watch(_ handler: @escaping @Sendable (_ name: String) -> Void) throws(NodeError) {
        do {
            _ = try SignalWatcher { signal in handler(signal == SIGINT ? "SIGINT" : "SIGTERM") }
        } catch {
            throw .network("cannot watch for SIGINT and SIGTERM: \(error)")
        }
    }
}
