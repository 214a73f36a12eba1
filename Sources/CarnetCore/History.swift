/// Everything a replica holds of one node's history.
///
/// The first branch is one contiguous hash chain from seq 1. Its earliest events may be
/// *cold*: only the first 8 bytes of their hashes are here, and the events are read from a
/// `ColdChainSource` (the node's log) when someone asks for them, so that a replica of a
/// million events does not keep a million events, nor their whole hashes, in memory. The
/// branch's last event is always warm: writing, heads and the clock need it at every turn.
struct NodeHistory: Sendable {
    let node: NodeID
    /// The first 8 bytes of the cold events' hashes, seq 1...coldCount.
    var coldPrefixes = ColdHashPrefixes()
    /// The rest of the first branch, seq coldCount + 1 onward.
    var warm: [Event] = []
    /// Events held at dots off the chain: the other branches of a fork. Almost always empty.
    var branches: [EventID: Event] = [:]
    /// The highest seq held on any branch; every branch is a full chain from seq 1, so
    /// every seq up to it is held.
    var highestSeq: UInt64 = 0

    /// Length of the first branch.
    var chainCount: Int { coldPrefixes.count + warm.count }
    var coldCount: Int { coldPrefixes.count }

    /// The first 8 bytes of the hash of the first branch's event at `seq` (1 ≤ seq ≤ chainCount).
    func chainHashPrefix(at seq: Int) -> UInt64 {
        seq <= coldCount ? coldPrefixes[seq - 1] : warm[seq - coldCount - 1].hash.w0
    }

    /// The whole hash of the first branch's event at `seq` when that event is warm; nil for
    /// a cold one (only its prefix is here).
    func warmHash(at seq: Int) -> SHA256Digest? {
        seq > coldCount ? warm[seq - coldCount - 1].hash : nil
    }

    var lastChainHash: SHA256Digest? { warm.last?.hash }

    /// Whether the first branch holds `id`, as far as memory tells: a cold event whose
    /// prefix matches is only `likely` (the event read back tells).
    func chainHolding(_ id: EventID) -> ChainHolding {
        let seq = id.dot.seq
        guard seq >= 1, seq <= UInt64(chainCount) else { return .no }
        if let hash = warmHash(at: Int(seq)) { return hash == id.hash ? .yes : .no }
        return coldPrefixes[Int(seq) - 1] == id.hash.w0 ? .likely : .no
    }

    enum ChainHolding { case no, yes, likely }

    var eventCount: Int { chainCount + branches.count }

    /// Moves the first branch's events through seq `reach` out of memory, keeping their
    /// hashes; never the branch's last event.
    mutating func cool(through reach: Int) {
        let target = Swift.min(reach, chainCount - 1)
        guard target > coldCount else { return }
        let moving = target - coldCount
        coldPrefixes.append(contentsOf: warm.prefix(moving).lazy.map(\.hash.w0))
        // A new array: removing in place would keep the old capacity, and the point is
        // to give the memory back.
        warm = Array(warm.dropFirst(moving))
    }
}

/// Where a replica finds the events it keeps out of memory: the store reads them from its
/// log. History checks every event it is given against the hash it kept.
public protocol ColdChainSource: Sendable {
    /// The events of `node`'s first branch (section 3.3 of SPEC: the chain in the order this
    /// replica accepted it) at `seqs`, in seq order.
    func chainEvents(of node: NodeID, seqs: ClosedRange<UInt64>) throws -> [Event]

    /// The same events as slices of what the source decoded, in seq order: a walk over a
    /// whole chain (a fold, at 1M events) then reads them where they lie instead of copying
    /// each twice on the way.
    func chainEventSlices(of node: NodeID, seqs: ClosedRange<UInt64>) throws -> [ArraySlice<Event>]

    /// Where the first-branch event of `node` at `seq` lies, as a number that orders the
    /// pieces the source decodes (a checkpoint chunk, a log record); nil when unknown. A
    /// read of many events scattered over several nodes goes piece by piece in this order:
    /// node by node, each piece (which holds every node's events) was decoded once per node.
    func readingPlace(of node: NodeID, seq: UInt64) -> Int?
}

extension ColdChainSource {
    public func chainEventSlices(of node: NodeID, seqs: ClosedRange<UInt64>) throws -> [ArraySlice<Event>] {
        [ArraySlice(try chainEvents(of: node, seqs: seqs))]
    }

    public func readingPlace(of node: NodeID, seq: UInt64) -> Int? { nil }
}

/// A cold event could not be read back, or what was read is not what was held.
public struct ColdReadError: Error, Sendable, CustomStringConvertible {
    public var node: NodeID
    public var seqs: ClosedRange<UInt64>
    public var reason: String
    public var description: String {
        "cannot read back events \(seqs.lowerBound)...\(seqs.upperBound) of node \(node.short): \(reason)"
    }
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
///
/// Each node's first branch may keep its early events cold (`keepChainsCold(in:)`): only
/// the first 8 bytes of their hashes stay in memory, and reading them goes to the source.
/// Admitting a new event, heads, summaries and the digest never read a cold event. An id
/// at a cold dot whose prefix matches (a duplicate, a peer's head behind this one, a
/// fork's predecessor) is confirmed on the event read back, since a writer who forks can
/// make two events share 8 bytes; reading the events themselves (to send them, fold them
/// or show them) reads too. The `read…` methods report a source that fails; the others
/// stop the process with its error, for they are the paths of histories held in memory
/// (the simulation, tests, a store that has not cooled).
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
    /// Where the cold events are read; nil while every event is in memory.
    private var coldSource: (any ColdChainSource)?
    /// How many events are cold, every node together.
    public private(set) var coldCount = 0

    /// How many cold events one read asks the source for, when a walk crosses many.
    static let coldReadRun = 4_096

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
        let chainCount = slot.map { histories[$0].chainCount } ?? 0
        let extendsChain = dot.seq == UInt64(chainCount) + 1
            && (dot.seq == 1 || histories[slot!].lastChainHash == event.previous)
        // An event that extends the chain cannot be held already: an identical event would
        // have extended the chain when it arrived, and chains only grow.
        if !extendsChain {
            if let slot, holds(histories[slot], event.id) { return .duplicate }
            let predecessor = EventID(dot: Dot(node: dot.node, seq: dot.seq - 1), hash: event.previous)
            let predecessorHeld = dot.seq == 1 || (slot.map { holds(histories[$0], predecessor) } ?? false)
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
            histories.append(NodeHistory(node: dot.node))
            slots[dot.node] = index
        }
        if extendsChain {
            histories[index].warm.append(event)
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

    // MARK: Cold chains

    /// Keeps every node's first branch out of memory but its last event, reading it from
    /// `source` when asked. The caller vouches that `source` gives back every event of
    /// every first branch as held now (each one read is checked against its hash); events
    /// accepted later stay in memory until the next call. Branches and pending events
    /// always stay in memory (they are few).
    public mutating func keepChainsCold(in source: any ColdChainSource) {
        keepChainsCold(in: source) { _ in UInt64.max }
    }

    /// Keeps each node's first branch out of memory up to seq `reach(node)` (never its last
    /// event): for a source that holds only part of each chain (a checkpoint, when the
    /// log holds newer records). A chain already colder than that stays as it is; events
    /// that were cold before and lie past the reach of the new source stay cold too, so
    /// the new source must hold them as well.
    public mutating func keepChainsCold(in source: any ColdChainSource, upTo reach: (NodeID) -> UInt64) {
        coldSource = source
        var cold = 0
        for index in histories.indices {
            let limit = reach(histories[index].node)
            histories[index].cool(through: Int(clamping: limit))
            cold += histories[index].coldCount
        }
        coldCount = cold
    }

    /// The same for the chains of `nodes` only, the others left as they are: after an
    /// append only the chains it touched can reach further, and a store of 60,000 nodes
    /// that looked at every chain for each batch it took spent most of a sync there.
    public mutating func keepChainsCold(in source: any ColdChainSource, upTo reach: (NodeID) -> UInt64,
                                        only nodes: some Sequence<NodeID>) {
        coldSource = source
        for node in nodes {
            guard let index = slots[node] else { continue }
            coldCount -= histories[index].coldCount
            histories[index].cool(through: Int(clamping: reach(node)))
            coldCount += histories[index].coldCount
        }
    }

    /// Events `first...last` (0-based positions) of a first branch, cold ones from the source.
    private func chainSlice(_ node: NodeID, _ history: NodeHistory, from first: Int, to end: Int) throws(ColdReadError) -> [Event] {
        guard first < end else { return [] }
        let cold = history.coldCount
        var out: [Event] = []
        out.reserveCapacity(end - first)
        if first < cold {
            let coldEnd = Swift.min(end, cold)
            out += try readCold(node, history, seqs: UInt64(first + 1)...UInt64(coldEnd))
        }
        if end > cold {
            out += history.warm[Swift.max(first, cold) - cold..<end - cold]
        }
        return out
    }

    /// Reads cold events from the source and checks each against the hash kept for it.
    private func readCold(_ node: NodeID, _ history: NodeHistory, seqs: ClosedRange<UInt64>) throws(ColdReadError) -> [Event] {
        let events = try fromSource(node, seqs) { try $0.chainEvents(of: node, seqs: seqs) }
        try check(events, node, history, seqs: seqs, count: events.count)
        return events
    }

    /// The same as slices of what the source decoded, checked alike: for a walk.
    private func readColdSlices(_ node: NodeID, _ history: NodeHistory, seqs: ClosedRange<UInt64>) throws(ColdReadError) -> [ArraySlice<Event>] {
        let slices = try fromSource(node, seqs) { try $0.chainEventSlices(of: node, seqs: seqs) }
        try check(slices.joined(), node, history, seqs: seqs, count: slices.reduce(0) { $0 + $1.count })
        return slices
    }

    /// What `read` gives from the source, its failures said as a `ColdReadError`.
    private func fromSource<T>(_ node: NodeID, _ seqs: ClosedRange<UInt64>,
                               _ read: (any ColdChainSource) throws -> T) throws(ColdReadError) -> T {
        guard let coldSource else {
            throw ColdReadError(node: node, seqs: seqs, reason: "no source holds the events kept out of memory")
        }
        do {
            return try read(coldSource)
        } catch let error as ColdReadError {
            throw error
        } catch {
            throw ColdReadError(node: node, seqs: seqs, reason: "\(error)")
        }
    }

    /// Checks that the `count` events read for `seqs` are those seqs' events held cold: each
    /// at its dot with the hash prefix kept for it, each following the one before (its
    /// `previous` is that one's whole hash), the first following the prefix kept before it,
    /// and the last followed by the first warm event when the read reaches it. A chain
    /// that links, and matches every kept prefix, is the chain held.
    private func check(_ events: some Sequence<Event>, _ node: NodeID, _ history: NodeHistory,
                       seqs: ClosedRange<UInt64>, count: Int) throws(ColdReadError) {
        guard count == seqs.count else {
            throw ColdReadError(node: node, seqs: seqs, reason: "the source gave \(count) events for \(seqs.count)")
        }
        var before: SHA256Digest?
        for (event, seq) in zip(events, seqs) {
            guard event.dot == Dot(node: node, seq: seq), event.hash.w0 == history.coldPrefixes[Int(seq - 1)] else {
                throw ColdReadError(node: node, seqs: seqs, reason: "the event read at seq \(seq) is not the one held (\(event.id))")
            }
            let follows = if let before { event.previous == before }
                else { seq == 1 ? event.previous == .zero : event.previous.w0 == history.coldPrefixes[Int(seq - 2)] }
            guard follows else {
                throw ColdReadError(node: node, seqs: seqs, reason: "the event read at seq \(seq) does not follow the one before it")
            }
            before = event.hash
        }
        if seqs.upperBound == UInt64(history.coldCount), let next = history.warm.first, next.previous != before {
            throw ColdReadError(node: node, seqs: seqs, reason: "the first event kept in memory does not follow the last one read")
        }
    }

    /// Whether the first branch of `history` holds `id`: read back when only a cold event's
    /// hash prefix matches (a duplicate, or a fork at that seq).
    private func chainHolds(_ history: NodeHistory, _ id: EventID) throws(ColdReadError) -> Bool {
        switch history.chainHolding(id) {
        case .no: return false
        case .yes: return true
        case .likely: return try readCold(id.dot.node, history, seqs: id.dot.seq...id.dot.seq).first?.hash == id.hash
        }
    }

    /// Whether `history` holds `id` on any branch, for paths that cannot report a failed
    /// read (they stop the process with it).
    private func holds(_ history: NodeHistory, _ id: EventID) -> Bool {
        if history.branches[id] != nil { return true }
        do { return try chainHolds(history, id) } catch { Self.unreadable(error) }
    }

    /// The first branch's events at positions `first..<end`, for walks that cannot report a
    /// failed read (they stop the process with it).
    private func chainSliceOrStop(_ node: NodeID, _ history: NodeHistory, from first: Int, to end: Int) -> [Event] {
        do { return try chainSlice(node, history, from: first, to: end) } catch { Self.unreadable(error) }
    }

    /// Calls `body` with the first branch's events at positions `first..<end`, in place for
    /// the warm ones and a run of `coldReadRun` at a time for the cold ones, read where the
    /// source decoded them (`chainEventSlices`).
    private func walkChain(_ node: NodeID, _ history: NodeHistory, from first: Int, to end: Int,
                           _ body: (Event) throws -> Void) rethrows {
        var position = first
        while position < end {
            if position >= history.coldCount {
                for event in history.warm[position - history.coldCount..<end - history.coldCount] { try body(event) }
                return
            }
            let runEnd = Swift.min(end, history.coldCount, position + Self.coldReadRun)
            let slices: [ArraySlice<Event>]
            do {
                slices = try readColdSlices(node, history, seqs: UInt64(position + 1)...UInt64(runEnd))
            } catch {
                Self.unreadable(error)
            }
            for slice in slices {
                for event in slice { try body(event) }
            }
            position = runEnd
        }
    }

    /// What a path of histories held in memory does when a cold read fails: the events
    /// cannot be shown or sent, and going on would show or send something else.
    private static func unreadable(_ error: ColdReadError) -> Never {
        fatalError("\(error)")
    }

    // MARK: Reading

    public func contains(_ id: EventID) -> Bool {
        history(of: id.dot.node).map { holds($0, id) } ?? false
    }

    /// True when `id` is held, or when a cold event at its dot has the same hash prefix
    /// (only that event read back could tell them apart). For ids this replica wrote down
    /// itself while it held their events (its checkpoint's signed heads): confirming each by
    /// reading it back would decode much of a cold history at every open.
    public func mayContain(_ id: EventID) -> Bool {
        guard let history = history(of: id.dot.node) else { return false }
        return history.branches[id] != nil || history.chainHolding(id) != .no
    }

    /// The event with this id, when held (accepted; pending ones are not).
    public func readEvent(_ id: EventID) throws(ColdReadError) -> Event? {
        guard let history = history(of: id.dot.node) else { return nil }
        let seq = id.dot.seq
        switch history.chainHolding(id) {
        case .yes:
            return history.warm[Int(seq) - history.coldCount - 1]
        case .likely:
            // Read once: the event read back both confirms the id and is the answer.
            if let event = try readCold(id.dot.node, history, seqs: seq...seq).first, event.hash == id.hash { return event }
        case .no:
            break
        }
        return history.branches[id]
    }

    public func event(_ id: EventID) -> Event? {
        do { return try readEvent(id) } catch { Self.unreadable(error) }
    }

    /// The events with these ids that are held (accepted), read in the order they lie:
    /// node by node, seq by seq. Cold events read one by one in any order can decode a
    /// whole chunk each; read so, each chunk is decoded once. For a caller that needs many
    /// events scattered over the history (the sides of every conflict).
    public func readEvents(_ ids: some Sequence<EventID>) throws(ColdReadError) -> [EventID: Event] {
        var found: [EventID: Event] = [:]
        for id in inReadingOrder(Set(ids).sorted()) {
            if let event = try readEvent(id) { found[id] = event }
        }
        return found
    }

    /// `ids` (in id order) with the cold ones ordered by where the source keeps them, then
    /// by id; the others after, in id order.
    private func inReadingOrder(_ ids: [EventID]) -> [EventID] {
        guard let coldSource, coldCount > 0 else { return ids }
        let places = ids.map { id -> Int in
            guard let history = history(of: id.dot.node), id.dot.seq <= UInt64(history.coldCount) else { return .max }
            return coldSource.readingPlace(of: id.dot.node, seq: id.dot.seq) ?? .max
        }
        return ids.indices.sorted { (places[$0], $0) < (places[$1], $1) }.map { ids[$0] }
    }

    public func events(withIDs ids: some Sequence<EventID>) -> [EventID: Event] {
        do { return try readEvents(ids) } catch { Self.unreadable(error) }
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
    /// Always in memory.
    public func chainHead(of node: NodeID) -> Event? {
        history(of: node)?.warm.last
    }

    /// The hash of the node's first-branch event at `seq`: from memory for a warm event,
    /// read back for a cold one (stopping the process when that read fails).
    public func chainHash(of node: NodeID, at seq: UInt64) -> SHA256Digest? {
        guard let history = history(of: node), seq >= 1, seq <= UInt64(history.chainCount) else { return nil }
        return history.warmHash(at: Int(seq)) ?? chainSliceOrStop(node, history, from: Int(seq - 1), to: Int(seq)).first?.hash
    }

    /// The first 8 bytes of that hash, cold or not, without a read: what grants and the
    /// entry index compare.
    public func chainHashPrefix(of node: NodeID, at seq: UInt64) -> UInt64? {
        guard let history = history(of: node), seq >= 1, seq <= UInt64(history.chainCount) else { return nil }
        return history.chainHashPrefix(at: Int(seq))
    }

    /// True when `id` lies on the node's first branch (its chain from seq 1).
    public func chainContains(_ id: EventID) -> Bool {
        guard let history = history(of: id.dot.node) else { return false }
        do { return try chainHolds(history, id) } catch { Self.unreadable(error) }
    }

    /// Which of `ids` lie on their node's first branch (`chainContains` of each), the cold
    /// ones whose prefix matches read back together, piece by piece where the source keeps
    /// them: a session asks so for every head its peer holds.
    public func chainsContaining(_ ids: some Sequence<EventID>) -> Set<EventID> {
        var found = Set<EventID>()
        var toRead: [EventID] = []
        for id in ids {
            switch history(of: id.dot.node)?.chainHolding(id) ?? .no {
            case .yes: found.insert(id)
            case .likely: toRead.append(id)
            case .no: break
            }
        }
        for id in inReadingOrder(toRead.sorted()) where chainContains(id) { found.insert(id) }
        return found
    }

    /// Which of `ids` are held (`contains` of each), read back together as
    /// `chainsContaining(_:)` reads them.
    public func containing(_ ids: some Sequence<EventID>) -> Set<EventID> {
        let ids = Array(ids)
        var found = chainsContaining(ids)
        for id in ids where history(of: id.dot.node)?.branches[id] != nil { found.insert(id) }
        return found
    }

    /// True when the node's history is one chain (no fork) that contains `id`: everything
    /// held after `id` then simply extends it.
    public func linearHistoryContains(_ id: EventID) -> Bool {
        chainContains(id) && (history(of: id.dot.node)?.branches.isEmpty ?? false)
    }

    /// Length of the node's first branch.
    public func chainLength(of node: NodeID) -> UInt64 {
        UInt64(history(of: node)?.chainCount ?? 0)
    }

    /// Events of `node`, first branch in seq order, then other branches by (seq, hash).
    public func readEvents(of node: NodeID) throws(ColdReadError) -> [Event] {
        guard let history = history(of: node) else { return [] }
        let chain = try chainSlice(node, history, from: 0, to: history.chainCount)
        if history.branches.isEmpty { return chain }
        return chain + history.branches.values.sorted { $0.id < $1.id }
    }

    public func events(of node: NodeID) -> [Event] {
        do { return try readEvents(of: node) } catch { Self.unreadable(error) }
    }

    /// `count` events of `node`'s first branch ending at `endSeq`, or nil when that branch
    /// does not reach so far (the context of a primed batch).
    public func readChainEvents(of node: NodeID, endingAt endSeq: UInt64, count: Int) throws(ColdReadError) -> [Event]? {
        guard let history = history(of: node), count >= 1, endSeq >= UInt64(count),
              endSeq <= UInt64(history.chainCount) else { return nil }
        return try chainSlice(node, history, from: Int(endSeq) - count, to: Int(endSeq))
    }

    public func chainEvents(of node: NodeID, endingAt endSeq: UInt64, count: Int) -> [Event]? {
        do { return try readChainEvents(of: node, endingAt: endSeq, count: count) } catch { Self.unreadable(error) }
    }

    /// Up to `max` events of `node`'s first branch after seq `after`.
    public func readChainEvents(of node: NodeID, after: UInt64, max: Int) throws(ColdReadError) -> [Event] {
        guard let history = history(of: node), max > 0, after < UInt64(history.chainCount) else { return [] }
        return try chainSlice(node, history, from: Int(after), to: Swift.min(history.chainCount, Int(after) + max))
    }

    public func chainEvents(of node: NodeID, after: UInt64, max: Int) -> [Event] {
        do { return try readChainEvents(of: node, after: after, max: max) } catch { Self.unreadable(error) }
    }

    /// Calls `body` with up to `max` events of `node`'s first branch after seq `after`, in
    /// place: a fold catching up a million-event chain would otherwise copy it first. Cold
    /// events are read a run at a time.
    public func forEachChainEvent(of node: NodeID, after: UInt64, max: Int, _ body: (Event) throws -> Void) rethrows {
        guard let slot = slots[node], max > 0, after < UInt64(histories[slot].chainCount) else { return }
        let end = Swift.min(histories[slot].chainCount, Int(after) + max)
        try walkChain(node, histories[slot], from: Int(after), to: end, body)
    }

    /// The events held at one dot: one, or several when the node forked there.
    public func events(of node: NodeID, at seq: UInt64) -> [Event] {
        guard let history = history(of: node), seq >= 1 else { return [] }
        var out: [Event] = []
        if seq <= UInt64(history.chainCount) {
            out += chainSliceOrStop(node, history, from: Int(seq - 1), to: Int(seq))
        }
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
        if seq < UInt64(history.chainCount) {
            out += chainSliceOrStop(node, history, from: Int(seq), to: history.chainCount)
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
            try walkChain(history.node, history, from: 0, to: history.chainCount, body)
            for event in history.branches.values { try body(event) }
        }
    }

    /// The events of each node that no held event follows: one per node unless it forked.
    public func heads(of node: NodeID) -> [EventID] {
        guard let history = history(of: node) else { return [] }
        var heads: [EventID] = []
        if let last = history.warm.last { heads.append(last.id) }
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
                // The chain's event at `seq` follows the chain's hash at `seq - 1` (its
                // prefix tells without a read that it does not); a cold one is read back.
                if seq <= history.chainCount,
                   seq == 1 ? event.previous == .zero : history.chainHashPrefix(at: seq - 1) == event.previous.w0,
                   let chained = chainHash(of: node, at: UInt64(seq)),
                   seq == 1 || chainHash(of: node, at: UInt64(seq - 1)) == event.previous {
                    siblings[key]!.insert(EventID(dot: Dot(node: node, seq: event.dot.seq), hash: chained))
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
