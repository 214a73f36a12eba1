import CarnetCore
import CarnetTestKit

/// Faults: episodes starting and ending, crashes, restores, and the heal.
extension Simulation {
    mutating func startEpisode(_ index: Int) {
        guard healTime == nil else { return }
        let episode = plan.episodes[index]
        trace("fault starts: \(episode.fault)")
        switch episode.fault {
        case let .partition(shape):
            network.cut(shape.blockedLinks(nodeCount: configuration.nodeCount), by: 1, now: now)
        case let .linkFaults(links, loss, resetPerLoss, duplicate, reorder):
            for link in links where link.from != link.to {
                var conditions = network.conditions(link)
                conditions.loss = loss
                conditions.resetPerLoss = resetPerLoss
                conditions.duplicate = duplicate
                conditions.reorder = reorder
                network.setConditions(conditions, for: link)
            }
        case let .crash(node, keepInFlight):
            guard nodes[node].isUp else { return }
            crash(node, keepInFlight: keepInFlight)
        case let .restore(node, backup):
            guard nodes[node].isUp else { return }
            crash(node, keepInFlight: 0.5)
            restore(node, backup: backup)
        }
        activeEpisodes[index] = true
    }

    mutating func endEpisode(_ index: Int) {
        guard activeEpisodes[index] else { return }
        activeEpisodes[index] = false
        trace("fault ends: \(plan.episodes[index].fault)")
        switch plan.episodes[index].fault {
        case let .partition(shape):
            network.cut(shape.blockedLinks(nodeCount: configuration.nodeCount), by: -1, now: now)
        case let .linkFaults(links, _, _, _, _):
            for link in links where link.from != link.to {
                network.setConditions(network.conditions(link).healed, for: link)
            }
        case let .crash(node, _), let .restore(node, _):
            restart(node)
        }
    }

    /// The node's process dies. Its kernel resets its connections (a kill), or nothing
    /// reaches the peers at all (a power cut) and they find out by their timeouts. The
    /// write being synced reaches the disk with probability `keepInFlight`: durable then,
    /// but never acknowledged.
    mutating func crash(_ node: Int, keepInFlight: Double) {
        tracker.statistics.crashes += 1
        let killed = rng.chance(0.7)
        for (connection, side) in network.connections(of: node) {
            network.abandon(connection, at: side, notifyPeer: killed, now: now)
        }
        guard let inFlight = nodes[node].crash(), rng.chance(keepInFlight) else { return }
        tracker.statistics.unacknowledgedSurvivors += 1
        switch inFlight {
        case let .write(operation):
            let event = nodes[node].materialize(operation, now: now)
            tracker.created.insert(event.id)
            noteRestoreBranch(node, event)
        case let .batch(_, _, _, events):
            let (_, _, continuation) = nodes[node].persistBatch(events, now: now)
            if !continuation.isEmpty { tracker.statistics.continuations += 1 }
            acknowledge(node, continuation)
        }
    }

    /// Replaces a (crashed) node's disk with one of its earlier backups, keeping its id.
    mutating func restore(_ node: Int, backup index: Int) {
        tracker.statistics.restores += 1
        let backups = nodes[node].backups
        let backup = backups[max(0, backups.count - 1 - index)]
        let before = nodes[node].disk.contents
        let kept = Set(backup.log.map(\.id))
        let lost = before.log.filter { !kept.contains($0.id) }
        tracker.lostAtRestore.formUnion(lost.map(\.id))
        for event in lost { nodes[node].durableSince[event.id] = nil }
        nodes[node].disk.restore(backup)
        var restored = Replica(node: backup.node)
        restored.receive(contentsOf: backup.log)
        let length = restored.history.chainLength(of: backup.node)
        let original = lost.filter { $0.dot.node == backup.node && $0.dot.seq > length }.map(\.id)
        tracker.restores.append(RestoreRecord(node: node, nodeID: backup.node, time: now,
                                              backupChainLength: length, originalBranch: original))
        nodes[node].restoreRecord = tracker.restores.count - 1
    }

    /// The node's process starts again: it opens its store from the disk and dials.
    mutating func restart(_ node: Int) {
        guard !nodes[node].isUp else { return }
        let link = nodes[node].reopen(now: now)
        if !link.isEmpty { tracker.statistics.continuations += 1 }
        acknowledge(node, link)
        for loop in nodes[node].dialLoops.indices {
            scheduleDial(node, loop, after: rng.uniform(.zero...(.seconds(5))))
        }
    }

    /// Every fault ends: partitions and clogs heal, links lose their faults, crashed
    /// nodes restart. Writes stop; the nodes sync in the quiet that follows.
    mutating func heal() {
        healTime = now
        trace("heal")
        tracker.statistics.healTime = now
        for index in plan.episodes.indices { endEpisode(index) }
        network.healAllCuts(now: now)
        for node in nodes.indices where !nodes[node].isUp { restart(node) }
        for node in nodes.indices {
            for loop in nodes[node].dialLoops.indices {
                let target = nodes[node].dialLoops[loop].target
                nodes[node].dialLoops[loop].interval = nodes[target].role == .hub ? plan.quiescePollInterval : plan.quiescePollInterval * 2
                // A sync scheduled far ahead at the fault phase's pace comes at the quiet's.
                let soon = now + rng.uniform(.zero...nodes[node].dialLoops[loop].interval)
                if let next = nodes[node].dialLoops[loop].nextAt, next > soon { scheduleDial(node, loop, after: soon - now) }
            }
            // Sessions open at the heal count towards the per-session allowance too.
            tracker.statistics.sessionsAfterHeal += nodes[node].sessions.filter { $0.side == .dialer }.count
        }
        recordLackedEvents()
        scheduler.schedule(.checkConvergence, after: .seconds(10))
    }

    /// What each node lacks of everything held anywhere, at the heal.
    private mutating func recordLackedEvents() {
        var union: [EventID: Event] = [:]
        for node in nodes {
            node.store.with { replica in
                replica.history.forEachEvent { union[$0.id] = $0 }
            }
        }
        let all = union.values.sorted { $0.id < $1.id }
        tracker.lackedAtHeal = nodes.map { node in
            node.store.with { replica in all.filter { !replica.history.contains($0.id) } }
        }
        tracker.statistics.eventsLackedAtHeal = tracker.lackedAtHeal.reduce(0) { $0 + $1.count }
        trace("lacking at the heal: " + zip(nodes, tracker.lackedAtHeal).map { "\($0.0.label) \($0.1.count)" }.joined(separator: ", "))
    }
}
