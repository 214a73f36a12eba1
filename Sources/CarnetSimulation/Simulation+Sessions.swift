import CarnetCore
import CarnetSync
import CarnetTestKit
import CarnetWire

/// The nodes' sessions: each is the product's `PeerDriver`, called with the node's real
/// store. The simulation owns only what a shell owns: the connection, the clock, and the
/// time a call's fsync takes.
///
/// Where it differs from the TCP shell (`SessionRunner`), and why:
/// - A driver call that made the disk sync (a persisted batch, a link event) takes the
///   node's `fsyncTime`: what it wrote to its peer goes out when that is over, and the
///   node's other inputs wait meanwhile, as its sessions wait on the store's lock.
/// - Timers are checked every `tickInterval` (2 s of virtual time), not every 250 ms.
/// - A reset ends the session without telling the driver (the real shell's transport
///   error): nothing durable is lost either way.
extension Simulation {
    /// A network event: those that reach a node's driver or store wait their turn behind
    /// the node's fsync; the others are handled now.
    mutating func handleNetwork(_ event: NetworkEvent) {
        let node: Int?
        switch event {
        case let .connected(connection):
            node = network.nodes(of: connection)?[ConnectionEnd.dialer.rawValue]
        case let .accepted(connection):
            node = network.nodes(of: connection)?[ConnectionEnd.listener.rawValue]
        case let .data(connection, side, _), let .fin(connection, side), let .reset(connection, side):
            node = network.nodes(of: connection)?[side.rawValue]
        case .connectFailed, .releaseHeld:
            node = nil
        }
        if let node {
            submit(node, .network(event))
        } else {
            takeNetwork(event)
        }
    }

    /// Queues an input of a node, and handles what the node can take now.
    mutating func submit(_ node: Int, _ input: SimInput) {
        nodes[node].inputs.append(input)
        pump(node)
    }

    /// Handles the node's inputs in order until none is left or one made the disk sync.
    mutating func pump(_ node: Int) {
        while nodes[node].inFlight == nil, !nodes[node].inputs.isEmpty {
            let input = nodes[node].inputs.removeFirst()
            switch input {
            case let .network(event): takeNetwork(event)
            case let .tick(connection): call(node, connection) { $0.tick(store: $1, transport: &$2, now: $3) }
            case let .news(connection): call(node, connection) { $0.newsArrived(store: $1, transport: &$2, now: $3) }
            case let .write(operation): write(node, operation)
            }
            takeWakes(node)
        }
    }

    /// The sessions the store woke get their news, in turn.
    mutating func takeWakes(_ node: Int) {
        var seen = Set<ConnectionID>()
        for connection in nodes[node].wakes.take() where seen.insert(connection).inserted {
            if nodes[node].slotIndex(connection) != nil { nodes[node].inputs.append(.news(connection)) }
        }
    }

    private mutating func takeNetwork(_ event: NetworkEvent) {
        switch event {
        case let .connected(connection):
            guard let (node, loop) = dialLoop(waitingFor: connection) else {
                network.abandon(connection, at: .dialer, notifyPeer: true, now: now)
                return
            }
            guard network.isOpen(connection, .dialer, now: now) else {
                loopFinished(node, loop, success: false)
                return
            }
            startSession(node, connection, side: .dialer, peer: nodes[node].dialLoops[loop].target, dialLoop: loop)
        case let .accepted(connection):
            guard let ends = network.nodes(of: connection) else { return }
            let listener = ends[ConnectionEnd.listener.rawValue]
            guard nodes[listener].isUp, network.isOpen(connection, .listener, now: now) else {
                network.abandon(connection, at: .listener, notifyPeer: true, now: now)
                return
            }
            startSession(listener, connection, side: .listener, peer: ends[ConnectionEnd.dialer.rawValue], dialLoop: nil)
        case let .connectFailed(connection, _):
            if let (node, loop) = dialLoop(waitingFor: connection) { loopFinished(node, loop, success: false) }
        case let .data(connection, side, bytes):
            guard let ends = network.nodes(of: connection) else { return }
            let node = ends[side.rawValue]
            guard network.isOpen(connection, side, now: now), nodes[node].slotIndex(connection) != nil else {
                // A closed socket answers data with a reset (nothing if it was reset already).
                if !network.isReset(connection, now: now) { network.refuseData(connection, at: side, now: now) }
                return
            }
            call(node, connection) { $0.received(bytes, store: $1, transport: &$2, now: $3) }
        case let .fin(connection, side):
            guard let ends = network.nodes(of: connection) else { return }
            call(ends[side.rawValue], connection) { $0.peerClosed(store: $1, transport: &$2, now: $3) }
        case let .reset(connection, side):
            guard let ends = network.nodes(of: connection) else { return }
            let node = ends[side.rawValue]
            guard let slot = nodes[node].slotIndex(connection) else { return }
            nodes[node].sessions[slot].transportFailure = "connection reset"
            finish(node, slot)
        case let .releaseHeld(connection, side, token):
            network.releaseHeld(connection, from: side, token: token, now: now)
        }
    }

    /// Hubs serve live sessions (`carnet serve`); a dialer asks for live ones only in
    /// live mode (one-shot: `carnet sync`).
    func isLive(_ node: Int, _ side: ConnectionEnd) -> Bool {
        side == .listener ? nodes[node].role == .hub : plan.mode == .live
    }

    mutating func startSession(_ node: Int, _ connection: ConnectionID, side: ConnectionEnd, peer: Int, dialLoop: Int?) {
        guard let store = nodes[node].observed else { return }
        let nonce = nodes[node].rng.bytes(32)
        let wakes = nodes[node].wakes
        let driver = PeerDriver(role: side == .dialer ? .dialer : .listener, secret: Self.secret, nonce: nonce,
                                live: isLive(node, side), settings: plan.settings, store: store,
                                wake: { wakes.wake(connection) })
        nodes[node].sessions.append(SessionSlot(connection: connection, side: side, peer: peer, driver: driver,
                                                dialLoop: dialLoop, summaryAt: now))
        network.markStarted(connection, side)
        tracker.statistics.sessions += 1
        if healTime != nil && side == .dialer { tracker.statistics.sessionsAfterHeal += 1 }
        call(node, connection) { $0.start(store: $1, transport: &$2, now: $3) }
        scheduler.schedule(.tick(node: node, incarnation: nodes[node].incarnation, connection), after: Self.tickInterval)
    }

    /// Timers: the driver's `tick`, every `tickInterval` while the session lasts.
    mutating func tick(_ node: Int, _ connection: ConnectionID) {
        guard nodes[node].slotIndex(connection) != nil else { return }
        submit(node, .tick(connection))
        scheduler.schedule(.tick(node: node, incarnation: nodes[node].incarnation, connection), after: Self.tickInterval)
    }

    /// One call of a session's driver with the node's store. When the call made the disk
    /// sync, the node is busy for `fsyncTime` and what the call wrote goes out then;
    /// otherwise it goes out now. Then the slot ends if the session is over.
    mutating func call(_ node: Int, _ connection: ConnectionID,
                       _ body: (inout PeerDriver, SimPeerStore, inout SimTransport, Duration) -> Void) {
        guard let slot = nodes[node].slotIndex(connection), let store = nodes[node].observed else { return }
        let syncs = nodes[node].storage.counts.syncs
        let imageBefore = nodes[node].storage.currentImage
        let forks = nodes[node].sessions[slot].driver.forksSummarized
        let summaries = nodes[node].sessions[slot].driver.session.statistics.summariesReceived
        nodes[node].clock.set(nodes[node].wallMillis(now))
        var transport = SimTransport()
        body(&nodes[node].sessions[slot].driver, store, &transport, now.duration)
        let synced = nodes[node].storage.counts.syncs > syncs
        let completion = synced ? now + nodes[node].fsyncTime : now

        // What the session tells its peer changed when the driver took a new summary.
        if nodes[node].sessions[slot].driver.forksSummarized != forks {
            nodes[node].sessions[slot].summaryTimes.append(now)
            trace("\(nodes[node].label) \(connection) tells its peer of a fork")
        }
        let arrived = nodes[node].sessions[slot].driver.session.statistics.summariesReceived - summaries
        nodes[node].sessions[slot].peerSummaryArrivals += Array(repeating: now, count: max(0, arrived))
        let log = Array(nodes[node].sessions[slot].driver.session.sentLog.last(transport.frames.count))
        let unlogged = transport.frames.count - log.count
        let frames = transport.frames.enumerated().map { index, bytes in
            index < unlogged ? SimFrame(bytes: bytes) : SimFrame(bytes: bytes, type: log[index - unlogged].messageType,
                                                                    ack: log[index - unlogged].ack)
        }
        let answered = answeredBatches(frames, node, slot)
        let links = tookPersisted(store.takePersisted(), batches: answered, node, slot, durableAt: completion)
        if synced {
            nodes[node].inFlight = SimInFlight(imageBefore: imageBefore, connection: connection, frames: frames,
                                               acknowledging: links)
            scheduler.schedule(.diskDone(node: node, incarnation: nodes[node].incarnation), at: completion)
        } else {
            acknowledge(node, links)
            send(frames, node, connection)
        }
    }

    /// The peer's batches this call answered (from the ACK frames it wrote: the batch number,
    /// and whether it was stored): each reached its session, whatever became of it. Returns
    /// the stored ones in order, which are the store's persists of the call in order.
    private mutating func answeredBatches(_ frames: [SimFrame], _ node: Int, _ slot: Int) -> [UInt64] {
        var stored: [UInt64] = []
        for frame in frames {
            guard let ack = frame.ack else { continue }
            let sender = nodes[node].sessions[slot].side.other
            tracker.batchesArrived.insert(SentBatch(connection: nodes[node].sessions[slot].connection, sender: sender, batch: ack.batch))
            if let reason = ack.refusal {
                trace("\(nodes[node].label) refused batch \(ack.batch) of \(nodes[node].sessions[slot].connection): \(reason)")
            } else {
                stored.append(ack.batch)
            }
        }
        return stored
    }

    /// Writes frames of a session to its connection now, with their accounting; ends the
    /// slot once its session is over.
    mutating func send(_ frames: [SimFrame], _ node: Int, _ connection: ConnectionID) {
        guard let slot = nodes[node].slotIndex(connection) else { return }
        for frame in frames {
            network.send(frame.bytes, on: connection, from: nodes[node].sessions[slot].side, now: now)
            account(frame, node, slot)
        }
        if nodes[node].sessions[slot].driver.isFinished { finish(node, slot) }
    }

    /// One frame's bytes, counted by what it is.
    private mutating func account(_ frame: SimFrame, _ node: Int, _ slot: Int) {
        let connection = nodes[node].sessions[slot].connection
        let bytes = frame.bytes, type = frame.type
        if type == .events { nodes[node].sessions[slot].batchSentAt.append(now) }
        let resummary = type == .summary && !nodes[node].sessions[slot].summaryStates.isEmpty
        if type == .summary {
            // What this SUMMARY states: the node as of the latest change the session took.
            nodes[node].sessions[slot].summaryStates.append(nodes[node].sessions[slot].summaryTimes.last!)
        }
        nodes[node].sessions[slot].bytesSent += bytes.count
        tracker.statistics.bytesSent += bytes.count
        guard healTime != nil else { return }
        tracker.statistics.bytesSentAfterHeal += bytes.count
        if resummary { tracker.statistics.resummaryBytesAfterHeal += bytes.count }
        if type == .events {
            let batch = UInt64(nodes[node].sessions[slot].batchSentAt.count)
            tracker.batchesSentAfterHeal[SentBatch(connection: connection, sender: nodes[node].sessions[slot].side, batch: batch)] = bytes.count
        }
        nodes[node].sessions[slot].bytesSentAfterHeal += bytes.count
        if type == .ping || type == .pong {
            tracker.statistics.keepaliveBytesAfterHeal += bytes.count
            nodes[node].sessions[slot].keepaliveFramesAfterHeal += 1
        }
    }

    /// The session is over: the socket is closed (FIN after what was written, unless the
    /// connection was reset), the store forgets its feed, and its dial loop schedules the
    /// next attempt.
    mutating func finish(_ node: Int, _ slot: Int) {
        let ended = nodes[node].sessions.remove(at: slot)
        if let store = nodes[node].observed { ended.driver.finish(store: store) }
        let statistics = ended.driver.session.statistics
        addFigures(of: ended)
        noteAnswered(ended)
        if let end = ended.outcome { tracker.statistics.record(end) }
        if ended.transportFailure == nil {
            network.close(ended.connection, from: ended.side, now: now)
        } else {
            network.abandon(ended.connection, at: ended.side, notifyPeer: false, now: now)
            tracker.statistics.endings["transport: \(ended.transportFailure!)", default: 0] += 1
        }
        if ended.outcome?.isSuccess == true { tracker.statistics.sessionsCompleted += 1 }
        trace("\(nodes[node].label) \(ended.side) \(ended.connection) with \(nodes[ended.peer].label) ended: "
            + "\(ended.transportFailure ?? ended.outcome?.description ?? "?") sent \(statistics.bytesSent) B "
            + "(\(ended.bytesSentAfterHeal) after the heal), "
            + "\(statistics.eventsSent) events (\(statistics.eventsSentNew) new) in \(statistics.batchesSent) batches, "
            + "received \(statistics.eventsReceived) (\(statistics.eventsReceivedNew) new)")
        if let loop = ended.dialLoop { loopFinished(node, loop, success: ended.succeeded) }
    }

    /// How many of the session's batches its peer answered, as the session saw when it
    /// ended: the hub receipt bound excuses a copy whose batch was never answered.
    mutating func noteAnswered(_ slot: SessionSlot) {
        let report = slot.driver.report
        tracker.hubReceipts.senderEnded(slot.connection, slot.side,
                                        answered: UInt64(report.acknowledgedBatches + report.refusedBatches.count))
    }

    /// Adds a session's figures to the run's, when it ends or when the run does: what it
    /// sent, and its keepalive frames after the heal with what it was allowed.
    mutating func addFigures(of slot: SessionSlot) {
        let statistics = slot.driver.session.statistics
        tracker.statistics.eventsSent += statistics.eventsSent
        tracker.statistics.eventsSentNew += statistics.eventsSentNew
        tracker.statistics.batchesSent += statistics.batchesSent
        tracker.statistics.framesSent += statistics.framesSent
        guard let healTime else { return }
        tracker.statistics.keepaliveFramesAfterHeal += slot.keepaliveFramesAfterHeal
        tracker.statistics.keepaliveFramesAllowed += slot.keepaliveFramesAllowed(heal: healTime, end: now)
    }
}
