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

    /// The node's process dies (store, drivers and waiting inputs with it). Its kernel
    /// resets its connections (a kill), or nothing reaches the peers at all (a power cut)
    /// and they find out by their timeouts. The operation whose fsync was under way
    /// reached the disk with probability `keepInFlight`: durable then, but never
    /// acknowledged; else the disk is as it was before it. Unsynced bytes suffer one of
    /// `CrashDamage`'s fates.
    mutating func crash(_ node: Int, keepInFlight: Double) {
        tracker.statistics.crashes += 1
        let killed = rng.chance(0.7)
        for (connection, side) in network.connections(of: node) {
            network.abandon(connection, at: side, notifyPeer: killed, now: now)
        }
        var image = nodes[node].storage.currentImage
        if let inFlight = nodes[node].inFlight {
            if rng.chance(keepInFlight) {
                tracker.statistics.unacknowledgedSurvivors += 1
                for event in inFlight.acknowledging { noteRestoreBranch(node, event) }
            } else {
                image = inFlight.imageBefore
            }
        }
        let damage = CrashDamage.allCases[rng.int(0...(CrashDamage.allCases.count - 1))]
        var random = SplitMix64(seed: rng.next())
        let seed = rng.next()
        nodes[node].crash(leaving: image.crashed(damage, using: &random), seed: seed)
    }

    /// Replaces a (crashed) node's disk with one of its earlier backups, keeping its id:
    /// what the node held before is compared with the backup once the store opens it.
    mutating func restore(_ node: Int, backup index: Int) {
        tracker.statistics.restores += 1
        let backups = nodes[node].backups
        let backup = backups[max(0, backups.count - 1 - index)]
        var before: [EventID] = []
        nodes[node].replicaAtCrash.history.forEachEvent { before.append($0.id) }
        nodes[node].storage = SimStorage(seed: rng.next(), image: backup.image)
        nodes[node].pendingRestore = (backup.node, now, before)
    }

    /// The node's process starts again: it opens its store from the disk (the real
    /// `NodeStore` continues under a new id if it finds its own history forked), and dials.
    mutating func restart(_ node: Int) {
        guard !nodes[node].isUp else { return }
        let named: NodeID?
        do {
            named = try nodes[node].open(now: now)
        } catch {
            tracker.storeErrors.append("\(nodes[node].label) could not open its store: \(error)")
            return
        }
        let replica = nodes[node].replica
        if let named, replica.node != named {
            // Opening continued under a new id: its link event is durable now.
            let link = replica.history.events(of: replica.node)
            tracker.statistics.continuations += 1
            for event in link { tracker.created.insert(event.id) }
            acknowledge(node, link)
        }
        if let restore = nodes[node].pendingRestore {
            nodes[node].pendingRestore = nil
            let lost = restore.before.filter { !replica.history.contains($0) }
            tracker.lostAtRestore.formUnion(lost)
            let length = replica.history.chainLength(of: restore.node)
            let original = lost.filter { $0.dot.node == restore.node && $0.dot.seq > length }
            tracker.restores.append(RestoreRecord(node: node, nodeID: restore.node, time: restore.time,
                                                  backupChainLength: length, originalBranch: original))
            nodes[node].restoreRecord = tracker.restores.count - 1
        }
        if nodes[node].role == .hub { tracker.hubReceipts.restarted(hub: node) { replica.history.contains($0) } }
        // When each event became durable: what the disk kept, as before; the rest now.
        var held: [EventID: SimTime] = [:]
        replica.history.forEachEvent { held[$0.id] = nodes[node].durableSince[$0.id] ?? now }
        nodes[node].durableSince = held
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
        let replicas = nodes.map(\.replica)
        for replica in replicas {
            replica.history.forEachEvent { union[$0.id] = $0 }
        }
        let all = union.values.sorted { $0.id < $1.id }
        tracker.lackedAtHeal = replicas.map { replica in all.filter { !replica.history.contains($0.id) } }
        tracker.statistics.eventsLackedAtHeal = tracker.lackedAtHeal.reduce(0) { $0 + $1.count }
        trace("lacking at the heal: " + zip(nodes, tracker.lackedAtHeal).map { "\($0.0.label) \($0.1.count)" }.joined(separator: ", "))
    }
}
