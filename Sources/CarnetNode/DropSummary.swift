import CarnetSystem

/// The unauthenticated connections a server dropped since it last said so, for one log
/// line per interval: a flood of hundreds of connections would otherwise bury the log
/// (and fill the disk) one line each.
final class DropSummary: @unchecked Sendable {
    // `@unchecked Sendable` is sound: every property is only touched under `lock`.
    private let lock = Lock()
    private var evicted = 0
    private var timedOut = 0
    private var byHost: [String: Int] = [:]

    func add(_ drop: UnauthenticatedDrop, host: String) {
        lock.withLock {
            switch drop {
            case .evicted: evicted += 1
            case .deadline: timedOut += 1
            }
            byHost[host, default: 0] += 1
        }
    }

    /// The line to log for what was dropped since the last call; nil when nothing was.
    func take(perAddress: Int, total: Int, deadline: Duration) -> String? {
        lock.withLock {
            guard evicted + timedOut > 0 else { return nil }
            let top = byHost.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }!
            let line = "dropped \(evicted + timedOut) unauthenticated connections from \(byHost.count) address(es), "
                + "most from \(top.key) (\(top.value)): \(evicted) closed to make room for newer ones "
                + "(at most \(perAddress) wait per address, \(total) in all), \(timedOut) past the \(deadline) handshake deadline"
            evicted = 0
            timedOut = 0
            byHost = [:]
            return line
        }
    }
}
