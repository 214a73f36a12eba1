import CarnetCore
import CarnetSync
import CarnetTestKit
import CarnetWire

/// The simulated driver: carries out each session's directives the way
/// `CarnetNode.SessionRunner` does over TCP and `SharedStore` does on the store.
///
/// Where it differs from the real driver, and why:
/// - `persist` is asynchronous here: the record waits for a simulated fsync. The session
///   is paused meanwhile (its remaining directives and any bytes that arrive wait), which
///   is what the real driver's blocking `store.receive` amounts to. Other sessions of the
///   node keep running and may compute plans from the replica without the batch, which
///   in the real node would mean they took the store's lock just before.
/// - Timers are checked every `tickInterval` (2 s of virtual time), not every 250 ms.
/// - Live news are offered as soon as the session is free and established, not at the
///   next wake-up of its thread; the events are the same (`SharedStore.news`: everything
///   learned since the session started, except what its own peer sent).
/// - A reset ends the session without telling it (the real driver's transport error):
///   nothing durable is lost either way.
extension Simulation {
    mutating func handleNetwork(_ event: NetworkEvent) {
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
            guard network.isOpen(connection, side, now: now), let slot = nodes[node].slotIndex(connection) else {
                // A closed socket answers data with a reset (nothing if it was reset already).
                if !network.isReset(connection, now: now) { network.refuseData(connection, at: side, now: now) }
                return
            }
            if nodes[node].sessions[slot].isBusy {
                nodes[node].sessions[slot].inbox.append(.bytes(bytes))
            } else {
                receive(bytes, node, slot)
                drain(node, connection)
            }
        case let .fin(connection, side):
            guard let ends = network.nodes(of: connection) else { return }
            let node = ends[side.rawValue]
            guard let slot = nodes[node].slotIndex(connection) else { return }
            if nodes[node].sessions[slot].isBusy {
                nodes[node].sessions[slot].inbox.append(.endOfStream)
            } else {
                nodes[node].sessions[slot].queue += nodes[node].sessions[slot].session.peerClosed(now: now.duration)
                drain(node, connection)
            }
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
        let local = nodes[node].summaryMessage(live: isLive(node, side))
        let nonce = nodes[node].rng.bytes(32)
        let session = Session(role: side == .dialer ? .dialer : .listener, secret: Self.secret, nonce: nonce, local: local,
                              settings: plan.settings, context: nodes[node].store.contextProvider)
        nodes[node].sessions.append(SessionSlot(connection: connection, side: side, peer: peer, session: session,
                                                dialLoop: dialLoop, summaryAt: now,
                                                forksSummarized: nodes[node].store.with { $0.forks.count }))
        network.markStarted(connection, side)
        tracker.statistics.sessions += 1
        if healTime != nil && side == .dialer { tracker.statistics.sessionsAfterHeal += 1 }
        let slot = nodes[node].sessions.count - 1
        nodes[node].sessions[slot].queue += nodes[node].sessions[slot].session.start(now: now.duration)
        scheduler.schedule(.tick(node: node, incarnation: nodes[node].incarnation, connection), after: Self.tickInterval)
        drain(node, connection)
    }

    /// Carries out a session's directives until none is left or one waits for the disk;
    /// then reads what arrived meanwhile, then offers news; ends the slot once the session
    /// closed (as the real driver's loop does).
    mutating func drain(_ node: Int, _ connection: ConnectionID) {
        while let slot = nodes[node].slotIndex(connection) {
            if nodes[node].sessions[slot].awaitingPersist != nil { return }
            if !nodes[node].sessions[slot].queue.isEmpty {
                let directive = nodes[node].sessions[slot].queue.removeFirst()
                carryOut(directive, node, slot)
                continue
            }
            if nodes[node].sessions[slot].session.isClosed {
                finish(node, slot)
                return
            }
            if !nodes[node].sessions[slot].inbox.isEmpty {
                let inbound = nodes[node].sessions[slot].inbox.removeFirst()
                switch inbound {
                case let .bytes(bytes):
                    receive(bytes, node, slot)
                case .endOfStream:
                    nodes[node].sessions[slot].queue += nodes[node].sessions[slot].session.peerClosed(now: now.duration)
                }
                continue
            }
            // As the real driver's loop: a fork another session brought since this one
            // last summarized is told to the peer.
            let forks = nodes[node].store.with { $0.forks.count }
            if forks > nodes[node].sessions[slot].forksSummarized && nodes[node].sessions[slot].session.isAuthenticated {
                let summary = nodes[node].summaryMessage(live: isLive(node, nodes[node].sessions[slot].side))
                let (accepted, directives) = nodes[node].sessions[slot].session.historyChanged(summary, now: now.duration)
                if accepted {
                    nodes[node].sessions[slot].forksSummarized = forks
                    nodes[node].sessions[slot].summaryTimes.append(now)
                    trace("\(nodes[node].label) \(connection) tells its peer of a fork learned elsewhere")
                }
                if !directives.isEmpty {
                    nodes[node].sessions[slot].queue += directives
                    continue
                }
            }
            if !nodes[node].sessions[slot].news.isEmpty {
                if nodes[node].sessions[slot].session.isLiveWithPeer {
                    let news = nodes[node].sessions[slot].news
                    nodes[node].sessions[slot].news = []
                    nodes[node].sessions[slot].queue += nodes[node].sessions[slot].session.offer(news, now: now.duration)
                    continue
                }
                if nodes[node].sessions[slot].session.peer != nil {
                    // Established and not live: a one-shot peer gets what it lacks from its
                    // plan, never news.
                    nodes[node].sessions[slot].news = []
                }
            }
            return
        }
    }

    /// Hands bytes to a session, noting when each of the peer's SUMMARY messages arrived
    /// (what the peer's batches after it can have been planned from).
    private mutating func receive(_ bytes: [UInt8], _ node: Int, _ slot: Int) {
        let before = nodes[node].sessions[slot].session.statistics.summariesReceived
        nodes[node].sessions[slot].queue += nodes[node].sessions[slot].session.receive(bytes, now: now.duration)
        let after = nodes[node].sessions[slot].session.statistics.summariesReceived
        nodes[node].sessions[slot].peerSummaryArrivals += Array(repeating: now, count: max(0, after - before))
    }

    /// One directive, as `SessionRunner.carryOut` does it.
    private mutating func carryOut(_ directive: SessionDirective, _ node: Int, _ slot: Int) {
        let connection = nodes[node].sessions[slot].connection
        switch directive {
        case let .send(bytes):
            network.send(bytes, on: connection, from: nodes[node].sessions[slot].side, now: now)
            let type = bytes.count > 4 ? FrameType(rawValue: bytes[4]) : nil
            if type == .events { nodes[node].sessions[slot].batchSentAt.append(now) }
            let resummary = type == .summary && !nodes[node].sessions[slot].summaryStates.isEmpty
            if type == .summary {
                // What this SUMMARY states: the node as of the latest change the session took.
                nodes[node].sessions[slot].summaryStates.append(nodes[node].sessions[slot].summaryTimes.last!)
            }
            nodes[node].sessions[slot].bytesSent += bytes.count
            tracker.statistics.bytesSent += bytes.count
            if healTime != nil {
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
        case let .persist(batch, events):
            noteArrival(of: batch, node, slot)
            nodes[node].sessions[slot].awaitingPersist = batch
            enqueue(node, .batch(connection, side: nodes[node].sessions[slot].side, batch: batch, events: events))
        case let .offerEventsMissing(summary):
            // `SharedStore.missingPlan`: expand the peer's compact summary, then plan.
            let missing = nodes[node].store.with { $0.missingPlan(from: $0.expand(summary)) }
            trace("\(nodes[node].label) \(connection) plans \(missing.eventCount) events for \(nodes[nodes[node].sessions[slot].peer].label): "
                + missing.ranges.map { "\($0.node.short):\($0.after + 1)-\($0.through)" }.joined(separator: " ")
                + (missing.branchEvents.isEmpty ? "" : " + \(missing.branchEvents.count) branch events"))
            nodes[node].sessions[slot].queue += nodes[node].sessions[slot].session.offer(plan: missing, now: now.duration)
        case let .refuse(batch, reason):
            noteArrival(of: batch, node, slot)
            trace("\(nodes[node].label) refuses batch \(batch) of \(connection): \(reason)")
            nodes[node].sessions[slot].queue += nodes[node].sessions[slot].session.refuse(batch: batch, reason: reason, now: now.duration)
        case .peerIdentified, .acknowledged, .refused:
            break
        case .inputOutOfState: break
        case .caughtUp:
            nodes[node].sessions[slot].caughtUp = true
        case let .close(end):
            nodes[node].sessions[slot].outcome = end
            tracker.statistics.record(end)
        }
    }

    /// The peer's batch reached this session (whatever becomes of it): it was not lost in
    /// flight.
    private mutating func noteArrival(of batch: UInt64, _ node: Int, _ slot: Int) {
        let sender = nodes[node].sessions[slot].side.other
        tracker.batchesArrived.insert(SentBatch(connection: nodes[node].sessions[slot].connection, sender: sender, batch: batch))
    }

    /// The session is over: the socket is closed (FIN after what was written, unless the
    /// connection was reset), and its dial loop schedules the next attempt.
    mutating func finish(_ node: Int, _ slot: Int) {
        let ended = nodes[node].sessions.remove(at: slot)
        let statistics = ended.session.statistics
        addFigures(of: ended)
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

    /// Adds a session's figures to the run's, when it ends or when the run does: what it
    /// sent, and its keepalive frames after the heal with what it was allowed.
    mutating func addFigures(of slot: SessionSlot) {
        let statistics = slot.session.statistics
        tracker.statistics.eventsSent += statistics.eventsSent
        tracker.statistics.eventsSentNew += statistics.eventsSentNew
        tracker.statistics.batchesSent += statistics.batchesSent
        tracker.statistics.framesSent += statistics.framesSent
        guard let healTime else { return }
        tracker.statistics.keepaliveFramesAfterHeal += slot.keepaliveFramesAfterHeal
        tracker.statistics.keepaliveFramesAllowed += slot.keepaliveFramesAllowed(heal: healTime, end: now)
    }

    mutating func tick(_ node: Int, _ connection: ConnectionID) {
        guard let slot = nodes[node].slotIndex(connection) else { return }
        if !nodes[node].sessions[slot].isBusy {
            nodes[node].sessions[slot].queue += nodes[node].sessions[slot].session.tick(now: now.duration)
            drain(node, connection)
        }
        if nodes[node].slotIndex(connection) != nil {
            scheduler.schedule(.tick(node: node, incarnation: nodes[node].incarnation, connection), after: Self.tickInterval)
        }
    }

    /// Events became durable at `node`: news for its live sessions (except the one whose
    /// peer sent them), as `SharedStore`'s feed wakes them.
    mutating func learned(_ node: Int, _ events: [Event], from source: ConnectionID?) {
        guard !events.isEmpty else { return }
        var woken: [ConnectionID] = []
        for slot in nodes[node].sessions.indices where nodes[node].sessions[slot].connection != source {
            nodes[node].sessions[slot].news += events
            woken.append(nodes[node].sessions[slot].connection)
        }
        for connection in woken { drain(node, connection) }
    }

    // MARK: - Dialing

    func dialLoop(waitingFor connection: ConnectionID) -> (Int, Int)? {
        for node in nodes.indices {
            if let loop = nodes[node].dialLoops.firstIndex(where: { $0.connection == connection }) { return (node, loop) }
        }
        return nil
    }

    mutating func scheduleDial(_ node: Int, _ loop: Int, after delay: SimTime) {
        nodes[node].dialLoops[loop].token += 1
        nodes[node].dialLoops[loop].nextAt = now + delay
        scheduler.schedule(.dial(node: node, loop: loop, token: nodes[node].dialLoops[loop].token), after: delay)
    }

    mutating func dial(_ node: Int, _ loop: Int, token: Int) {
        guard nodes[node].isUp, nodes[node].dialLoops[loop].token == token, nodes[node].dialLoops[loop].connection == nil else { return }
        nodes[node].dialLoops[loop].nextAt = nil
        let target = nodes[node].dialLoops[loop].target
        nodes[node].dialLoops[loop].connection = network.connect(from: node, to: target, listenerUp: nodes[target].isUp, now: now)
    }

    /// As `Server.dialLoop`: the interval after a session that went well, else backoff.
    mutating func loopFinished(_ node: Int, _ loop: Int, success: Bool) {
        nodes[node].dialLoops[loop].connection = nil
        guard nodes[node].isUp else { return }
        let delay: SimTime
        if success {
            nodes[node].dialLoops[loop].failures = 0
            delay = nodes[node].dialLoops[loop].interval
        } else {
            delay = nodes[node].dialLoops[loop].backoff(using: &rng)
        }
        scheduleDial(node, loop, after: delay)
    }

    /// One-shot farms sync a little after recording (`carnet record`, a few more entries,
    /// then `carnet sync`), unless a sync is due sooner anyway.
    mutating func nudgeDials(_ node: Int) {
        guard plan.mode == .oneShot, nodes[node].role == .farm else { return }
        for loop in nodes[node].dialLoops.indices where nodes[node].dialLoops[loop].connection == nil {
            let soon = now + rng.uniform(.minutes(1)...(.minutes(8)))
            if let next = nodes[node].dialLoops[loop].nextAt, next <= soon { continue }
            scheduleDial(node, loop, after: soon - now)
        }
    }
}
