import CarnetSystem

#if canImport(Glibc)
import Glibc
#endif

/// A listening TCP socket, accepting connections one blocking call at a time.
///
/// `Sendable` without `@unchecked`, like `TCPConnection`: the stored properties are
/// immutable and closing is guarded inside `SocketDescriptor`, so one thread can accept
/// while another closes the listener at shutdown.
public final class TCPListener: Sendable {
    /// The address asked for (with port 0 as given).
    public let address: SocketAddress
    /// The port actually bound: the kernel's choice when the address said port 0.
    public let port: UInt16
    private let descriptor: SocketDescriptor

    /// Binds and listens on the first address `address` resolves to that accepts it
    /// (`0.0.0.0` for every IPv4 interface, `::` for every interface where the system
    /// allows dual-stack sockets, `127.0.0.1` for this machine only).
    public init(address: SocketAddress, backlog: Int32 = 128) throws(NetError) {
        var lastError: NetError?
        for candidate in try KernelAddress.resolve(address, passive: true) {
            let fd = SocketOptions.newSocket(family: candidate.family)
            guard fd >= 0 else {
                lastError = NetError.from(errno: errno, operation: "socket", address: address)
                continue
            }
            let descriptor = SocketDescriptor(fd)  // Closes the socket if this candidate fails.
            if let failure = SocketOptions.configureListener(fd) {
                lastError = NetError.from(errno: failure, operation: "setsockopt", address: address)
                continue
            }
            guard candidate.withSocketAddress({ bind(fd, $0, $1) }) == 0 else {
                lastError = NetError.from(errno: errno, operation: "bind", address: address)
                continue
            }
            guard listen(fd, backlog) == 0 else {
                lastError = NetError.from(errno: errno, operation: "listen", address: address)
                continue
            }
            guard let bound = KernelAddress.of(fd, peer: false)?.numeric() else {
                lastError = NetError.from(errno: errno, operation: "getsockname", address: address)
                continue
            }
            self.address = address
            self.descriptor = descriptor
            port = bound.port
            return
        }
        throw lastError ?? .unresolvable(address, reason: "no address to listen on")
    }

    deinit {
        descriptor.close()
    }

    /// The next incoming connection, or nil when `timeout` passes or `wakeup` is signalled
    /// first (it is not drained: the caller does that). Connections the client gave up on
    /// before we took them (ECONNABORTED) are skipped. Running out of descriptors throws
    /// `outOfResources`, after which a server should pause before accepting again: the
    /// pending connection stays queued, so retrying at once would spin.
    public func accept(timeout: Duration, wakeup: Wakeup? = nil) throws(NetError) -> TCPConnection? {
        try descriptor.use("accept on", address) { listening throws(NetError) in
            let deadline = Poll.deadline(after: timeout)
            while true {
                var remote = KernelAddress(family: 0, length: socklen_t(MemoryLayout<sockaddr_storage>.size))
                let fd = withUnsafeMutableBytes(of: &remote.storage) { raw in
                    Glibc.accept(listening, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), &remote.length)
                }
                if fd >= 0 {
                    let connection = SocketDescriptor(fd)  // Closes it if setup fails below.
                    remote.family = Int32(remote.storage.ss_family)
                    let peer = remote.numeric() ?? SocketAddress(host: "unknown", port: 0)
                    if let failure = SocketOptions.makeNonBlockingAndCloseOnExec(fd) ?? SocketOptions.configureConnection(fd) {
                        // The client may already have reset it; that is its problem, not the server's.
                        if failure == ECONNRESET || failure == EINVAL { continue }
                        throw NetError.from(errno: failure, operation: "setsockopt", address: peer)
                    }
                    return TCPConnection(descriptor: connection, peer: peer)
                }
                let code = errno
                if descriptor.isClosed { throw .closedLocally(operation: "accept on", address: address) }
                switch code {
                case EINTR, ECONNABORTED, EPROTO:
                    continue
                case EAGAIN, EWOULDBLOCK:
                    var watched = [(fd: listening, events: Poll.readable)]
                    if let wakeup { watched.append((wakeup.fileDescriptor, Poll.readable)) }
                    let ready = try Poll.wait(watched, until: deadline, operation: "accept on", address: address)
                    if ready.timedOut || (wakeup != nil && ready.isReady(1)) { return nil }
                default:
                    throw NetError.from(errno: code, operation: "accept on", address: address)
                }
            }
        }
    }

    /// Stops listening; idempotent, callable from any thread. An `accept` blocked in
    /// another thread wakes and throws `closedLocally`.
    public func close() {
        descriptor.close()
    }
}
