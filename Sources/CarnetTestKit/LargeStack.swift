import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs work on a thread of its own with an 8 MiB stack, and waits for it to end.
///
/// The session targets go deep (a session, its handshake, X25519 and Ed25519 over field
/// elements that an unoptimized build keeps on the stack) and tests run on the pool's
/// threads, whose stacks are smaller than a main thread's: a full `swift test` crashed
/// once inside the 128-bit multiply of a field product, which the same test run alone
/// never did; a simulation of a signed ledger signs heads as deep down. The fuzzers and
/// `carnet-sim` run on a main thread's 8 MiB.
///
/// A POSIX thread, joined: the waiter returns only once the thread has ended. With a
/// Foundation `Thread` and a semaphore it returned as soon as the work signalled, and
/// dropped the `Thread` while its `main()` was still returning: a use after free that
/// crashed a members simulation in `Thread.main()` (or corrupted the heap) depending on
/// how long the result took to copy.
public enum LargeStack {
    public static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
        let result = ResultBox<T>()
        let work = Work { result.value = body() }
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, 8 << 20)
        var thread = pthread_t()
        let created = pthread_create(&thread, &attributes, { context in
            Unmanaged<Work>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, Unmanaged.passRetained(work).toOpaque())
        precondition(created == 0, "could not start a thread with a large stack (error \(created))")
        pthread_join(thread, nil)
        return result.value!
    }
}

/// The work a thread runs, handed to it as a retained pointer.
private final class Work {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

/// Written by the worker thread before it ends, read by the waiting one after joining it:
/// the join orders the two, so no lock is needed.
private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}
