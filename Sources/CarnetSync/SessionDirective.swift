import CarnetCore
import CarnetWire

/// What the session asks its driver to do. The driver carries them out in order.
public enum SessionDirective: Sendable, Equatable {
    /// Write these bytes to the connection.
    case send([UInt8])
    /// Make these events durable (one atomic append), then call
    /// `Session.persisted(batch:newEvents:now:)` (or `persistFailed`).
    case persist(batch: UInt64, events: SignedEvents)
    /// Compute what a peer with `summary` lacks (`Replica.expand` names what this side
    /// can; `Replica.missingPlan` says what to send) and hand it to
    /// `Session.offer(plan:now:)`, or the events themselves to `Session.offer(_:now:)`.
    case offerEventsMissing(from: CompactSummary)
    /// A received batch cannot be stored as sent (it does not decode against its context):
    /// answer with `Session.refuse(batch:reason:now:)`, in order with `persist`.
    case refuseIncoming(batch: UInt64, reason: String)
    /// The peer offered to send these ranges (grants in force, SPEC 8.3 rule 8): reserve
    /// what this node neither holds nor has reserved for another session
    /// (`PeerStore.grant`), and answer with `Session.grant(_:held:now:)`.
    case grantAsked([GrantRange])
    /// The peer refused part of an offer because another of its sessions brings it: offer
    /// again after the relay delay what the peer's holdings then still lack
    /// (`Session.relay(plan:now:)`), in case that session is cut.
    case reofferLater
    /// The peer said who it is (after authentication): a driver records it.
    case peerIdentified(SummaryMessage)
    /// The peer stored one of this side's batches.
    case acknowledged(batch: UInt64, newEvents: UInt64)
    /// The peer refused one of this side's batches; it is not sent again in this session.
    case peerRefused(batch: UInt64, reason: String)
    /// The peer's custody receipt for this side's events, checked (SPEC 9.6): a driver
    /// keeps the latest per peer.
    case receiptReceived(CustodyReceipt)
    /// Both sides are caught up. In live mode the session stays open; otherwise it is
    /// followed by `close`.
    case caughtUp
    /// Close the connection (after writing what was sent before).
    case close(SessionEnd)
    /// An input arrived in a state that cannot take it: the session ignored it and changed
    /// nothing. A driver counts these. Most are a bug in the driver; a few are races it
    /// cannot avoid, such as a persist that completes after the session closed
    /// (`OutOfStateInput` says which is which). It is always the only directive of its list.
    case inputOutOfState(OutOfStateInput)
}

/// How a session ended.
public struct SessionEnd: Sendable, Equatable, CustomStringConvertible {
    public enum Outcome: Sendable, Equatable {
        /// Every event each side lacked was sent, stored and acknowledged.
        case completed
        /// This side closed: the code sent to the peer, and why.
        case failed(SessionErrorCode, String)
        /// The peer closed with an ERROR message.
        case closedByPeer(SessionErrorCode, String)
        /// The connection ended (EOF) before the session finished: a cut link, a killed
        /// peer, or a peer that stopped mid-frame. Nothing was rejected and nothing is
        /// lost: what was acknowledged is durable, the next session resumes.
        case interrupted(String)
    }

    public var outcome: Outcome

    public init(_ outcome: Outcome) {
        self.outcome = outcome
    }

    public var isSuccess: Bool { outcome == .completed }

    public var description: String {
        switch outcome {
        case .completed: "completed"
        case let .failed(code, message): "\(message) (\(code))"
        case let .closedByPeer(code, message): "the peer closed the session: \(message) (\(code))"
        case let .interrupted(message): message
        }
    }
}

/// Tunables of a session, with the defaults the spec recommends.
public struct SessionSettings: Sendable {
    /// Events per EVENTS message, at most; also cut so that a frame stays under 1 MiB.
    public var batchEvents = 2_000
    /// Encoded bytes per batch, at most: what a cut link may cost again.
    public var batchBytes = 32 << 10
    /// Batches sent and not yet acknowledged, at most. Four 32 KB batches keep a rural
    /// link (1 Mbit/s × 300 ms ≈ 37 KB in flight) full through the receiver's fsyncs,
    /// while a cut loses at most what was in flight.
    public var window = 4
    /// The handshake must finish within this time.
    public var handshakeTimeout: Duration = .seconds(10)
    /// A silent peer is dropped after this long.
    public var idleTimeout: Duration = .seconds(45)
    /// In live mode, a PING after this long without sending anything.
    public var pingInterval: Duration = .seconds(15)
    /// Events of context a primed batch refers to (0: never prime).
    public var primingContext = 256
    /// A dialer's byte budget for the session (SPEC 8.3.9): the most bytes it writes plus
    /// reads on the socket, handshake included; 0 for none. Sent in message 1, so that the
    /// listener sends within it too. Own events go first and both sides stop at a batch
    /// boundary; what is left waits for the next session. Never for a live session.
    public var budgetBytes: UInt32 = 0
    /// A dialer of a signed ledger asks the listener for a custody receipt (SPEC 9.6):
    /// set when its latest receipt from that peer does not cover its newest own event, so
    /// that an in-sync session carries none. Ignored in format 1 and by a listener.
    public var wantsReceipt = false
    /// In a live session, how long a dialer holds back news of other nodes (relayed news)
    /// before pushing it to its listener, which usually gets it itself meanwhile and
    /// pushes it here (`RelayHoldback`, SPEC 8.3 rule 8); `.zero` pushes it at once.
    public var relayDelay: Duration = .seconds(30)
    /// This side speaks grants (OFFER and GRANT, SPEC 8.3 rule 8): a dialer without a
    /// budget asks for them in message 1, a listener puts them in force when asked. False
    /// behaves as a version-2 node from before grants: a listener refuses message 1's bit
    /// 2 as `malformed` (what a dialer meets at an older listener, and dials again without).
    /// Off by default: the recorded sessions of the fuzz corpora and fixtures run without.
    /// `serve` sets it in a format-1 ledger, and the simulation there (I7 holds); a
    /// one-shot `sync` leaves it off, since a GRANT costs its delta a round trip, and a
    /// signed ledger runs without (BENCHMARKS.md §7 says why).
    public var grants = false

    public init() {}
}
