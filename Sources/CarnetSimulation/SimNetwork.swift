import CarnetCore
import CarnetTestKit

/// The simulated network: nodes joined by directed links, and TCP-like connections over
/// them, each a pair of directed byte streams.
///
/// Per directed link: a seeded exponential one-way delay; per node, an access line whose
/// rate serializes what it sends and receives. TCP semantics are kept where a real
/// network keeps them (in-order delivery; a lost segment is retransmitted and only costs
/// time, or sometimes resets the connection; a cut link stalls a connection rather than
/// losing its bytes) and broken on purpose where the fault model asks (frames duplicated
/// or reordered, which only a hostile path could do: the session's per-frame MAC counter
/// must catch it).
///
/// The network decides nothing about nodes: it queues `NetworkEvent`s with the time they
/// happen in `outbox`, and the simulation schedules and dispatches them.
public struct SimNetwork: Sendable {
    public let nodeCount: Int
    /// Conditions of each directed link, `[from * nodeCount + to]`.
    public private(set) var links: [LinkConditions]
    public let lines: [AccessLine]
    /// How many active partitions cut each directed link.
    private var cuts: [Int]
    private var uplinkBusyUntil: [SimTime]
    private var downlinkBusyUntil: [SimTime]
    /// Live connections, in creation order (ids only grow).
    private var connections: [SimConnection] = []
    private var nextID = 1
    private var rng: SplitMix64
    /// Events produced by the last calls, with their times: for the simulation to schedule.
    public var outbox: [(SimTime, NetworkEvent)] = []
    /// Segments are cut to this size, so a reset can cut a frame in the middle.
    public var segmentSize = 16 << 10
    public var connectTimeout = SimTime.seconds(10)
    /// Counters of what the faults did.
    public private(set) var counters = Counters()

    public struct Counters: Sendable, Equatable {
        public var segments = 0
        public var lostSegments = 0
        public var resets = 0
        public var duplicatedFrames = 0
        public var reorderedFrames = 0
        public var stalledItems = 0
        public var connectFailures = 0
        public var connections = 0
    }

    public init(links: [LinkConditions], lines: [AccessLine], seed: UInt64) {
        let count = lines.count
        precondition(links.count == count * count, "one LinkConditions per directed link")
        nodeCount = count
        self.links = links
        self.lines = lines
        cuts = [Int](repeating: 0, count: count * count)
        uplinkBusyUntil = [SimTime](repeating: .zero, count: count)
        downlinkBusyUntil = [SimTime](repeating: .zero, count: count)
        rng = SplitMix64(seed: seed)
    }

    // MARK: - Links

    public func conditions(_ link: DirectedLink) -> LinkConditions { links[link.from * nodeCount + link.to] }

    public mutating func setConditions(_ conditions: LinkConditions, for link: DirectedLink) {
        links[link.from * nodeCount + link.to] = conditions
    }

    public func isCut(from: Int, to: Int) -> Bool { cuts[from * nodeCount + to] > 0 }

    /// A partition starts (`+1`) or ends (`-1`) on these links. A link that opens sends
    /// what stalled on it, as TCP's retransmissions would.
    public mutating func cut(_ links: [DirectedLink], by delta: Int, now: SimTime) {
        var opened: [DirectedLink] = []
        for link in links {
            let index = link.from * nodeCount + link.to
            cuts[index] += delta
            precondition(cuts[index] >= 0, "a link healed more often than it was cut")
            if delta < 0 && cuts[index] == 0 { opened.append(link) }
        }
        for link in opened { flushStalled(on: link, now: now) }
    }

    /// Every partition ends.
    public mutating func healAllCuts(now: SimTime) {
        var opened: [DirectedLink] = []
        for from in 0..<nodeCount {
            for to in 0..<nodeCount where cuts[from * nodeCount + to] > 0 {
                cuts[from * nodeCount + to] = 0
                opened.append(DirectedLink(from: from, to: to))
            }
        }
        for link in opened { flushStalled(on: link, now: now) }
    }

    /// A one-way delay on `link` (no loss).
    private mutating func delay(_ from: Int, _ to: Int) -> SimTime {
        rng.exponential(mean: links[from * nodeCount + to].meanDelay)
    }

    // MARK: - Connections

    /// Starts a connection from `dialer` to `listener`. Queues `connected` and `accepted`
    /// (SYN, SYN-ACK, ACK), or `connectFailed`: refused at once when the listener's node is
    /// down but reachable, after `connectTimeout` when a partition cuts either direction.
    public mutating func connect(from dialer: Int, to listener: Int, listenerUp: Bool, now: SimTime) -> ConnectionID {
        let id = ConnectionID(nextID)
        nextID += 1
        if isCut(from: dialer, to: listener) || isCut(from: listener, to: dialer) {
            counters.connectFailures += 1
            outbox.append((now + connectTimeout, .connectFailed(id, reason: "connect timed out (partition)")))
            return id
        }
        let syn = now + delay(dialer, listener) + synRetransmissions(dialer, listener)
        let synAck = syn + delay(listener, dialer) + synRetransmissions(listener, dialer)
        guard listenerUp else {
            counters.connectFailures += 1
            outbox.append((synAck, .connectFailed(id, reason: "connection refused (node down)")))
            return id
        }
        let ack = synAck + delay(dialer, listener)
        var connection = SimConnection(id: id, nodes: [dialer, listener])
        connection.streams[ConnectionEnd.dialer.rawValue].lastArrival = ack
        connection.streams[ConnectionEnd.listener.rawValue].lastArrival = synAck
        connections.append(connection)
        counters.connections += 1
        outbox.append((synAck, .connected(id)))
        outbox.append((ack, .accepted(id)))
        return id
    }

    /// Extra time a lost SYN costs (1 s, then 3 s…).
    private mutating func synRetransmissions(_ from: Int, _ to: Int) -> SimTime {
        var extra = SimTime.zero
        var timeout = SimTime.seconds(1)
        while extra < .seconds(30), rng.chance(links[from * nodeCount + to].loss) {
            extra += timeout
            timeout = timeout * 2
        }
        return extra
    }

    private func index(of id: ConnectionID) -> Int? {
        // Few live connections, ids in order: a binary search would gain nothing here.
        connections.firstIndex { $0.id == id }
    }

    /// The nodes of a live connection: [dialer, listener].
    public func nodes(of id: ConnectionID) -> [Int]? {
        index(of: id).map { connections[$0].nodes }
    }

    /// True while `end` of the connection is open and nothing reset it before `now`.
    public func isOpen(_ id: ConnectionID, _ end: ConnectionEnd, now: SimTime) -> Bool {
        guard let index = index(of: id) else { return false }
        let connection = connections[index]
        if let resetAt = connection.resetAt, resetAt <= now { return false }
        return !connection.closed[end.rawValue]
    }

    /// True once a reset reached the connection (or it is gone).
    public func isReset(_ id: ConnectionID, now: SimTime) -> Bool {
        guard let index = index(of: id) else { return true }
        if let resetAt = connections[index].resetAt, resetAt <= now { return true }
        return false
    }

    /// The end's session started.
    public mutating func markStarted(_ id: ConnectionID, _ end: ConnectionEnd) {
        if let index = index(of: id) { connections[index].started[end.rawValue] = true }
    }

    /// Connections with an end at `node`, in creation order, with that end.
    public func connections(of node: Int) -> [(ConnectionID, ConnectionEnd)] {
        var out: [(ConnectionID, ConnectionEnd)] = []
        for connection in connections {
            if connection.nodes[0] == node { out.append((connection.id, .dialer)) }
            if connection.nodes[1] == node { out.append((connection.id, .listener)) }
        }
        return out
    }

    /// Writes one frame from `end`. The reorder fault holds it back to go out after the
    /// next frame; the duplicate fault sends it twice.
    public mutating func send(_ frame: [UInt8], on id: ConnectionID, from end: ConnectionEnd, now: SimTime) {
        guard let index = index(of: id), !connections[index].closed[end.rawValue] else { return }
        let conditions = links[connections[index].node(end) * nodeCount + connections[index].node(end.other)]
        let stream = end.rawValue
        if let held = connections[index].streams[stream].held {
            connections[index].streams[stream].held = nil
            transmit(frame, index: index, from: end, at: now)
            transmit(held, index: index, from: end, at: now)
        } else if rng.chance(conditions.reorder) {
            counters.reorderedFrames += 1
            connections[index].streams[stream].held = frame
            connections[index].streams[stream].heldToken += 1
            outbox.append((now + .seconds(1), .releaseHeld(id, from: end, token: connections[index].streams[stream].heldToken)))
            return
        } else {
            transmit(frame, index: index, from: end, at: now)
        }
        if rng.chance(conditions.duplicate) {
            counters.duplicatedFrames += 1
            transmit(frame, index: index, from: end, at: now)
        }
    }

    /// A held frame goes out alone (no later frame came within a second).
    public mutating func releaseHeld(_ id: ConnectionID, from end: ConnectionEnd, token: Int, now: SimTime) {
        guard let index = index(of: id), connections[index].streams[end.rawValue].heldToken == token,
              let held = connections[index].streams[end.rawValue].held else { return }
        connections[index].streams[end.rawValue].held = nil
        transmit(held, index: index, from: end, at: now)
    }

    /// Puts bytes on the wire (or in the stall queue of a cut link), segment by segment.
    private mutating func transmit(_ bytes: [UInt8], index: Int, from end: ConnectionEnd, at time: SimTime) {
        let from = connections[index].node(end), to = connections[index].node(end.other)
        if isCut(from: from, to: to) {
            counters.stalledItems += 1
            connections[index].streams[end.rawValue].stalled.append(.data(bytes))
            return
        }
        let conditions = links[from * nodeCount + to]
        var offset = 0
        while offset < bytes.count {
            let chunk = Array(bytes[offset..<min(bytes.count, offset + segmentSize)])
            offset += chunk.count
            counters.segments += 1
            let upStart = max(time, uplinkBusyUntil[from])
            let upDone = upStart + AccessLine.serialization(chunk.count, lines[from].uplinkBitsPerSecond)
            uplinkBusyUntil[from] = upDone
            var arrival = upDone + rng.exponential(mean: conditions.meanDelay)
            var timeout = max(SimTime.seconds(1), conditions.meanDelay * 3)
            while rng.chance(conditions.loss) {
                counters.lostSegments += 1
                if rng.chance(conditions.resetPerLoss) {
                    reset(index: index, at: arrival)
                    return
                }
                arrival += timeout
                timeout = min(timeout * 2, .seconds(60))
            }
            let downStart = max(arrival, downlinkBusyUntil[to])
            arrival = downStart + AccessLine.serialization(chunk.count, lines[to].downlinkBitsPerSecond)
            downlinkBusyUntil[to] = arrival
            arrival = max(arrival, connections[index].streams[end.rawValue].lastArrival)
            connections[index].streams[end.rawValue].lastArrival = arrival
            outbox.append((arrival, .data(connections[index].id, to: end.other, chunk)))
        }
    }

    /// The application at `end` closes the socket after writing what it wrote: a FIN
    /// follows the data (and a held frame goes out first).
    public mutating func close(_ id: ConnectionID, from end: ConnectionEnd, now: SimTime) {
        guard let index = index(of: id), !connections[index].closed[end.rawValue] else { return }
        if let held = connections[index].streams[end.rawValue].held {
            connections[index].streams[end.rawValue].held = nil
            transmit(held, index: index, from: end, at: now)
        }
        connections[index].closed[end.rawValue] = true
        sendFIN(index: index, from: end, at: now)
        removeIfDone(index)
    }

    private mutating func sendFIN(index: Int, from end: ConnectionEnd, at time: SimTime) {
        let from = connections[index].node(end), to = connections[index].node(end.other)
        if isCut(from: from, to: to) {
            connections[index].streams[end.rawValue].stalled.append(.fin)
            return
        }
        let arrival = max(time + delay(from, to), connections[index].streams[end.rawValue].lastArrival)
        connections[index].streams[end.rawValue].lastArrival = arrival
        outbox.append((arrival, .fin(connections[index].id, to: end.other)))
    }

    /// Data reached an end whose socket is closed: the kernel answers with a reset, which
    /// reaches the sender after a one-way delay (if the way back is not cut).
    public mutating func refuseData(_ id: ConnectionID, at end: ConnectionEnd, now: SimTime) {
        guard let index = index(of: id) else { return }
        let from = connections[index].node(end), to = connections[index].node(end.other)
        guard !isCut(from: from, to: to) else { return }
        reset(index: index, at: now + delay(from, to))
    }

    /// The connection is reset at `time`: both ends learn it then; nothing sent arrives
    /// after it.
    private mutating func reset(index: Int, at time: SimTime) {
        guard connections[index].resetAt == nil else { return }
        counters.resets += 1
        connections[index].resetAt = time
        let id = connections[index].id
        for end in [ConnectionEnd.dialer, .listener] where !connections[index].closed[end.rawValue] {
            outbox.append((time, .reset(id, to: end)))
        }
    }

    /// The session at `end` is gone (its node crashed, or it saw a reset): its socket is
    /// closed without a FIN. A crashed process's kernel still resets the connection, so
    /// the peer learns it after a delay if the way is open, else only by its own timeout.
    public mutating func abandon(_ id: ConnectionID, at end: ConnectionEnd, notifyPeer: Bool, now: SimTime) {
        guard let index = index(of: id) else { return }
        connections[index].closed[end.rawValue] = true
        if notifyPeer, !connections[index].closed[end.other.rawValue], connections[index].resetAt == nil {
            let from = connections[index].node(end), to = connections[index].node(end.other)
            if !isCut(from: from, to: to) {
                let time = now + delay(from, to)
                counters.resets += 1
                connections[index].resetAt = time
                outbox.append((time, .reset(id, to: end.other)))
            }
        }
        removeIfDone(index)
    }

    /// A connection both of whose ends are closed is forgotten: what is still in flight
    /// on it would only meet closed sockets.
    private mutating func removeIfDone(_ index: Int) {
        if connections[index].closed[0] && connections[index].closed[1] {
            connections.remove(at: index)
        }
    }

    /// Sends what stalled on a link that just opened, as retransmissions a moment later.
    private mutating func flushStalled(on link: DirectedLink, now: SimTime) {
        var index = 0
        while index < connections.count {
            for end in [ConnectionEnd.dialer, .listener]
            where connections[index].node(end) == link.from && connections[index].node(end.other) == link.to {
                let stalled = connections[index].streams[end.rawValue].stalled
                guard !stalled.isEmpty, connections[index].resetAt == nil else { continue }
                connections[index].streams[end.rawValue].stalled = []
                let time = now + rng.uniform(.milliseconds(200)...(.seconds(3)))
                for item in stalled {
                    switch item {
                    case let .data(bytes): transmit(bytes, index: index, from: end, at: time)
                    case .fin: sendFIN(index: index, from: end, at: time)
                    }
                }
            }
            index += 1
        }
    }

    /// Live connections (for checks and tests).
    public var liveConnectionCount: Int { connections.count }
}
