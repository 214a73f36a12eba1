/// An input a session was given in a state that cannot take it (`SessionDirective.inputOutOfState`).
///
/// The session changes nothing when this happens, so a driver may carry on; it counts
/// them because a steady count is a driver bug. Which inputs, in which states, and why
/// they can arrive there:
///
/// - `start` after the session started: always a driver bug.
/// - `receive` before `start`: a driver bug (the session must be started first). After
///   the session closed: bytes the connection held when the session ended, read by a
///   driver that did not check `isClosed` first.
/// - `offer(plan:)` and `offer(_:)` before the session is established: a driver bug (no
///   `offerEventsMissing` was asked; news is for `isLiveWithPeer` sessions). After it
///   closed: the answer to an `offerEventsMissing` computed while the session ended, or
///   one that a later directive of the same list closed (a frame after the SUMMARY failed).
/// - `persisted`, `refuse` and `persistFailed` before the session is established: a driver
///   bug (no batch was handed to persist). After it closed: a persist that completed
///   after the session ended, because a later frame of the same read failed, the peer
///   hung up, or the disk was slow past a timeout. What was persisted stays persisted;
///   the peer, lacking the acknowledgement, sends it again next session.
/// - `grant` when no `grantAsked` awaits its answer: a driver bug; after the session
///   closed, an answer computed while it ended.
/// - `historyChanged` after the session closed: the driver learned of a fork while the
///   session ended.
///
/// Inputs that are never out of state, because ignoring them is always right: `tick` (time
/// passes in every state), `peerClosed` after the session closed (the peer hanging up
/// after this side closed is how a connection ends), `close` after the session closed
/// (so that a shutdown may close every session without asking), and `historyChanged`
/// before both sides' first SUMMARY crossed (it returns `accepted: false`: ask again).
public struct OutOfStateInput: Sendable, Equatable, CustomStringConvertible {
    /// The session input, by the method's name.
    public enum Input: String, Sendable, Equatable {
        case start
        case receive
        case offerPlan = "offer(plan:)"
        case offerEvents = "offer(_:)"
        case persisted
        case persistFailed
        case refuse
        case historyChanged
        case grant = "grant(_:held:)"
    }

    /// The session's state, as far as a driver can tell it apart.
    public enum State: String, Sendable, Equatable {
        /// Made, not started.
        case idle
        /// Started; the Noise handshake messages are being exchanged.
        case handshake
        /// The peer proved itself.
        case established
        case closed
    }

    public var input: Input
    public var state: State

    public init(_ input: Input, in state: State) {
        self.input = input
        self.state = state
    }

    public var description: String { "\(input.rawValue) in state \(state.rawValue)" }
}
