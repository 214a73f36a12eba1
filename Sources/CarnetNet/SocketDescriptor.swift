import CarnetSystem

#if canImport(Glibc)
import Glibc
#endif

/// Owns one socket's file descriptor and makes `close()` safe while another thread is
/// still blocked in a call on it.
///
/// Closing a descriptor that another thread is polling is a classic bug: the number can be
/// reused at once by an unrelated `open` or `accept`, and the other thread then reads or
/// writes the wrong file. So calls go through `use`, which counts them; `close()` with
/// calls in flight only shuts the socket down (waking them: poll reports the hang-up) and
/// the last call to leave releases the number.
///
/// `@unchecked Sendable` is sound: `raw` is immutable, and `closed` and `users` are read
/// and written only while holding `lock`.
final class SocketDescriptor: @unchecked Sendable {
    let raw: Int32
    private let lock = Lock()
    private var closed = false
    private var users = 0

    /// Takes ownership of an open descriptor: it is closed by `close()` or, at the latest,
    /// when this object goes away (so a failed setup step cannot leak it).
    init(_ raw: Int32) {
        self.raw = raw
    }

    deinit {
        // No call can be in flight: each holds a reference to this object.
        if !closed { _ = Glibc.close(raw) }
    }

    var isClosed: Bool {
        lock.withLock { closed }
    }

    /// Runs `body` with the descriptor, which stays open until `body` returns even if
    /// `close()` is called meanwhile. Throws `closedLocally` if already closed.
    func use<T>(_ operation: String, _ address: SocketAddress,
                _ body: (Int32) throws(NetError) -> T) throws(NetError) -> T {
        let open = lock.withLock {
            guard !closed else { return false }
            users += 1
            return true
        }
        guard open else { throw .closedLocally(operation: operation, address: address) }
        defer { leave() }
        return try body(raw)
    }

    /// Closes the socket, now or (with calls in flight) as soon as the last one returns.
    /// Idempotent.
    func close() {
        lock.withLock {
            guard !closed else { return }
            closed = true
            if users == 0 {
                _ = Glibc.close(raw)
            } else {
                _ = shutdown(raw, Int32(SHUT_RDWR))
            }
        }
    }

    private func leave() {
        lock.withLock {
            users -= 1
            if closed && users == 0 { _ = Glibc.close(raw) }
        }
    }
}
