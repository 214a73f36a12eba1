import CarnetSystem

#if canImport(Glibc)
import Glibc
#endif

/// One TCP connection, with blocking calls that each take a timeout.
///
/// Blocking on purpose: a sync session is a plain loop on its own thread (send, wait,
/// receive), never on the Swift concurrency pool, whose few threads a stalled peer would
/// otherwise pin. Underneath, the socket is non-blocking and every wait is a `poll()`
/// with a deadline, so no call outlives its timeout.
///
/// A class, not a `~Copyable` struct, so that the caller can hand it to the thread that
/// runs the session and still `close()` it from another (at shutdown). It is `Sendable`
/// without `@unchecked`: every stored property is immutable, and the one mutable thing,
/// whether the descriptor is closed, lives in `SocketDescriptor` behind a lock. One
/// thread may send while another receives; two threads receiving at once get the bytes
/// in an unspecified split, as with any socket.
public final class TCPConnection: Sendable {
    /// What `waitForInput` saw.
    public enum WaitResult: Sendable, Equatable {
        /// The peer sent bytes, or closed, or the connection failed: `receive` tells which.
        case readable
        /// The wakeup was signalled (it stays signalled until drained).
        case woken
        case timedOut
    }

    /// For a dialled connection the address as the caller gave it (so messages show the
    /// name a person typed); for an accepted one, the remote's numeric address.
    public let peer: SocketAddress
    /// The local port of this connection (the listener's port, for an accepted one).
    public let localPort: UInt16
    private let descriptor: SocketDescriptor

    init(descriptor: SocketDescriptor, peer: SocketAddress) {
        self.descriptor = descriptor
        self.peer = peer
        localPort = KernelAddress.of(descriptor.raw, peer: false)?.numeric()?.port ?? 0
    }

    deinit {
        descriptor.close()
    }

    // MARK: Connecting

    /// Connects to every address the host resolves to, in turn, until one answers, within
    /// `timeout` in all. Throws `connectionRefused` when nobody listens, `timedOut` when
    /// nothing answered in time (a down host, a firewall dropping packets).
    public static func connect(to address: SocketAddress, timeout: Duration) throws(NetError) -> TCPConnection {
        let deadline = Poll.deadline(after: timeout)
        var lastError: NetError?
        for candidate in try KernelAddress.resolve(address, passive: false) {
            do {
                return try attempt(candidate, address: address, deadline: deadline)
            } catch {
                lastError = error
                if case .timedOut = error { break }  // The deadline is spent for the others too.
            }
        }
        throw lastError ?? .unresolvable(address, reason: "no address to connect to")
    }

    private static func attempt(_ candidate: KernelAddress, address: SocketAddress,
                                deadline: ContinuousClock.Instant) throws(NetError) -> TCPConnection {
        let fd = SocketOptions.newSocket(family: candidate.family)
        guard fd >= 0 else { throw NetError.from(errno: errno, operation: "socket", address: address) }
        let descriptor = SocketDescriptor(fd)  // Closes the socket if anything below throws.
        let status = candidate.withSocketAddress { Glibc.connect(fd, $0, $1) }
        // EINTR: the connection goes on in the background, exactly as with EINPROGRESS.
        if status != 0 && errno != EINPROGRESS && errno != EINTR {
            throw NetError.from(errno: errno, operation: "connect", address: address)
        }
        if status != 0 {
            let ready = try Poll.wait([(fd, Poll.writable)], until: deadline, operation: "connect", address: address)
            guard !ready.timedOut else { throw .timedOut(operation: "connect", address: address) }
            var failure: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &length) == 0 else {
                throw NetError.from(errno: errno, operation: "connect", address: address)
            }
            if failure != 0 { throw NetError.from(errno: failure, operation: "connect", address: address) }
        }
        if let failure = SocketOptions.configureConnection(fd) {
            throw NetError.from(errno: failure, operation: "setsockopt", address: address)
        }
        return TCPConnection(descriptor: descriptor, peer: address)
    }

    // MARK: Sending and receiving

    /// Writes every byte, however many calls it takes. `timeout` bounds each stretch
    /// without progress, not the whole transfer: a large batch to a slow but live peer
    /// goes through, a peer that stopped reading is given up on. A closed or reset peer
    /// throws `closedByPeer` (MSG_NOSIGNAL: never SIGPIPE).
    public func send<Bytes: Collection<UInt8>>(_ bytes: Bytes, timeout: Duration) throws(NetError) {
        let outcome = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(NetError) in try send(UnsafeRawBufferPointer(buffer), timeout: timeout) }
        }
        if let outcome {
            try outcome.get()
        } else {
            let copy = Array(bytes)
            try copy.withUnsafeBytes { buffer in
                Result { () throws(NetError) in try send(buffer, timeout: timeout) }
            }.get()
        }
    }

    private func send(_ buffer: UnsafeRawBufferPointer, timeout: Duration) throws(NetError) {
        try descriptor.use("send to", peer) { fd throws(NetError) in
            var done = 0
            var deadline = Poll.deadline(after: timeout)
            while done < buffer.count {
                let count = Glibc.send(fd, buffer.baseAddress! + done, buffer.count - done, Int32(MSG_NOSIGNAL))
                if count > 0 {
                    done += count
                    deadline = Poll.deadline(after: timeout)
                    continue
                }
                if count < 0 && errno == EINTR { continue }
                if count < 0 && errno != EAGAIN && errno != EWOULDBLOCK {
                    throw failure(errno, "send to")
                }
                let ready = try Poll.wait([(fd, Poll.writable)], until: deadline, operation: "send to", address: peer)
                if descriptor.isClosed { throw .closedLocally(operation: "send to", address: peer) }
                guard !ready.timedOut else { throw .timedOut(operation: "send to", address: peer) }
            }
        }
    }

    /// Returns the next 1...`maxBytes` bytes, as soon as any arrive, or `[]` when the peer
    /// closed its side cleanly. Throws `timedOut` when nothing arrives within `timeout`,
    /// `closedByPeer` when the connection was reset.
    public func receive(maxBytes: Int, timeout: Duration) throws(NetError) -> [UInt8] {
        precondition(maxBytes > 0, "receive needs room for at least one byte")
        return try descriptor.use("receive from", peer) { fd throws(NetError) in
            let deadline = Poll.deadline(after: timeout)
            while true {
                var result = 0
                var code: Int32 = 0
                let bytes = [UInt8](unsafeUninitializedCapacity: maxBytes) { buffer, initialized in
                    result = recv(fd, buffer.baseAddress, maxBytes, 0)
                    code = errno
                    initialized = max(result, 0)
                }
                if result > 0 {
                    // A few bytes in a buffer sized for many: return a tight copy, so that
                    // a caller keeping them does not keep `maxBytes` of capacity too.
                    return result < maxBytes / 4 ? Array(bytes[...]) : bytes
                }
                if descriptor.isClosed { throw .closedLocally(operation: "receive from", address: peer) }
                if result == 0 { return [] }
                if code == EINTR { continue }
                guard code == EAGAIN || code == EWOULDBLOCK else { throw failure(code, "receive from") }
                let ready = try Poll.wait([(fd, Poll.readable)], until: deadline, operation: "receive from", address: peer)
                guard !ready.timedOut else { throw .timedOut(operation: "receive from", address: peer) }
            }
        }
    }

    /// Sleeps until the peer has sent something (or closed), `wakeup` is signalled, or
    /// `timeout` passes, whichever is first. When both are ready, `.woken` wins; the bytes
    /// stay readable for the next call, so neither side starves. Does not drain `wakeup`:
    /// the caller drains it and then looks for the work it was woken for.
    public func waitForInput(timeout: Duration, wakeup: Wakeup?) throws(NetError) -> WaitResult {
        try descriptor.use("wait for", peer) { fd throws(NetError) in
            var watched = [(fd: fd, events: Poll.readable)]
            if let wakeup { watched.append((wakeup.fileDescriptor, Poll.readable)) }
            let ready = try Poll.wait(watched, until: Poll.deadline(after: timeout), operation: "wait for", address: peer)
            if wakeup != nil && ready.isReady(1) { return .woken }
            return ready.isReady(0) ? .readable : .timedOut
        }
    }

    // MARK: Closing

    /// Sends FIN: the peer's `receive` returns `[]` once it has read everything, while
    /// this side can still receive its reply.
    public func shutdownWrite() {
        _ = try? descriptor.use("shutdown", peer) { fd throws(NetError) in _ = shutdown(fd, Int32(SHUT_WR)) }
    }

    /// Closes the connection; safe to call more than once and from any thread. A call
    /// blocked on this connection in another thread wakes and throws `closedLocally`.
    public func close() {
        descriptor.close()
    }

    private func failure(_ code: Int32, _ operation: String) -> NetError {
        NetError.from(errno: code, operation: operation, address: peer)
    }
}
