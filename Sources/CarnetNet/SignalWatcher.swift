import CarnetSystem

#if canImport(Glibc)
import Glibc
#endif

/// Turns SIGINT and SIGTERM into an ordinary function call on an ordinary thread, so a
/// server can shut down cleanly (stop accepting, finish sessions, flush the store).
///
/// A signal handler may only call async-signal-safe functions: no locks, no allocation,
/// so no Swift. Instead the signals are blocked and a dedicated thread takes them with
/// `sigwait()`, then calls `handler` with the signal number, where anything is allowed.
///
/// Create it first thing in `main`, before any other thread exists: threads inherit the
/// signal mask of the thread that starts them, and a thread that leaves the signals
/// unblocked would have them delivered to it, with the default action (exit). Creating
/// it also ignores SIGPIPE process-wide, so that a write to a closed pipe or socket is an
/// EPIPE error rather than the end of the process.
///
/// The watching thread lives as long as the process. `Sendable` without `@unchecked`:
/// the only stored state is the thread's id, which never changes.
public final class SignalWatcher: Sendable {
    private let thread: pthread_t

    /// Blocks `signals` in the calling thread (and so in every thread started after) and
    /// starts the thread that waits for them. `handler` runs on that thread, once per
    /// signal received; keep it short (set a flag, signal a `Wakeup`), since the next
    /// signal is taken only after it returns.
    public init(signals: [Int32] = [SIGINT, SIGTERM], handler: @escaping @Sendable (Int32) -> Void) throws(NetError) {
        _ = Glibc.signal(SIGPIPE, SIG_IGN)
        var set = SignalWatcher.set(of: signals)
        let blocked = pthread_sigmask(SIG_BLOCK, &set, nil)
        guard blocked == 0 else { throw .system(SystemError("pthread_sigmask", path: "signals", errno: blocked)) }
        let context = Unmanaged.passRetained(Context(signals: signals, handler: handler)).toOpaque()
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { raw in
            // The context is the thread's for good: it waits until the process exits.
            let context = Unmanaged<Context>.fromOpaque(raw!).takeRetainedValue()
            context.run()
        }, context)
        guard started == 0 else {
            Unmanaged<Context>.fromOpaque(context).release()
            throw .system(SystemError("pthread_create", path: "signal watcher", errno: started))
        }
        pthread_detach(thread)
        self.thread = thread
    }

    /// Sends `signal` to the watching thread, as if it had come from outside: for tests,
    /// and for code that wants the same shutdown path as Ctrl-C. Only for signals it watches.
    public func deliver(_ signal: Int32) {
        _ = pthread_kill(thread, signal)
    }

    private static func set(of signals: [Int32]) -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal) }
        return set
    }

    private final class Context: Sendable {
        let signals: [Int32]
        let handler: @Sendable (Int32) -> Void

        init(signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) {
            self.signals = signals
            self.handler = handler
        }

        func run() -> Never {
            var set = SignalWatcher.set(of: signals)
            while true {
                var signal: Int32 = 0
                // sigwait returns an error number (never EINTR on Linux) rather than -1.
                guard sigwait(&set, &signal) == 0 else { continue }
                handler(signal)
            }
        }
    }
}
