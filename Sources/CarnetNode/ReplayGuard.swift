import CarnetSync
import CarnetSystem

/// The replay cache of a listening process (protocol/SPEC.md 8.2.6): one
/// `AnsweredHandshakes` shared by every session the server accepts, behind a lock since
/// each session runs on its own thread. It lives as long as the process: a restarted
/// `serve` forgets it, which the spec states as the limit.
final class ReplayGuard: @unchecked Sendable {
    // `@unchecked Sendable` is sound: `answered` is only touched under `lock`.
    private let lock = Lock()
    private var answered: AnsweredHandshakes

    init(capacity: Int = AnsweredHandshakes.defaultCapacity) {
        answered = AnsweredHandshakes(capacity: capacity)
    }

    /// The check a listening session runs on each message 1 that decrypted.
    var check: ReplayCheck {
        { [self] ephemeral in lock.withLock { answered.firstAnswer(to: ephemeral) } }
    }
}
