#if canImport(Glibc)
import Glibc
#endif

/// A small pthread mutex. Chosen over `Synchronization.Mutex`, which gives false
/// ThreadSanitizer reports on this toolchain.
///
/// `@unchecked Sendable` is sound here: the only state is the mutex itself, which exists to
/// be shared between threads, and it is allocated once and never moved.
public final class Lock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    public init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` holding the lock; typed throws, so callers keep their error types.
    public func withLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}
