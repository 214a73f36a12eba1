import CarnetCore
import CarnetLedger
import CarnetNode
import CarnetSync
import CarnetTestKit
import CarnetWire

/// Local writes, fsyncs completing, and what persisted batches did: a write or a batch is
/// durable (acknowledged, sent on) only when its simulated fsync completes.
extension Simulation {
    /// The plan's writes at `node`: each one its own record and fsync, in turn.
    mutating func write(_ node: Int, count: Int) {
        guard nodes[node].isUp, healTime == nil else {
            tracker.statistics.writesSkipped += count
            return
        }
        for _ in 0..<count {
            submit(node, .write(workload.next(node: node, label: nodes[node].label)))
        }
    }

    /// One local write through the node's store (`SharedStore.write`, as a program that
    /// embeds the node writes): it wakes the live sessions, which run once it is durable.
    mutating func write(_ node: Int, _ operation: SimOperation) {
        guard let store = nodes[node].store else { return }
        let imageBefore = nodes[node].storage.currentImage
        let wall = nodes[node].wallMillis(now)
        nodes[node].clock.set(wall)
        let written: Operation
        switch operation {
        case let .assign(key, value):
            // It supersedes what the node sees now, as `Replica.assign` does.
            written = .assign(Assignment(key: key, value: value, supersedes: Self.liveIDs(of: key, in: store)))
        case let .append(entry):
            written = .append(entry)
        case let .member(action):
            guard let members = workload.members else { return }
            let replica = store.replica
            let writer = Dot(node: replica.node, seq: (replica.history.chainHead(of: replica.node)?.dot.seq ?? 0) + 1)
            written = .append(members.record(action, writer: writer, replica: replica).coreEntry)
        }
        let events: [Event]
        do {
            events = try store.write([written], wallMillis: wall)
        } catch {
            tracker.storeErrors.append("\(nodes[node].label) could not write: \(error)")
            return
        }
        for event in events {
            tracker.created.insert(event.id)
            nodes[node].durableSince[event.id] = now + nodes[node].fsyncTime
        }
        nodes[node].inFlight = SimInFlight(imageBefore: imageBefore, acknowledging: events)
        scheduler.schedule(.diskDone(node: node, incarnation: nodes[node].incarnation), after: nodes[node].fsyncTime)
        nudgeDials(node)
    }

    /// The values a field holds now. (A function of its own, so that the copy of the
    /// replica is gone before the store writes.)
    private static func liveIDs(of key: FieldKey, in store: SharedStore) -> [EventID] {
        store.replica.registers[key]?.liveIDs ?? []
    }

    /// The fsync under way completed: its local events are acknowledged, what its call
    /// wrote goes out, and the node takes its next inputs.
    mutating func diskDone(_ node: Int) {
        guard let done = nodes[node].inFlight else { return }
        nodes[node].inFlight = nil
        acknowledge(node, done.acknowledging)
        if let connection = done.connection { send(done.frames, node, connection) }
        pump(node)
    }

    /// What the persists of one driver call did, batch by batch (`batches`: their numbers,
    /// from the ACKs the call wrote): duplicates sorted for I6, the events noted as durable
    /// at `durableAt`, continuations counted. Returns the link events to acknowledge.
    mutating func tookPersisted(_ persisted: [SimPeerStore.Persisted], batches: [UInt64], _ node: Int, _ slot: Int,
                                durableAt: SimTime) -> [Event] {
        let connection = nodes[node].sessions[slot].connection
        let sender = nodes[node].sessions[slot].side.other
        var links: [Event] = []
        for (index, record) in persisted.enumerated() {
            let batch = index < batches.count && batches.count == persisted.count ? batches[index] : nil
            if healTime != nil && record.fresh.count < record.events.count {
                classifyDuplicates(node, record.events, fresh: record.fresh, heldBefore: nodes[node].durableSince,
                                   connection: connection, batch: batch.map { SentBatch(connection: connection, sender: sender, batch: $0) })
            }
            if nodes[node].role == .hub {
                tracker.hubReceipts.received(record.events, hub: node, sender: nodes[node].sessions[slot].peer,
                                             batch: SentBatch(connection: connection, sender: sender, batch: batch ?? 0), at: now)
            }
            for event in record.events where nodes[node].sessions[slot].received[event.id] == nil {
                nodes[node].sessions[slot].received[event.id] = durableAt
            }
            for event in record.fresh + record.link { nodes[node].durableSince[event.id] = durableAt }
            if !record.link.isEmpty {
                tracker.statistics.continuations += 1
                for event in record.link { tracker.created.insert(event.id) }
                links += record.link
            }
            trace("\(nodes[node].label) persisted batch \(batch.map(String.init) ?? "?") of \(connection): \(record.events.count) events, "
                + "\(record.fresh.count) new" + (record.link.isEmpty ? "" : ", continues as \(nodes[node].nodeID.short)")
                + ": \(Self.ranges(record.events))")
        }
        return links
    }

    /// Sorts the events of a received batch that were not new: raced (another peer's copy
    /// arrived after the summary the sender planned from: no sender could know), sent by
    /// the plan's rule for a forked node (generous by design, see `Replica.missingPlan`), or
    /// resent (the sender knew the receiver held them, from its summary or from this
    /// session: what I6 forbids). The first two are left out of the I6 budget at what they
    /// cost on the wire (`excusedBytes`).
    ///
    /// `key` is nil when the batch's number is not known (the call's ACKs and persists did
    /// not pair up): its copies then cost what they cost, excused or not.
    private mutating func classifyDuplicates(_ node: Int, _ events: [Event], fresh: [Event], heldBefore: [EventID: SimTime],
                                             connection: ConnectionID, batch key: SentBatch?) {
        let batch = key?.batch ?? 0
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
            } else if nodes[node].replica.history.heads(of: event.dot.node).count > 1
                        || slot.map({ nodes[$0.peer].replica.history.heads(of: event.dot.node).count > 1 }) == true {
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
    private func excusedBytes(_ excused: [Event], of events: [Event], fresh: Int, frame: SentBatch?) -> Int {
        guard !excused.isEmpty, let frame, let frameBytes = tracker.batchesSentAfterHeal[frame] else { return 0 }
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
