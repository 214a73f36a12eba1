import CarnetSystem

/// The server's shared bookkeeping: the sessions running (with the secret each one
/// authenticates with), those of them still waiting to authenticate, and whether it is
/// stopping.
///
/// Two budgets: `maxSessions` for sessions (a new connection is told `busy` only when that
/// many are authenticated or dialed), and `PendingConnections` for accepted connections
/// that have not authenticated, which makes room by closing the oldest. So connections that
/// never authenticate cannot refuse a farm; at most `maxSessions` plus the pending budget
/// run at once.
final class ServerState: @unchecked Sendable {
    // `@unchecked Sendable` is sound: every property is only touched under `lock`.
    private let lock = Lock()
    private var runners: [ObjectIdentifier: (runner: SessionRunner, secret: LedgerSecret, replaced: Bool)] = [:]
    private var pending: PendingConnections<SessionRunner>
    private var isStopping = false

    init(perAddress: Int, pendingTotal: Int) {
        pending = PendingConnections(perAddress: perAddress, total: pendingTotal)
    }

    var stopping: Bool { lock.withLock { isStopping } }
    var sessionCount: Int { lock.withLock { runners.count } }
    var pendingCount: Int { lock.withLock { pending.count } }

    enum Admission {
        case refused
        /// Taken; `evicting` is the unauthenticated connection closed to make room.
        case admitted(evicting: SessionRunner?)
    }

    /// A connection accepted from `host`: it waits to authenticate, in the pending budget.
    func admitAccepted(_ runner: SessionRunner, host: String, secret: LedgerSecret, limit: Int) -> Admission {
        lock.withLock {
            guard !isStopping, runners.count - pending.count < limit else { return .refused }
            runners[ObjectIdentifier(runner)] = (runner, secret, false)
            return .admitted(evicting: pending.admit(ObjectIdentifier(runner), host: host, runner))
        }
    }

    /// A session this node dials: counted against `limit` at once.
    func admitDialed(_ runner: SessionRunner, secret: LedgerSecret, limit: Int) -> Bool {
        lock.withLock {
            guard !isStopping, runners.count - pending.count < limit else { return false }
            runners[ObjectIdentifier(runner)] = (runner, secret, false)
            return true
        }
    }

    /// The peer authenticated: the connection leaves the pending budget.
    func authenticated(_ runner: SessionRunner) {
        lock.withLock { pending.remove(ObjectIdentifier(runner)) }
    }

    func finish(_ runner: SessionRunner) {
        lock.withLock {
            runners.removeValue(forKey: ObjectIdentifier(runner))
            pending.remove(ObjectIdentifier(runner))
        }
    }

    /// The sessions made with another secret than `current`, each returned once.
    func takeReplaced(current: LedgerSecret) -> [SessionRunner] {
        lock.withLock {
            var replaced: [SessionRunner] = []
            for (key, value) in runners where !value.replaced && value.secret != current {
                runners[key]?.replaced = true
                replaced.append(value.runner)
            }
            return replaced
        }
    }

    func stopAll() -> [SessionRunner] {
        lock.withLock {
            isStopping = true
            return runners.values.map(\.runner)
        }
    }
}
