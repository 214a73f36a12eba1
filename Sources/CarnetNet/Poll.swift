import CarnetSystem

#if canImport(Glibc)
import Glibc
#endif

/// Waiting on descriptors with `poll()` until a deadline, the one way CarnetNet blocks.
///
/// Every socket is non-blocking, so a call never hangs past its timeout: it either makes
/// progress at once or comes here to wait for readiness.
enum Poll {
    /// What each descriptor reported (`revents`); none ready means the deadline passed.
    struct Ready {
        var events: [Int16]
        var timedOut: Bool { events.allSatisfy { $0 == 0 } }
        func isReady(_ index: Int) -> Bool { events[index] != 0 }
    }

    /// Waits until one of `descriptors` reports one of its `events`, or an error or
    /// hang-up, or `deadline` passes. Interrupted waits resume with the time remaining.
    static func wait(_ descriptors: [(fd: Int32, events: Int16)], until deadline: ContinuousClock.Instant,
                     operation: String, address: SocketAddress) throws(NetError) -> Ready {
        var fds = descriptors.map { pollfd(fd: $0.fd, events: $0.events, revents: 0) }
        while true {
            let count = poll(&fds, nfds_t(fds.count), milliseconds(until: deadline))
            if count >= 0 { return Ready(events: fds.map(\.revents)) }
            guard errno == EINTR else {
                throw .system(SystemError("poll (\(operation))", path: address.description, errno: errno))
            }
        }
    }

    /// The poll timeout for a deadline: rounded up, so that a wait never returns just
    /// before its deadline and spins; never negative (0 checks without waiting).
    static func milliseconds(until deadline: ContinuousClock.Instant) -> Int32 {
        let remaining = ContinuousClock.now.duration(to: deadline)
        guard remaining > .zero else { return 0 }
        let (seconds, attoseconds) = remaining.components
        let perMillisecond: Int64 = 1_000_000_000_000_000
        let total = seconds.multipliedReportingOverflow(by: 1000)
        guard !total.overflow else { return Int32.max }
        let rounded = total.partialValue + (attoseconds + perMillisecond - 1) / perMillisecond
        return Int32(clamping: rounded)
    }

    /// `now + timeout`, saturating instead of trapping on absurd timeouts.
    static func deadline(after timeout: Duration) -> ContinuousClock.Instant {
        let longest = Duration.seconds(Int64(Int32.max))
        return ContinuousClock.now.advanced(by: min(max(timeout, .zero), longest))
    }

    static let readable = Int16(POLLIN)
    static let writable = Int16(POLLOUT)
}
