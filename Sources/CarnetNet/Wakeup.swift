import CarnetSystem

#if canImport(Glibc)
import Glibc
#endif

/// Lets one thread interrupt another thread's wait on a socket: a session thread sleeping
/// in `waitForInput` or a server in `accept` wakes when someone else has work for it.
///
/// A non-blocking pipe: `signal()` writes a byte, the waiter polls the read end. It is
/// level-triggered: it stays signalled until the waiter calls `drain()`, so a signal sent
/// before the waiter goes to sleep is not lost. The waiter drains first and then looks for
/// work, so that a signal arriving in between wakes the next wait instead of vanishing.
///
/// `Sendable` without `@unchecked`: both descriptors are immutable, and pipe reads and
/// writes are safe from any thread.
public final class Wakeup: Sendable {
    /// The end to poll for readability.
    public let fileDescriptor: Int32
    private let writeEnd: Int32

    public init() throws(NetError) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw Wakeup.failure("pipe", errno) }
        for end in ends {
            if let failure = SocketOptions.makeNonBlockingAndCloseOnExec(end) {
                _ = close(ends[0]); _ = close(ends[1])
                throw Wakeup.failure("fcntl", failure)
            }
        }
        fileDescriptor = ends[0]
        writeEnd = ends[1]
    }

    deinit {
        _ = close(fileDescriptor)
        _ = close(writeEnd)
    }

    /// Wakes the waiter; callable from any thread, any number of times. A full pipe
    /// (EAGAIN) means it is already signalled, which is all that matters.
    public func signal() {
        var byte: UInt8 = 1
        while write(writeEnd, &byte, 1) < 0 && errno == EINTR {}
    }

    /// Sleeps until signalled or `timeout` passes; true when signalled. Does not drain:
    /// a wakeup used as a stop signal stays set for every thread that waits on it.
    public func waitAlone(timeout: Duration) throws(NetError) -> Bool {
        let ready = try Poll.wait([(fileDescriptor, Poll.readable)], until: Poll.deadline(after: timeout),
                                  operation: "wait", address: SocketAddress(host: "wakeup", port: 0))
        return !ready.timedOut
    }

    /// Empties the pipe, so that the next wait sleeps until the next `signal()`.
    public func drain() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while true {
            let count = read(fileDescriptor, &buffer, buffer.count)
            if count > 0 { continue }
            if count < 0 && errno == EINTR { continue }
            return  // 0 cannot happen while we hold the write end; EAGAIN: empty.
        }
    }

    private static func failure(_ operation: String, _ code: Int32) -> NetError {
        let error = SystemError(operation, path: "wakeup pipe", errno: code)
        return code == EMFILE || code == ENFILE ? .outOfResources(error) : .system(error)
    }
}
