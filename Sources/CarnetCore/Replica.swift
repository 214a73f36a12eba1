/// A replica of a ledger: the events it holds and the state they materialize into.
///
/// A value type with no I/O: the store persists what it holds, the sync layer feeds it
/// what peers send. Two replicas that hold the same events have the same `digest`,
/// whatever order, duplication or grouping the events arrived in.
public struct Replica: Sendable {
    /// The node this replica writes as.
    public let node: NodeID
    public private(set) var clock: HybridClock
    public private(set) var history = History()
    /// Multi-value registers of every mutable record field, materialized as events arrive.
    public private(set) var registers: [FieldKey: MultiValueRegister] = [:]
    /// The signed heads that vouch for the chains held (signed ledgers only; empty in a
    /// format-1 ledger). Not part of the digest: signatures prove who wrote the events,
    /// they are not state.
    public private(set) var signedHeads = SignedHeadBook()
    /// The ledger this replica belongs to, in a signed ledger (nil in format 1): what the
    /// ledger's genesis and members are read against (`Membership`). Not part of the digest.
    public let ledger: LedgerID?
    /// The events that say who may write (member records and the ledger's genesis), kept
    /// as they arrive so that reading the members never scans the whole history.
    public private(set) var membershipEvents: Set<EventID> = []

    public init(node: NodeID, clock: HybridClock = HybridClock(), ledger: LedgerID? = nil) {
        self.node = node
        self.clock = clock
        self.ledger = ledger
    }

    init(node: NodeID, clock: HybridClock, history: History, registers: [FieldKey: MultiValueRegister],
         signedHeads: SignedHeadBook = SignedHeadBook(), ledger: LedgerID? = nil, membershipEvents: Set<EventID> = []) {
        self.node = node
        self.clock = clock
        self.history = history
        self.registers = registers
        self.signedHeads = signedHeads
        self.ledger = ledger
        self.membershipEvents = membershipEvents
    }

    /// Keeps heads whose events are held, accepted or waiting for a predecessor. The caller
    /// verified them (`SignedChains`); a head over an event not held is dropped, since
    /// nothing could be forwarded with it. A waiting event's head is what later vouches
    /// for the predecessors it waits for, when they come without one.
    public mutating func keep(_ heads: [SignedHead]) {
        keep(heads) { history, id in history.contains(id) }
    }

    /// Keeps heads this replica kept before, over events it held then (its checkpoint's,
    /// at open): their events are found by the first 8 bytes of their hash, without reading
    /// each cold one back (`History.mayContain`).
    public mutating func keepOwn(_ heads: [SignedHead]) {
        keep(heads) { history, id in history.mayContain(id) }
    }

    private mutating func keep(_ heads: [SignedHead], held: (History, EventID) -> Bool) {
        for head in heads where held(history, head.eventID) || history.pendingEvent(head.eventID) != nil {
            // A head over events that wait for a predecessor ends no branch yet, and is kept
            // all the same: a restored farm's other branch waits so, and a batch cut below
            // it (the peer holds the next event, SPEC 9.4) needs that head to be verified.
            signedHeads.keep(head) { id in history.heads(of: id.dot.node).contains(id) || history.pendingEvent(id) != nil }
        }
    }

    /// Takes events with the heads that vouch for them.
    @discardableResult
    public mutating func admit(_ signed: SignedEvents) -> AdmissionCounts {
        let counts = admit(contentsOf: signed.events)
        keep(signed.heads)
        return counts
    }

    /// What this replica holds, for `SignedChains` to walk through: a node's declared key
    /// (from its first event) and each held event's predecessor.
    public var heldChains: SignedChains.Held {
        let history = self.history
        let kept = signedHeads
        return SignedChains.Held(
            key: { node in history.events(of: node, at: 1).lazy.compactMap(NodeKey.declared(by:)).first },
            previousHash: { history.event($0)?.previous ?? history.pendingEvent($0)?.previous },
            heads: { kept.heads(of: $0) }
        )
    }

    /// `heldChains`, with the ledger creator's key that adoption heads verify under
    /// (SPEC 9.7); nil where the node does not know it.
    public func heldChains(adopter: Ed25519.PublicKey?) -> SignedChains.Held {
        var held = heldChains
        held.adopter = adopter
        return held
    }

    /// Keeps the events of every node's first branch but the last out of memory, read from
    /// `source` when something asks for them (`History.keepChainsCold(in:)`): a store whose
    /// log holds them does not need a second copy in memory. Registers, heads, the digest
    /// and admission do not read them.
    public mutating func keepChainsCold(in source: any ColdChainSource) {
        history.keepChainsCold(in: source)
    }

    /// The same, for a source that holds each node's first branch only up to `reach(node)`.
    public mutating func keepChainsCold(in source: any ColdChainSource, upTo reach: (NodeID) -> UInt64) {
        history.keepChainsCold(in: source, upTo: reach)
    }

    /// The same for the chains of `nodes` only (`History.keepChainsCold(in:upTo:only:)`).
    public mutating func keepChainsCold(in source: any ColdChainSource, upTo reach: (NodeID) -> UInt64,
                                        only nodes: some Sequence<NodeID>) {
        history.keepChainsCold(in: source, upTo: reach, only: nodes)
    }

    public var versionVector: VersionVector { history.versionVector }
    public var eventCount: Int { history.count }

    /// Records a local operation as this node's next event and applies it.
    ///
    /// Time is an input: the caller passes the wall clock, tests pass a virtual one.
    @discardableResult
    public mutating func write(_ operation: Operation, wallMillis: UInt64) -> Event {
        let head = history.chainHead(of: node)
        let event = Event(
            dot: Dot(node: node, seq: (head?.dot.seq ?? 0) + 1),
            clock: clock.tick(wallMillis: wallMillis),
            previous: head?.hash ?? .zero,
            operation: operation
        )
        let admission = history.insert(event)
        precondition(admission == .accepted, "a local write must extend the local chain")
        materialize(event)
        for released in history.releaseSuccessors(of: event.id) { materialize(released) }
        return event
    }

    /// Writes a value to a register, superseding every value this replica currently sees
    /// there. This is both an ordinary edit and the resolution of a conflict: the event
    /// names exactly the values it replaces, so the resolution is auditable.
    @discardableResult
    public mutating func assign(_ key: FieldKey, _ value: Value, wallMillis: UInt64) -> Event {
        let seen = registers[key]?.liveIDs ?? []
        return write(.assign(Assignment(key: key, value: value, supersedes: seen)), wallMillis: wallMillis)
    }

    /// Sets the clock past every event this node wrote (its own heads), after loading
    /// them from a store, so that its timestamps keep growing across process runs; and
    /// past what other nodes wrote, unless that lies more than the allowed drift ahead of
    /// `wallMillis` (HLC causality: a write follows everything its node held, a wildly
    /// wrong clock elsewhere drags no one forward).
    public mutating func resumeClock(wallMillis: UInt64) {
        for holder in history.nodeIDs {
            for head in history.heads(of: holder) {
                guard let event = history.event(head) else { continue }
                if holder == node {
                    clock.resume(after: event.clock)
                } else {
                    // What others wrote, within the allowed drift: a node whose wall clock
                    // is behind still stamps its next write after what it already holds.
                    clock.observe(event.clock, wallMillis: wallMillis)
                }
            }
        }
    }

    /// Takes one event from elsewhere (a peer, a bundle, the store).
    @discardableResult
    public mutating func admit(_ event: Event) -> Admission {
        let admission = history.insert(event)
        guard admission == .accepted else { return admission }
        materialize(event)
        if history.pendingCount > 0 {
            for released in history.releaseSuccessors(of: event.id) { materialize(released) }
        }
        return admission
    }

    /// Takes one event and lets the clock see its timestamp, so that later local writes
    /// order after it (unless its clock is wildly ahead, which is only reported).
    @discardableResult
    public mutating func admit(_ event: Event, wallMillis: UInt64) -> Admission {
        clock.observe(event.clock, wallMillis: wallMillis)
        return admit(event)
    }

    /// Takes many events; returns how many were new, duplicate, pending or rejected once
    /// the whole batch is in. An event that came before its predecessor in the batch (a
    /// session with grants brings a fork's branch after the chain that follows it) is
    /// accepted with that predecessor, and counted accepted, not pending: `pending` counts
    /// only events still waiting at the end, and `accepted` every event the batch made
    /// count, those it released from an earlier batch's wait included.
    @discardableResult
    public mutating func admit(contentsOf events: [Event]) -> AdmissionCounts {
        // A concrete overload: the generic one is not specialized across modules, and
        // arrays are what the codec and the store hand over.
        var summary = AdmissionCounts()
        let acceptedBefore = history.count
        var waited: [Event] = []
        for event in events {
            let admission = admit(event)
            if admission == .pending { waited.append(event) } else { summary.count(admission) }
        }
        summary.accepted = history.count - acceptedBefore
        if !waited.isEmpty { summary.pending = Set(waited.lazy.filter(history.isPending).map(\.id)).count }
        return summary
    }

    /// Takes many events from any sequence (counted as `admit(contentsOf:)` an array).
    @discardableResult
    public mutating func admit<Events: Sequence<Event>>(contentsOf events: Events) -> AdmissionCounts {
        admit(contentsOf: Array(events))
    }

    /// Takes every event of another replica of the same ledger that this one lacks.
    ///
    /// Version vectors alone cannot see a fork (both branches have the same seqs), so each
    /// node's heads are compared too: a node whose heads are all held here only sends what
    /// lies past this replica's seq; any other node sends every event not held here.
    @discardableResult
    public mutating func merge(with other: Replica) -> AdmissionCounts {
        var missing: [Event] = []
        for node in other.history.nodeIDs {
            if other.history.heads(of: node).allSatisfy(history.contains) { continue }
            if history.heads(of: node).allSatisfy({ other.history.linearHistoryContains($0) }) {
                missing.append(contentsOf: other.history.events(of: node, after: versionVector[node]))
            } else {
                missing.append(contentsOf: other.history.events(of: node).filter { !history.contains($0.id) })
            }
        }
        // Events the other holds aside (waiting for a predecessor) travel too: they are
        // held data, and this replica may have the predecessor they wait for.
        missing.append(contentsOf: other.history.pendingEvents.filter { !history.contains($0.id) })
        return admit(contentsOf: missing)
    }

    /// Every event held, node by node in id order, each node's in an order a receiver can
    /// apply without waiting (seq order). What a brand-new peer or a bundle of everything
    /// gets; for a known peer, use `eventsMissing(from:)` with its summary.
    public var allEvents: [Event] {
        history.nodeIDs.flatMap { history.events(of: $0, after: 0) }
    }

    private mutating func materialize(_ event: Event) {
        switch event.operation {
        case let .assign(assignment):
            registers[assignment.key, default: MultiValueRegister()]
                .apply(id: event.id, clock: event.clock, assignment: assignment)
            if assignment.key.record.type == Self.genesisRecordType { membershipEvents.insert(event.id) }
        case let .append(entry):
            if entry.kind == Self.memberEntryKind { membershipEvents.insert(event.id) }
        }
    }

    /// Record type of a signed ledger's genesis (`ledger/<ledger id hex>`).
    public static let genesisRecordType = "ledger"
    /// Entry kind of the records that enrol, change the roles of, or revoke a device.
    public static let memberEntryKind = "member"

    /// Registers whose live values differ: field conflicts, in key order.
    public var fieldConflicts: [FieldConflict] {
        registers.filter { $0.value.isConflicted }
            .map { FieldConflict(key: $0.key, values: $0.value.values) }
            .sorted { $0.key < $1.key }
    }

    public var forks: [Fork] { history.forks }
}

/// Counts of what a batch of received events did.
public struct AdmissionCounts: Sendable, Equatable {
    public var accepted = 0
    public var duplicates = 0
    public var pending = 0
    public var rejected = 0
    public init() {}

    public init(accepted: Int, duplicates: Int, pending: Int, rejected: Int) {
        (self.accepted, self.duplicates, self.pending, self.rejected) = (accepted, duplicates, pending, rejected)
    }

    mutating func count(_ admission: Admission) {
        switch admission {
        case .accepted: accepted += 1
        case .duplicate: duplicates += 1
        case .pending: pending += 1
        case .rejected: rejected += 1
        }
    }
}

/// Concurrent writes to one field that left different values.
public struct FieldConflict: Hashable, Sendable {
    public var key: FieldKey
    /// Every live value, with its writer and clock, in event-id order.
    public var values: [RegisterValue]

    public init(key: FieldKey, values: [RegisterValue]) {
        self.key = key
        self.values = values
    }

    /// Stable on every node that holds the same events: derived from the subject only, so
    /// a person can name it in `resolve` on any node.
    public var id: String { ConflictID.make(kind: "field", subject: key.description) }
}

/// Short, stable conflict identifiers.
public enum ConflictID {
    public static func make(kind: String, subject: String) -> String {
        String(SHA256.hash(Array("\(kind):\(subject)".utf8)).hex.prefix(10))
    }
}
