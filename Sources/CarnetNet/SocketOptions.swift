import CarnetSystem

#if canImport(Glibc)
import Glibc
#endif

/// The options every Carnet socket gets, in one place.
enum SocketOptions {
    /// Idle seconds before the first keepalive probe, seconds between probes, and probes
    /// lost before the kernel declares the peer dead: a peer whose machine vanished (power
    /// cut, cable pulled) is noticed in about a minute instead of the default two hours.
    static let keepaliveIdle: Int32 = 30
    static let keepaliveInterval: Int32 = 10
    static let keepaliveCount: Int32 = 3

    /// Makes a new descriptor non-blocking (every wait goes through `poll`, which is how
    /// timeouts work) and close-on-exec (a spawned process must not inherit it). Sockets
    /// from `socket()` get both atomically from SOCK_NONBLOCK | SOCK_CLOEXEC; `accept4` and
    /// `pipe2`, which would do the same, are hidden from Swift's Glibc module, so accepted
    /// sockets and pipes come here right after creation.
    static func makeNonBlockingAndCloseOnExec(_ fd: Int32) -> Int32? {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0,
              fcntl(fd, F_SETFD, FD_CLOEXEC) == 0 else { return errno }
        return nil
    }

    /// TCP_NODELAY (a session sends small request and reply frames; Nagle's algorithm
    /// would hold each back waiting for the previous acknowledgement) and keepalive.
    static func configureConnection(_ fd: Int32) -> Int32? {
        let tcp = Int32(IPPROTO_TCP)
        if let failure = set(fd, tcp, TCP_NODELAY, 1) { return failure }
        if let failure = set(fd, SOL_SOCKET, SO_KEEPALIVE, 1) { return failure }
        if let failure = set(fd, tcp, TCP_KEEPIDLE, keepaliveIdle) { return failure }
        if let failure = set(fd, tcp, TCP_KEEPINTVL, keepaliveInterval) { return failure }
        return set(fd, tcp, TCP_KEEPCNT, keepaliveCount)
    }

    /// SO_REUSEADDR: a restarted server can bind its port at once, while connections of
    /// the previous run still sit in TIME_WAIT.
    static func configureListener(_ fd: Int32) -> Int32? {
        set(fd, SOL_SOCKET, SO_REUSEADDR, 1)
    }

    /// Sets one integer option; returns the errno on failure.
    private static func set(_ fd: Int32, _ level: Int32, _ option: Int32, _ value: Int32) -> Int32? {
        var value = value
        guard setsockopt(fd, level, option, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else { return errno }
        return nil
    }

    /// A stream socket for `family`, already non-blocking and close-on-exec.
    static func newSocket(family: Int32) -> Int32 {
        socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
               Int32(IPPROTO_TCP))
    }
}
