/// Everything a replica holds of one node's history.
struct NodeHistory: Sendable {
    /// seq 1...chain.count: one contiguous hash chain (the first branch to arrive).
    var chain: [Event] = []
    /// Events held at dots off the chain: the other branches of a fork. Almost always empty.
    var branches: [EventID: Event] = [:]
    /// The highest seq held on any branch; every branch is a full chain from seq 1, so
    /// every seq up to it is held.
    var highestSeq: UInt64 = 0

    func event(_ id: EventID) -> Event? {
        let seq = id.dot.seq
        if seq >= 1, seq <= UInt64(chain.count) {
            let candidate = chain[Int(seq - 1)]
            if candidate.hash == id.hash { return candidate }
        }
        return branches[id]
    }

    var eventCount: Int { chain.count + branches.count }
}

/// How `History.insert` took an event.
public enum Admission: Sendable, Equatable {
    /// New, and its predecessor was held: it is now part of the history.
    case accepted
    /// Already held (same dot, same hash): nothing changes.
    case duplicate
    /// Its predecessor is not held yet; kept aside until it arrives.
    case pending
    /// Structurally impossible (seq 0, or a first event that claims a predecessor).
    case rejected(String)
}

/// The set of events a replica holds, organised per node as hash chains, with fork
/// branches kept as evidence and early arrivals kept until their predecessors come.
public struct History: Sendable {
    /// Per-node histories, in first-seen order; `slots` finds a node's. Kept in an array
    /// so that appending to a chain mutates it in place (a copy out of a dictionary would
    /// copy the whole chain on every insert).
    private var histories: [NodeHistory] = []
    private var slots: [NodeID: Int] = [:]
    /// The nodes that hold fork branches (almost always none): `forks` looks at these only,
    /// since a session asks for it on every frame and a ledger may hold 60,000 nodes.
    private var branched: Set<NodeID> = []
    /// Events whose predecessor is missing, keyed by the predecessor they wait for.
    private var waiting: [EventID: [Event]] = [:]
    public private(set) var pendingCount = 0
    public private(set) var versionVector = VersionVector()
    /// Events accepted into the history (pending ones not counted).
    public private(set) var count = 0

    public init() {}

    private func history(of node: NodeID) -> NodeHistory? {
        slots[node].map { histories[$0] }
    }

    /// Takes one event and says how. An accepted event may release pending successors:
    /// collect them with `releaseSuccessors(of:)` (only needed while `pendingCount > 0`).
    public mutating func insert(_ event: Event) -> Admission {
        admit(event)
    }

    /// Admits every pending event that waited, directly or through others, for `id`, and
    /// returns them in causal order. Cheap when nothing is pending.
    public mutating func releaseSuccessors(of id: EventID) -> [Event] {
        guard pendingCount > 0 else { return [] }
        var released: [Event] = []
        var frontier = [id]
        while let next = frontier.popLast(), pendingCount > 0 {
            guard let successors = waiting.removeValue(forKey: next) else { continue }
            pendingCount -= successors.count
            for successor in successors where admit(successor) == .accepted {
                released.append(successor)
                frontier.append(successor.id)
            }
        }
        return released
    }

    private mutating func admit(_ event: Event) -> Admission {
        let dot = event.dot
        guard dot.seq >= 1 else { return .rejected("seq 0 is not a valid sequence number") }
        if dot.seq == 1, event.previous != .zero {
            return .rejected("the first event of a node cannot have a predecessor")
        }
        let slot = slots[dot.node]
        let chainCount = slot.map { histories[$0].chain.count } ?? 0
        let extendsChain = dot.seq == UInt64(chainCount) + 1
            && (dot.seq == 1 || histories[slot!].chain[chainCount - 1].hash == event.previous)
        // An event that extends the chain cannot be held already: an identical event would
        // have extended the chain when it arrived, and chains only grow.
        if !extendsChain {
            if let slot, histories[slot].event(event.id) != nil { return .duplicate }
            let predecessor = EventID(dot: Dot(node: dot.node, seq: dot.seq - 1), hash: event.previous)
            let predecessorHeld = dot.seq == 1 || (slot.map { histories[$0].event(predecessor) != nil } ?? false)
            guard predecessorHeld else {
                if waiting[predecessor]?.contains(event) == true { return .pending }
                waiting[predecessor, default: []].append(event)
                pendingCount += 1
                return .pending
            }
        }
        let index: Int
        if let slot {
            index = slot
        } else {
            index = histories.count
            histories.append(NodeHistory())
            slots[dot.node] = index
        }
        if extendsChain {
            histories[index].chain.append(event)
        } else {
            histories[index].branches[event.id] = event
            branched.insert(dot.node)
        }
        if dot.seq > histories[index].highestSeq {
            histories[index].highestSeq = dot.seq
            versionVector[dot.node] = dot.seq
        }
        count += 1
        return .accepted
    }

    public func contains(_ id: EventID) -> Bool {
        history(of: id.dot.node)?.event(id) != nil
    }

    public func event(_ id: EventID) -> Event? {
        history(of: id.dot.node)?.event(id)
    }

    /// Nodes with at least one event, in id order.
    public var nodeIDs: [NodeID] { slots.keys.sorted() }
    /// How many nodes have events here (held or waiting).
    public var nodeCount: Int { slots.count }
    /// Nodes whose history has more than one branch here (a fork).
    public var branchedNodes: Set<NodeID> { branched }
    /// Whether any event of `node` is here (held or waiting).
    public func holds(node: NodeID) -> Bool { slots[node] != nil }

    /// The last event of the node's first branch: where that node's own next write goes.
    public func chainHead(of node: NodeID) -> Event? {
        history(of: node)?.chain.last
    }

    /// True when `id` lies on the node's first branch (its chain from seq 1).
    public func chainContains(_ id: EventID) -> Bool {
        guard let history = history(of: id.dot.node), id.dot.seq >= 1, id.dot.seq <= UInt64(history.chain.count) else {
            return false
        }
        return history.chain[Int(id.dot.seq - 1)].hash == id.hash
    }

    /// True when the node's history is one chain (no fork) that contains `id`: everything
    /// held after `id` then simply extends it.
    public func linearHistoryContains(_ id: EventID) -> Bool {
        chainContains(id) && (history(of: id.dot.node)?.branches.isEmpty ?? false)
    }

    /// Length of the node's first branch.
    public func chainLength(of node: NodeID) -> UInt64 {
        UInt64(history(of: node)?.chain.count ?? 0)
    }

    /// Events of `node`, first branch in seq order, then other branches by (seq, hash).
    public func events(of node: NodeID) -> [Event] {
        guard let history = history(of: node) else { return [] }
        if history.branches.isEmpty { return history.chain }
        return history.chain + history.branches.values.sorted { $0.id < $1.id }
    }

    /// `count` events of `node`'s first branch ending at `endSeq`, or nil when that branch
    /// does not reach so far (the context of a primed batch).
    public func chainEvents(of node: NodeID, endingAt endSeq: UInt64, count: Int) -> [Event]? {
        guard let history = history(of: node), count >= 1, endSeq >= UInt64(count),
              endSeq <= UInt64(history.chain.count) else { return nil }
        return Array(history.chain[Int(endSeq) - count..<Int(endSeq)])
    }

    /// Up to `max` events of `node`'s first branch after seq `after`.
    public func chainEvents(of node: NodeID, after: UInt64, max: Int) -> [Event] {
        guard let history = history(of: node), max > 0, after < UInt64(history.chain.count) else { return [] }
        return Array(history.chain[Int(after)..<Swift.min(history.chain.count, Int(after) + max)])
    }

    /// Calls `body` with up to `max` events of `node`'s first branch after seq `after`, in
    /// place: a fold catching up a million-event chain would otherwise copy it first.
    public func forEachChainEvent(of node: NodeID, after: UInt64, max: Int, _ body: (Event) throws -> Void) rethrows {
        guard let slot = slots[node], max > 0, after < UInt64(histories[slot].chain.count) else { return }
        let end = Swift.min(histories[slot].chain.count, Int(after) + max)
        for index in Int(after)..<end { try body(histories[slot].chain[index]) }
    }

    /// The events held at one dot: one, or several when the node forked there.
    public func events(of node: NodeID, at seq: UInt64) -> [Event] {
        guard let history = history(of: node), seq >= 1 else { return [] }
        var out: [Event] = []
        if seq <= UInt64(history.chain.count) { out.append(history.chain[Int(seq - 1)]) }
        if !history.branches.isEmpty { out += history.branches.values.filter { $0.dot.seq == seq } }
        return out
    }

    /// Events of `node` off its first branch, branch by branch, each branch's events
    /// consecutive and in chain order (a depth-first walk from each branch's first event, by
    /// id where a branch splits again). A receiver applies them without waiting, and a
    /// batch keeps each branch as one run: a signed ledger can only cut a run where a signed
    /// head ends it, so interleaving two branches (as an order by seq did) left every event
    /// a run of its own that no signature covered.
    public func branchEvents(of node: NodeID) -> [Event] {
        guard let history = history(of: node), !history.branches.isEmpty else { return [] }
        var children: [EventID: [Event]] = [:]
        var roots: [Event] = []
        for event in history.branches.values {
            let parent = EventID(dot: Dot(node: node, seq: event.dot.seq - 1), hash: event.previous)
            if event.dot.seq > 1, history.branches[parent] != nil {
                children[parent, default: []].append(event)
            } else {
                roots.append(event)
            }
        }
        var out: [Event] = []
        out.reserveCapacity(history.branches.count)
        var stack = roots.sorted { $0.id > $1.id }
        while let event = stack.popLast() {
            out.append(event)
            stack.append(contentsOf: (children[event.id] ?? []).sorted { $0.id > $1.id })
        }
        return out
    }

    /// Events of `node` after `seq` on every branch, in an order a receiver can apply
    /// without waiting: the first branch in seq order, then the other branches as
    /// `branchEvents(of:)` orders them.
    public func events(of node: NodeID, after seq: UInt64) -> [Event] {
        guard let history = history(of: node) else { return [] }
        var out: [Event] = []
        if seq < UInt64(history.chain.count) {
            out.append(contentsOf: history.chain[Int(seq)...])
        }
        if !history.branches.isEmpty {
            out.append(contentsOf: branchEvents(of: node).filter { $0.dot.seq > seq })
        }
        return out
    }

    /// Calls `body` with every accepted event, node by node (unspecified node order).
    /// The fast path for views that fold over the whole history.
    public func forEachEvent(_ body: (Event) throws -> Void) rethrows {
        for history in histories {
            for event in history.chain { try body(event) }
            for event in history.branches.values { try body(event) }
        }
    }

    /// The events of each node that no held event follows: one per node unless it forked.
    public func heads(of node: NodeID) -> [EventID] {
        guard let history = history(of: node) else { return [] }
        var heads: [EventID] = []
        if let last = history.chain.last { heads.append(last.id) }
        guard !history.branches.isEmpty else { return heads }
        let parents = Set(history.branches.values.map {
            EventID(dot: Dot(node: node, seq: $0.dot.seq - 1), hash: $0.previous)
        })
        for event in history.branches.values where !parents.contains(event.id) {
            heads.append(event.id)
        }
        return heads.sorted()
    }

    /// Whether `id` is held waiting for its predecessor: one look under the predecessor its
    /// event names, for a store deciding what to append to its log.
    public func isPending(_ event: Event) -> Bool {
        guard pendingCount > 0, event.dot.seq > 1 else { return false }
        let predecessor = EventID(dot: Dot(node: event.dot.node, seq: event.dot.seq - 1), hash: event.previous)
        return waiting[predecessor]?.contains(event) == true
    }

    /// A held event waiting for its predecessor, by id (a scan: such events are few).
    public func pendingEvent(_ id: EventID) -> Event? {
        guard !waiting.isEmpty else { return nil }
        return waiting.values.lazy.flatMap { $0 }.first { $0.id == id }
    }

    /// Events held but not applied because their predecessor is missing, in id order.
    public var pendingEvents: [Event] {
        waiting.values.flatMap { $0 }.sorted { $0.id < $1.id }
    }

    /// Every point where a node's history split: two or more held events with the same
    /// predecessor. Each is a device that reused sequence numbers (typically a restore
    /// from backup). Both branches stay in the ledger; this list makes them visible.
    public var forks: [Fork] {
        var forks: [Fork] = []
        for node in branched {
            guard let history = history(of: node) else { continue }
            var siblings: [SiblingKey: Set<EventID>] = [:]
            for event in history.branches.values {
                let key = SiblingKey(seq: event.dot.seq, previous: event.previous)
                siblings[key, default: []].insert(event.id)
                let seq = Int(event.dot.seq)
                if seq <= history.chain.count, history.chain[seq - 1].previous == event.previous {
                    siblings[key]!.insert(history.chain[seq - 1].id)
                }
            }
            for (key, ids) in siblings where ids.count > 1 {
                forks.append(Fork(node: node, seq: key.seq, previous: key.previous, events: ids.sorted()))
            }
        }
        return forks.sorted { ($0.node, $0.seq, $0.previous) < ($1.node, $1.seq, $1.previous) }
    }

    private struct SiblingKey: Hashable {
        var seq: UInt64
        var previous: SHA256Digest
    }
}

/// A point where one node's history split into branches.
public struct Fork: Hashable, Sendable {
    public var node: NodeID
    /// The first seq that exists more than once.
    public var seq: UInt64
    /// The event both branches continue from (zero when they diverge at seq 1).
    public var previous: SHA256Digest
    /// The first event of each branch, in id order.
    public var events: [EventID]
}
