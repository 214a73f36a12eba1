import CarnetCore
import CarnetWire

/// What a session needs from the node it runs on, and nothing more: the one driver of
/// sessions (`PeerDriver`) asks it everything, so a socket shell, the simulation, the fuzz
/// target and test harnesses differ only in the store (and transport) they pass in.
///
/// The store is passed into each driver call rather than kept by the driver (as automerge's
/// `sync.rs` passes the document in): the driver stays a value with no reference to the
/// node, and a node's many sessions share one store. A class, because those sessions see
/// one node changing under them (another session's batch, a local write).
public protocol PeerStore: AnyObject {
    /// Why persisting can fail (disk full, I/O error); the session then stops, telling
    /// the peer, and nothing unacknowledged is lost.
    associatedtype PersistFailure: Error

    /// Enters a session into the node's news feed and returns what it tells its peer, both
    /// at once: every event is then either in that summary or in the session's news. The
    /// fork count goes with the summary, for `summaryIfForked`. `wake` is called (from any
    /// thread) when there is news for the session.
    func register(live: Bool, wake: @escaping @Sendable () -> Void) -> (session: Int, summary: SummaryMessage, forks: Int)

    /// The session ended: its news need no keeping.
    func unregister(_ session: Int)

    /// The context of a primed batch: `count` events of `node`'s first branch up to
    /// `endSeq`, or nil when the node does not hold them all.
    func chainEvents(of node: NodeID, endingAt endSeq: UInt64, count: Int) -> [Event]?

    /// What a peer whose compact summary is `peer` lacks, as ranges the session reads
    /// batch by batch (cheap however much the peer lacks).
    func missingPlan(from peer: CompactSummary) -> MissingPlan

    /// Why this node will not store a batch at all (its events break a rule the store
    /// enforces), or nil. The peer is told and does not send those nodes again in this
    /// session. A node's real store takes every batch (the default).
    func refusal(of batch: SignedEvents) -> String?

    /// Makes a peer's batch durable (one atomic append) and applies it; returns how many
    /// events were new to this node. `session` keeps them out of that session's own news.
    /// In a signed ledger the heads must vouch for every event, or nothing is stored.
    func persist(_ signed: SignedEvents, fromSession session: Int) throws(PersistFailure) -> Int

    /// The ledger's id (a signed ledger's; nil in format 1): it enters the handshake's
    /// pre-shared key, so a node of another ledger cannot complete a handshake whatever its
    /// name (protocol/SPEC.md §8.2).
    var ledgerID: LedgerID? { get }

    /// Whether this node's ledger is signed: its batches carry signed heads
    /// (protocol/SPEC.md §3.4) and it stores only what they vouch for.
    var signsBatches: Bool { get }

    /// This node's device key with the salt of its current id (a signed ledger's node;
    /// nil in format 1): the key its handshake proves (SPEC 8.2.7).
    var deviceKey: NodeKey? { get }

    /// Signs `message` with this node's device key, for the handshake's device proof; nil
    /// without a key. The private key stays in the store.
    func signWithDevice(_ message: [UInt8]) -> [UInt8]?

    /// The key `node` declared in its seq-1 event (SPEC 9.1), when this node holds it: a
    /// peer's device proof must match it.
    func declaredKey(of node: NodeID) -> NodeKey?

    /// A signature vouching for the held chain ending at `id`: kept, or made now for one of
    /// this node's own events; nil when there is none.
    func signedHead(at id: EventID) -> SignedHead?

    /// The held events after `id` on its chain up to the lowest kept head above it, and that
    /// head: what a sender adds to a run it cannot cut where it ends.
    func chainToSignedHead(after id: EventID) -> (events: [Event], head: SignedHead)?

    /// The newest event of `node` this node holds durably (the highest seq of its branch
    /// tips; the lowest hash breaks a tie): what a custody receipt signs (SPEC 9.6).
    func newestHeld(of node: NodeID) -> EventID?

    /// Events this node learned since the session last asked (written, received by
    /// another session, appended by another process), except those its own peer sent.
    func news(for session: Int) -> [Event]

    /// This node's summary and fork count when it holds more forks than `forks`: a session
    /// that summarized at `forks` must tell its peer, whichever session or process brought
    /// the fork. Asked below any count (`forks` < 0), it answers whatever the store holds:
    /// the summary and its fork count read together.
    func summaryIfForked(since forks: Int, live: Bool) -> (forks: Int, summary: SummaryMessage)?

    /// The id this node writes under now. It changes when the node continues under a new
    /// one (its own history forked, SPEC 4): the link event that starts the new id is a
    /// change of its history no peer can infer, as a fork is, so a session must tell its
    /// peer. A fork usually comes with it, but not always (a store that took in its own
    /// fork without continuing, as a server's `refresh()` does, continues at its next
    /// batch and adds no fork then).
    var node: NodeID { get }

    /// What this node holds now (the peer's too, once a session with it caught up).
    var summary: HistorySummary { get }

    /// A peer of `session` offers `offer` (grants in force, SPEC 8.3 rule 8): reserve for
    /// it what this node neither holds nor has reserved for another of its sessions
    /// (`GrantTable`, one per node, shared by all its sessions), and say which part it
    /// holds. The default grants everything and holds nothing: a store with one session
    /// at a time needs no table.
    func grant(_ offer: [GrantRange], session: Int) -> (granted: [GrantRange], held: [GrantRange])

    /// `session` brought these events (stored, or refused by the store): their
    /// reservations end.
    func release(_ events: [Event], session: Int)

    /// `session` ended: what it had reserved and not brought may be granted to another.
    func releaseGrants(session: Int)
}

extension PeerStore {
    public func refusal(of batch: SignedEvents) -> String? { nil }
    public func grant(_ offer: [GrantRange], session: Int) -> (granted: [GrantRange], held: [GrantRange]) { (offer, []) }
    public func release(_ events: [Event], session: Int) {}
    public func releaseGrants(session: Int) {}
    /// A format-1 ledger's store (the default): no signatures, no ledger id.
    public var signsBatches: Bool { false }
    public var ledgerID: LedgerID? { nil }
    public func signedHead(at id: EventID) -> SignedHead? { nil }
    public func chainToSignedHead(after id: EventID) -> (events: [Event], head: SignedHead)? { nil }
    public var deviceKey: NodeKey? { nil }
    public func signWithDevice(_ message: [UInt8]) -> [UInt8]? { nil }
    public func declaredKey(of node: NodeID) -> NodeKey? { nil }
    public func newestHeld(of node: NodeID) -> EventID? {
        summary.heads[node]?.min { ($0.dot.seq, $1.hash) > ($1.dot.seq, $0.hash) }
    }
}
