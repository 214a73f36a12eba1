import Foundation

/// Runs work on a thread of its own with an 8 MiB stack, and waits for it.
///
/// The session targets go deep (a session, its handshake, X25519 and Ed25519 over field
/// elements that an unoptimized build keeps on the stack) and tests run on the pool's
/// threads, whose stacks are smaller than a main thread's: a full `swift test` crashed
/// once inside the 128-bit multiply of a field product, which the same test run alone
/// never did; a simulation of a signed ledger signs heads as deep down. The fuzzers and
/// `carnet-sim` run on a main thread's 8 MiB.
public enum LargeStack {
    public static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
        let done = DispatchSemaphore(value: 0)
        let result = ResultBox<T>()
        let thread = Thread {
            result.value = body()
            done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
        done.wait()
        return result.value!
    }
}

/// Written by the worker thread before it signals, read by the waiting one after: the
/// semaphore orders the two, so no lock is needed.
private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}
