import CarnetCore
import CarnetSync
import CarnetTestKit
import CarnetWire

/// Local writes and the disks: a write or a received batch is durable (applied,
/// acknowledged, news for live sessions) only when its simulated fsync completes.
extension Simulation {
    mutating func write(_ node: Int, count: Int) {
        guard nodes[node].isUp, healTime == nil else {
            tracker.statistics.writesSkipped += count
            return
        }
        for _ in 0..<count {
            let operation = workload.next(node: node, label: nodes[node].label)
            enqueue(node, .write(operation))
        }
    }

    mutating func enqueue(_ node: Int, _ record: SimNodeDisk.Record) {
        if let completion = nodes[node].disk.enqueue(record, now: now) {
            scheduler.schedule(.diskDone(node: node, incarnation: nodes[node].incarnation), at: completion)
        }
    }

    /// A write reached the disk: it is durable now, so it is applied and acknowledged.
    mutating func diskDone(_ node: Int) {
        let (record, next) = nodes[node].disk.completeHead(now: now)
        if let next { scheduler.schedule(.diskDone(node: node, incarnation: nodes[node].incarnation), at: next) }
        switch record {
        case let .write(operation):
            let event = nodes[node].materialize(operation, now: now)
            acknowledge(node, [event])
            // `carnet serve` picks up what the CLI wrote when it next refreshes (every
            // 500 ms), and then wakes its live sessions with everything new at once.
            if nodes[node].localNews.isEmpty {
                scheduler.schedule(.refresh(node: node, incarnation: nodes[node].incarnation), after: Self.refreshInterval)
            }
            nodes[node].localNews.append(event)
            nudgeDials(node)
        case let .batch(connection, side, batch, events):
            // Only needed after the heal (a copy the persist below would otherwise force).
            let heldBefore = healTime != nil ? nodes[node].durableSince : [:]
            let (fresh, revealedFork, continuation) = nodes[node].persistBatch(events, now: now)
            if !continuation.isEmpty { tracker.statistics.continuations += 1 }
            if healTime != nil && fresh.count < events.count {
                classifyDuplicates(node, events, fresh: fresh, heldBefore: heldBefore,
                                   batch: SentBatch(connection: connection, sender: side.other, batch: batch))
            }
            if let slot = nodes[node].slotIndex(connection) {
                for event in events where nodes[node].sessions[slot].received[event.id] == nil {
                    nodes[node].sessions[slot].received[event.id] = now
                }
            }
            acknowledge(node, continuation)
            trace("\(nodes[node].label) persisted batch \(batch) of \(connection): \(events.count) events, \(fresh.count) new"
                + (revealedFork ? ", revealed a fork" : "") + (continuation.isEmpty ? "" : ", continues as \(nodes[node].nodeID.short)")
                + ": \(Self.ranges(events))")
            if let slot = nodes[node].slotIndex(connection), nodes[node].sessions[slot].awaitingPersist == batch {
                nodes[node].sessions[slot].awaitingPersist = nil
                // `SharedStore.summaryIfForked`: a fork this batch revealed, or one another
                // session brought since this one last summarized.
                let forks = nodes[node].store.with { $0.forks.count }
                let changed = forks > nodes[node].sessions[slot].forksSummarized
                    ? nodes[node].summaryMessage(live: isLive(node, nodes[node].sessions[slot].side)) : nil
                if changed != nil {
                    nodes[node].sessions[slot].forksSummarized = forks
                    nodes[node].sessions[slot].summaryTimes.append(now)
                }
                nodes[node].sessions[slot].queue += nodes[node].sessions[slot].session.persisted(
                    batch: batch, newEvents: UInt64(fresh.count), changedSummary: changed, now: now.duration)
                drain(node, connection)
            }
            // As `SharedStore.receive`: the events new here, and the link event of a node
            // that continues under a new id, are news for the node's other live sessions.
            learned(node, fresh + continuation, from: connection)
        }
    }

    /// Sorts the events of a received batch that were not new: raced (another peer's copy
    /// arrived after the summary the sender planned from: no sender could know), sent by
    /// the plan's rule for a forked node (generous by design, see `Replica.missingPlan`), or
    /// resent (the sender knew the receiver held them, from its summary or from this
    /// session: what I6 forbids). The first two are left out of the I6 budget at what they
    /// cost on the wire (`excusedBytes`).
    private mutating func classifyDuplicates(_ node: Int, _ events: [Event], fresh: [Event], heldBefore: [EventID: SimTime],
                                             batch key: SentBatch) {
        let (connection, batch) = (key.connection, key.batch)
        var excused: [Event] = []
        defer { tracker.excusedBytesAfterHeal += excusedBytes(excused, of: events, fresh: fresh.count, frame: key) }
        let slot = nodes[node].slotIndex(connection).map { nodes[node].sessions[$0] }
        let senderSlot = slot.flatMap { slot in nodes[slot.peer].slotIndex(connection).map { nodes[slot.peer].sessions[$0] } }
        let sentAt = senderSlot.flatMap { $0.batchSentAt.count >= Int(batch) && batch >= 1 ? $0.batchSentAt[Int(batch) - 1] : nil } ?? now
        let freshIDs = Set(fresh.map(\.id))
        var seen = Set<EventID>()
        for event in events where !freshIDs.contains(event.id) && seen.insert(event.id).inserted {
            // The sender knew: the receiver's summary listed it, or the sender sent it
            // earlier in this session, or had received it from the receiver in this
            // session before sending this batch.
            let knownToSender = slot.map { slot in
                // (The receiver's summary that had reached the sender when it sent the
                // batch: a re-summary still on the wire cannot inform it.)
                slot.received[event.id] != nil
                    || heldBefore[event.id].map { held in
                        senderSlot.flatMap { slot.summaryKnown(to: $0, at: sentAt) }.map { held <= $0 } ?? false
                    } ?? false
            } ?? false || senderSlot?.received[event.id].map { $0 <= sentAt } == true
            if !knownToSender {
                tracker.statistics.eventsRacedAfterHeal += 1
                excused.append(event)
            } else if nodes[node].store.with({ $0.history.heads(of: event.dot.node).count > 1 })
                        || slot.map({ nodes[$0.peer].store.with { $0.history.heads(of: event.dot.node).count > 1 } }) == true {
                // `Replica.missingPlan`'s rule for a node whose histories diverge, by design:
                // everything past the prefix the peer provably holds, with every branch
                // event (the sender may not see the fork yet; the receiver then does).
                tracker.statistics.eventsResentByForkRule += 1
                excused.append(event)
            } else {
                tracker.statistics.eventsResentAfterHeal += 1
                trace("\(nodes[node].label) got \(event.id) again on \(connection) batch \(batch), which its peer knew it held")
            }
        }
    }

    /// What the excused copies of one received batch cost on the wire: its whole frame
    /// when they were all it carried, else what they added to its encoding. Nothing when
    /// the batch was sent before the heal (its bytes are not counted then). Measured per
    /// batch because raced copies come in many small batches (soak seed 68479: with two
    /// hubs and 11 farms all live, farms relay each other's news to both hubs, which
    /// received some events twelve times), and encoding them all as one batch undercounts
    /// what each batch's own framing costs.
    private func excusedBytes(_ excused: [Event], of events: [Event], fresh: Int, frame: SentBatch) -> Int {
        guard !excused.isEmpty, let frameBytes = tracker.batchesSentAfterHeal[frame] else { return 0 }
        if fresh == 0 && excused.count == events.count { return frameBytes }
        let excusedIDs = Set(excused.map(\.id))
        let rest = events.filter { !excusedIDs.contains($0.id) }
        return EventBatch.encode(events).count - (rest.isEmpty ? 0 : EventBatch.encode(rest).count)
    }

    /// Durable local events: acknowledged to their writer.
    mutating func acknowledge(_ node: Int, _ events: [Event]) {
        for event in events {
            tracker.created.insert(event.id)
            tracker.acknowledged.append(event.id)
            tracker.statistics.writesAcknowledged += 1
            noteRestoreBranch(node, event)
        }
    }

    /// An event a restored node wrote under its restored id belongs to the new branch.
    mutating func noteRestoreBranch(_ node: Int, _ event: Event) {
        if let record = nodes[node].restoreRecord, tracker.restores[record].nodeID == event.dot.node {
            tracker.restores[record].newBranch.append(event.id)
        }
    }
}
