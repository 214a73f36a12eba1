import CarnetCore
import CarnetWire

/// Batch priming (protocol/SPEC.md, "Primed batches"): a batch whose first event follows
/// a chain the peer holds is encoded against the last events of that chain (its chain
/// context), so their strings do not travel again; a primed batch from the peer is decoded
/// against this side's copy of its context. Plain batches need no context. Both ends read
/// contexts through the driver's `ContextProvider`, which is also how a session checks what
/// the peer holds (`Session.peer(_:holds:context:)`).
struct BatchPriming: Sendable {
    /// Reads chain contexts from the store; nil: this side neither primes nor accepts
    /// primed batches.
    let context: Session.ContextProvider?
    /// Events of context a primed batch refers to (0: never prime).
    let contextLength: Int
    /// Signed heads for this side's batches (signed ledgers); nil: batches of version 1.
    let heads: HeadSource?

    /// Why a primed batch cannot be taken: this side lacks its context, or holds another.
    /// The batch is refused (the peer sends it again plain), not a reason to close.
    struct Problem: Error {
        var reason: String
    }

    /// The events of a received batch. Throws `Problem` when a primed batch's context is
    /// missing or wrong here; any other error when its bytes do not decode.
    func decode(_ message: EventsMessage) throws -> SignedEvents {
        guard let named = message.context else { return try EventBatch.decodeSigned(message.payload) }
        guard let context, let events = context(named.node, named.endSeq, Int(named.count)), events.count == Int(named.count) else {
            throw Problem(reason: "this node does not hold the context the batch is primed with "
                + "(\(named.count) events of \(named.node.short) up to seq \(named.endSeq))")
        }
        let decoded: SignedEvents
        do {
            decoded = try EventBatch.decodeSigned(message.payload, primedWith: events)
        } catch {
            throw Problem(reason: "the batch does not decode against this node's context: \(error)")
        }
        guard decoded.events.first?.dot.node == named.node, decoded.events.first?.previous == events.last?.hash else {
            throw Problem(reason: "this node holds another history before the batch")
        }
        return decoded
    }

    /// The bytes of a batch, primed when the peer's holdings show it holds exactly the
    /// chain just before the batch's first event (its head there is that event's
    /// predecessor): the usual case of a peer a day behind on a farm's events. `plain` is
    /// the plain encoding when it was made already.
    func encode(_ events: [Event], heads: [SignedHead]?, plain: [UInt8]?, peerHoldings peer: CompactSummary?) -> (payload: [UInt8], context: BatchContext?) {
        guard contextLength > 0, let context, let first = events.first, first.dot.seq > 1,
              let entry = peer?[first.dot.node.high],
              entry.heads == [CompactSummary.Head(seq: first.dot.seq - 1, hash: first.previous.w0)] else {
            return (plain ?? Self.plain(events, heads: heads), nil)
        }
        let count = Int(min(UInt64(contextLength), first.dot.seq - 1))
        guard let prior = context(first.dot.node, first.dot.seq - 1, count), prior.count == count,
              prior.last?.hash == first.previous else {
            return (plain ?? Self.plain(events, heads: heads), nil)
        }
        let primed = heads.map { EventBatch.encode(SignedEvents(events: events, heads: $0), primedWith: prior) }
            ?? EventBatch.encode(events, primedWith: prior)
        return (primed,
                BatchContext(node: first.dot.node, endSeq: first.dot.seq - 1, count: UInt64(count)))
    }

    /// A batch's plain bytes: version 2 with its heads in a signed ledger, else version 1.
    static func plain(_ events: [Event], heads: [SignedHead]?) -> [UInt8] {
        heads.map { EventBatch.encode(SignedEvents(events: events, heads: $0)) } ?? EventBatch.encode(events)
    }

    /// Of `events` offered one by one, those the peer may lack: without a context or
    /// holdings, all of them.
    func mayLack(_ events: [Event], peerHoldings: CompactSummary?) -> [Event] {
        guard let context, let summary = peerHoldings else { return events }
        return events.filter { !Session.peer(summary, holds: $0, context: context) }
    }

    /// Whether the peer, per its holdings, surely holds an event about to be sent.
    func surelyHeld(by peerHoldings: CompactSummary?) -> (Event) -> Bool {
        guard let context, let summary = peerHoldings else { return { _ in false } }
        return { Session.peer(summary, surelyHolds: $0, context: context) }
    }
}
