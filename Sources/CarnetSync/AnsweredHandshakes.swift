/// The Noise message-1 ephemeral keys a listening process answered, the latest `capacity`
/// of them (protocol/SPEC.md 8.2.6): a message 1 whose key is here is a replay, and gets
/// nothing at all.
///
/// Why: NNpsk0's message 1 carries no freshness of the listener's, so a recorded one still
/// decrypts; the listener's message 2 to it cannot be read by the replayer, but its size
/// says whether the listener's state changed since the recording (a SUMMARY `same` is
/// short, a `full` one is not). Answering a replay with nothing, as a stranger is
/// answered, leaves it nothing to measure.
///
/// Bounded by count, not by the dialer's clock: farms' clocks are often wrong by hours,
/// and a window on the dialer's `wallMillis` would refuse an honest farm whose clock is
/// behind. The bound is what limits it: a replay is caught while fewer than `capacity`
/// newer handshakes were answered and the process has not restarted.
///
/// A key is kept as its first 16 bytes: honest keys are random, so two share them by
/// chance with probability about 2^-128 per pair, and a false match only refuses one
/// session (the dialer retries with a fresh key).
public struct AnsweredHandshakes: Sendable {
    public static let defaultCapacity = 65_536
    public let capacity: Int
    private var keys: Set<Key> = []
    /// The kept keys in the order they came, as a ring: `next` is the oldest once full.
    private var order: [Key] = []
    private var next = 0

    struct Key: Hashable, Sendable {
        let high: UInt64, low: UInt64
    }

    public init(capacity: Int = defaultCapacity) {
        precondition(capacity > 0, "a replay cache keeps at least one key")
        self.capacity = capacity
    }

    public var count: Int { keys.count }

    /// True, and the key is kept, when a message 1 with this ephemeral public key was not
    /// answered before (within the bound); false for a replay.
    public mutating func firstAnswer(to ephemeral: [UInt8]) -> Bool {
        precondition(ephemeral.count >= 16, "an ephemeral public key is 32 bytes")
        func word(_ start: Int) -> UInt64 { ephemeral[start..<start + 8].reduce(0) { $0 << 8 | UInt64($1) } }
        let key = Key(high: word(0), low: word(8))
        guard !keys.contains(key) else { return false }
        if order.count < capacity {
            order.append(key)
        } else {
            keys.remove(order[next])
            order[next] = key
            next = (next + 1) % capacity
        }
        keys.insert(key)
        return true
    }
}

/// What a listening session asks before it answers a message 1 that decrypted: true when
/// the message's ephemeral key (its first 32 bytes) was not answered before by this
/// process, and it is then remembered. Shared by every session a process listens with.
public typealias ReplayCheck = @Sendable (_ ephemeral: [UInt8]) -> Bool
