/// Why the events of a batch may not be stored in a signed (format 2) ledger.
public enum ChainRejection: Error, Equatable, Sendable, CustomStringConvertible {
    /// No key is known for the node: neither held nor declared by its first event in the
    /// batch.
    case unknownKey(NodeID)
    /// A signed head whose signature does not verify under the node's key.
    case badSignature(Dot)
    /// An event that lies below no valid signed head of its node.
    case unsigned(Dot)

    public var description: String {
        switch self {
        case let .unknownKey(node): "no key is known for node \(node.short): its first event, which states the key, is missing"
        case let .badSignature(dot): "the signature over \(dot) does not verify under its node's key"
        case let .unsigned(dot): "event \(dot) is not covered by a signature of its node"
        }
    }
}

/// The rule that decides whether events may enter a signed ledger: each one must lie on the
/// hash chain below a head its author signed.
///
/// A head's hash covers its predecessor's hash, and so on to the node's first event; a
/// valid signature over the head therefore vouches for every event reached by walking
/// back through `previous`. Nothing else is needed: neither the order of arrival nor
/// what other nodes say. A chain with no key of its own (a format-1 history) is vouched
/// for the same way by the ledger creator's adoption heads (SPEC 9.7).
public enum SignedChains {
    /// What the receiver already holds, for the walk: a held event's predecessor hash lets
    /// the walk continue through events the batch does not repeat.
    public struct Held {
        public var key: (NodeID) -> NodeKey?
        public var previousHash: (EventID) -> SHA256Digest?
        /// Heads the receiver kept (verified when they came): a batch may fill in the
        /// chain below one of them, for an event that came first and waits.
        public var heads: (NodeID) -> [SignedHead]
        /// The ledger creator's key, when the node knows it from its ledger file: a head
        /// it signed as an adoption vouches for a chain that has no key of its own (a
        /// format-1 history, SPEC 9.7). Known alike to every node of the ledger from the
        /// start, so the verdict does not depend on what arrived first.
        public var adopter: Ed25519.PublicKey?

        public init(key: @escaping (NodeID) -> NodeKey?, previousHash: @escaping (EventID) -> SHA256Digest?,
                    heads: @escaping (NodeID) -> [SignedHead] = { _ in [] }, adopter: Ed25519.PublicKey? = nil) {
            self.key = key
            self.previousHash = previousHash
            self.heads = heads
            self.adopter = adopter
        }

        /// A receiver that holds nothing yet.
        public static var nothing: Held { Held(key: { _ in nil }, previousHash: { _ in nil }) }
    }

    /// Nil when every event of `events` is covered by a valid head of `heads`, else the first
    /// problem. Heads of nodes with no event in the batch are checked too: a bad signature
    /// is refused wherever it appears, so a sender cannot slip in garbage for later.
    public static func rejection(of events: [Event], heads: [SignedHead], ledger: LedgerID,
                                 held: Held = .nothing) -> ChainRejection? {
        var byID: [EventID: Event] = [:]
        byID.reserveCapacity(events.count)
        var declared: [NodeID: NodeKey] = [:]
        var lowestSeq: [NodeID: UInt64] = [:]
        for event in events {
            byID[event.id] = event
            if let key = NodeKey.declared(by: event) { declared[event.dot.node] = key }
            lowestSeq[event.dot.node] = min(lowestSeq[event.dot.node] ?? .max, event.dot.seq)
        }

        var covered = Set<EventID>()
        covered.reserveCapacity(events.count)
        for head in heads {
            let key = held.key(head.node) ?? declared[head.node]
            let valid = key.map { head.isValid(for: $0, ledger: ledger) } ?? false
                || held.adopter.map { head.isValidAdoption(by: $0, ledger: ledger) } ?? false
            guard valid else { return key == nil ? .unknownKey(head.node) : .badSignature(head.dot) }
            walk(from: head.eventID, down: lowestSeq[head.node] ?? head.seq, events: byID, held: held, covered: &covered)
        }
        var walkedKept = Set<NodeID>()
        for event in events where !covered.contains(event.id) && walkedKept.insert(event.dot.node).inserted {
            for head in held.heads(event.dot.node) where head.seq >= event.dot.seq {
                walk(from: head.eventID, down: lowestSeq[event.dot.node] ?? head.seq, events: byID, held: held, covered: &covered)
            }
        }
        for event in events where !covered.contains(event.id) {
            return held.key(event.dot.node) == nil && declared[event.dot.node] == nil
                ? .unknownKey(event.dot.node) : .unsigned(event.dot)
        }
        return nil
    }

    /// Marks every batch event on the chain below `start`, through held events where the
    /// batch does not repeat them, stopping at seq `floor` (nothing of the batch lies
    /// lower), at an event already marked, or where the chain leaves what is known.
    private static func walk(from start: EventID, down floor: UInt64, events: [EventID: Event],
                             held: Held, covered: inout Set<EventID>) {
        var current = start
        while current.dot.seq >= floor {
            let previous: SHA256Digest
            if let event = events[current] {
                guard covered.insert(current).inserted else { return }
                previous = event.previous
            } else if let heldPrevious = held.previousHash(current) {
                previous = heldPrevious
            } else {
                return
            }
            guard current.dot.seq > 1 else { return }
            current = EventID(dot: Dot(node: current.dot.node, seq: current.dot.seq - 1), hash: previous)
        }
    }
}
