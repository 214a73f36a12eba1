import CarnetCore
import CarnetLedger
import CarnetTestKit
import CarnetWire

/// The invariants a run must end with (RELIABILITY.md 3.1), checked against what the
/// simulation saw happen. Each failure names its invariant and what broke.
enum SimChecks {
    /// At most this many examples per kind of failure, so a report stays readable.
    static let examples = 3

    /// One line per broken invariant.
    static func check(_ simulation: Simulation) -> [String] {
        let replicas = simulation.nodes.map(\.replica)
        let labels = simulation.nodes.map(\.label)
        var failures: [String] = simulation.tracker.storeErrors.prefix(examples).map { "store: \($0)" }
        failures += convergence(replicas, labels)
        failures += acknowledgedWrites(replicas, labels, simulation.tracker)
        failures += unexpectedEvents(replicas[0], labels[0], simulation.tracker)
        failures += forks(replicas, labels, simulation.tracker)
        if simulation.convergedAt != nil && simulation.reconnectedAt == nil, let overrun = bandwidth(simulation) {
            failures.append(overrun)
        }
        if let overrun = keepalive(simulation.tracker.statistics) { failures.append(overrun) }
        if simulation.checksRelayBound && simulation.configuration.hubs >= 2 { failures += hubReceipts(simulation) }
        if simulation.workload.members != nil { failures += verdicts(replicas, labels) }
        return failures
    }

    /// I8 (issue 17, item 5): in a ledger with members, every node that holds the same
    /// events reaches the same verdicts: the same conflicts (past-revocation and out-of-role
    /// included), stock, balances, catalog, and counts of what waits, is revoked or is out
    /// of role. (Each node's own roles differ, and are not compared.)
    static func verdicts(_ replicas: [Replica], _ labels: [String]) -> [String] {
        guard let first = replicas.first, replicas.allSatisfy({ $0.digest == first.digest }) else { return [] }
        func shown(_ replica: Replica) -> LedgerViews {
            var views = LedgerViews(replica: replica)
            views.members.ownRoles = nil
            views.members.ownRevoked = false
            return views
        }
        // (A genesis that a restore lost before any peer took it leaves a ledger without
        // members: then every event counts, alike everywhere, which is what is checked.)
        let expected = shown(first)
        var failures: [String] = []
        for (replica, label) in zip(replicas, labels).dropFirst() {
            let views = shown(replica)
            if views != expected {
                failures.append("I8: \(label) judges the same events otherwise than \(labels[0]): \(views.differences(from: expected).joined(separator: ", "))")
            }
        }
        return failures
    }

    /// I7 (issue 19, item 5): with two hubs or more, each event reaches each hub at most
    /// once, plus once for each earlier copy whose batch was in flight when its session was
    /// cut (`SimHubReceipts`). A forked node's branches are excused: the plan sends them
    /// generously by design (`Replica.missingPlan`), as I6 excuses them. Checked in every
    /// campaign run whose sessions speak grants (SPEC 8.3 rule 8), which make it hold;
    /// without grants it measures how far off a run is (BENCHMARKS.md §7).
    static func hubReceipts(_ simulation: Simulation) -> [String] {
        let excess = simulation.tracker.hubReceipts.excess { hub, id in
            simulation.nodes[hub].replica.history.heads(of: id.dot.node).count > 1
        }
        guard let worst = excess.first else { return [] }
        let labels = simulation.nodes.map(\.label)
        let extra = excess.reduce(0) { $0 + $1.copies - $1.allowed }
        let shown = excess.prefix(examples).map { "\($0.id) reached \(labels[$0.hub]) \($0.copies) times (allowed \($0.allowed))" }
        return ["I7: \(excess.count) events reached a hub more often than once plus the batches cut in flight "
            + "(\(extra) copies too many; worst \(worst.copies) times), e.g. " + shown.joined(separator: "; ")]
    }

    /// I2: equal digests and version vectors everywhere, the same registers materialized
    /// from the same events, nothing left pending.
    static func convergence(_ replicas: [Replica], _ labels: [String]) -> [String] {
        var failures: [String] = []
        let digests = replicas.map(\.digest)
        if digests.contains(where: { $0 != digests[0] }) {
            let shown = zip(labels, zip(digests, replicas)).map { "\($0.0)=\($0.1.0.short) (\($0.1.1.eventCount) events)" }
            failures.append("I2: state digests differ: " + shown.joined(separator: ", "))
        } else {
            // The digest names the accepted events (SPEC §5), not the state they give: a
            // node that materialized the same events otherwise (after a reopen, a crash, a
            // release of waiting events) differs here.
            let differing = replicas.indices.dropFirst().filter { replicas[$0].registers != replicas[0].registers }
            if !differing.isEmpty {
                failures.append("I2: the same events, other registers on " + differing.prefix(examples).map { labels[$0] }.joined(separator: ", ")
                    + " than on \(labels[0])")
            }
        }
        let vectors = replicas.map(\.versionVector)
        if vectors.contains(where: { $0 != vectors[0] }) {
            failures.append("I2: version vectors differ: " + zip(labels, vectors).map { "\($0.0)=\($0.1)" }.joined(separator: ", "))
        }
        for (label, replica) in zip(labels, replicas) where replica.history.pendingCount > 0 {
            let waiting = replica.history.pendingEvents.prefix(examples).map { "\($0.id) after \($0.dot.seq - 1)#\($0.previous.short)" }
            failures.append("I2: \(label) still holds \(replica.history.pendingCount) events waiting for a predecessor, e.g. \(waiting)")
        }
        return failures
    }

    /// I1: every acknowledged write is on every node, unless restores destroyed every
    /// copy of it (a backup restore may lose what only the restored node held).
    static func acknowledgedWrites(_ replicas: [Replica], _ labels: [String], _ tracker: SimTracker) -> [String] {
        var failures: [String] = []
        var missing = 0
        for id in tracker.acknowledged {
            let absent = replicas.indices.filter { !replicas[$0].history.contains(id) }
            if absent.isEmpty { continue }
            if absent.count == replicas.count && tracker.lostAtRestore.contains(id) { continue }
            missing += 1
            if missing <= examples {
                failures.append("I1: acknowledged event \(id) is missing on \(absent.map { labels[$0] })")
            }
        }
        if missing > examples { failures.append("I1: … \(missing) acknowledged events missing in all") }
        return failures
    }

    /// Jepsen's "unexpected": nothing that no node ever wrote.
    static func unexpectedEvents(_ replica: Replica, _ label: String, _ tracker: SimTracker) -> [String] {
        var unexpected: [EventID] = []
        replica.history.forEachEvent { event in
            if !tracker.created.contains(event.id) { unexpected.append(event.id) }
        }
        guard !unexpected.isEmpty else { return [] }
        return ["I2: \(label) holds \(unexpected.count) events no node wrote, e.g. \(unexpected.sorted().prefix(examples))"]
    }

    /// I4: a restored node that wrote again at seqs its original history had used made a
    /// fork: every node must show it, and hold both branches.
    static func forks(_ replicas: [Replica], _ labels: [String], _ tracker: SimTracker) -> [String] {
        var failures: [String] = []
        for record in tracker.restores {
            let reference = replicas[0].history
            let original = record.originalBranch.filter(reference.contains)
            let new = record.newBranch.filter(reference.contains)
            var originalAt: [UInt64: EventID] = [:]
            for id in original { originalAt[id.dot.seq] = id }
            let clashes = new.filter { id in originalAt[id.dot.seq].map { $0 != id } ?? false }
            guard let firstClash = clashes.map(\.dot.seq).min() else { continue }
            let what = "restore of \(labels[record.node]) at \(record.time) (id \(record.nodeID.short), backup chain \(record.backupChainLength))"
            for (label, replica) in zip(labels, replicas) {
                if !replica.forks.contains(where: { $0.node == record.nodeID && $0.seq <= firstClash }) {
                    failures.append("I4: \(label) shows no fork of \(record.nodeID.short) at seq ≤ \(firstClash) after the \(what)")
                }
                let dropped = (original + new).filter { !replica.history.contains($0) }
                if !dropped.isEmpty {
                    failures.append("I4: \(label) dropped \(dropped.count) events of the branches of the \(what), e.g. \(dropped.prefix(examples))")
                }
            }
        }
        return failures
    }

    /// I6, as a budget: what sessions sent after the heal is at most 1.25 × the encoded
    /// size of what each node lacked, plus 2 KiB per session, plus the SUMMARY frames a
    /// session sent again to tell its peer of a fork (forks cost that round by design).
    ///
    /// Copies that raced (two peers sent a node the same events at once, neither able to
    /// know) are not counted, at what they cost on the wire (see `excusedBytes`): sessions
    /// do not coordinate, by design, and I6 is about sending what the receiver already
    /// persisted. Nor are the events of a forked node that `Replica.missingPlan` sends
    /// generously by design. Nor are live sessions' PING and PONG frames: they cost bytes
    /// for as long as a session stays open (the run goes on until the slowest farm's
    /// backoff brings it back, minutes at times), and `keepalive` bounds them by that time
    /// instead. Nor are batches lost in flight, which never reached the receiving session
    /// because it was cut: I6 lets the next session send the batch in flight again (soak
    /// seed 3679: a hub closed a handshake on a duplicated HELLO while the farm was cut
    /// off; after the heal the farm read the hub's SUMMARY before its ERROR and sent its
    /// 276 events into the closed session, as the one-flight design of SPEC 8.3 rule 3
    /// does, then sent them again in the next).
    static func bandwidth(_ simulation: Simulation) -> String? {
        let statistics = simulation.tracker.statistics
        let allowance = 2_048 * statistics.sessionsAfterHeal + statistics.resummaryBytesAfterHeal
        let sent = statistics.bytesSentAfterHeal - statistics.keepaliveBytesAfterHeal
        guard sent > allowance else { return nil }
        func size(_ events: [Event]) -> Int { events.isEmpty ? 0 : EventBatch.encode(events).count }
        let excusedBytes = simulation.tracker.excusedBytesAfterHeal
        let lostInFlight = simulation.tracker.bytesLostInFlightAfterHeal
        let counted = sent - excusedBytes - lostInFlight
        let lacked = simulation.tracker.lackedAtHeal.reduce(0) { $0 + size($1) }
        let budget = lacked + lacked / 4 + allowance
        guard counted > budget else { return nil }
        return "I6: \(counted) bytes sent after the heal (\(statistics.bytesSentAfterHeal) less \(statistics.keepaliveBytesAfterHeal) "
            + "of keepalive, \(excusedBytes) of raced copies and forked nodes' branches and \(lostInFlight) of batches lost in flight), "
            + "over the budget of \(budget) (1.25 × \(lacked) bytes of \(statistics.eventsLackedAtHeal) lacked events "
            + "+ 2 KiB × \(statistics.sessionsAfterHeal) sessions + \(statistics.resummaryBytesAfterHeal) bytes of summaries "
            + "sent again after forks); resent: \(statistics.eventsResentAfterHeal) events the receiver was known to hold"
    }
}

extension SimChecks {
    /// Live sessions' keepalive after the heal: at most one PING per ping interval and
    /// side while idle, each answered by one PONG (SPEC 8.3).
    static func keepalive(_ statistics: SimStatistics) -> String? {
        guard statistics.keepaliveFramesAfterHeal > statistics.keepaliveFramesAllowed else { return nil }
        return "I6: \(statistics.keepaliveFramesAfterHeal) PING and PONG frames (\(statistics.keepaliveBytesAfterHeal) bytes) "
            + "sent after the heal, over the \(statistics.keepaliveFramesAllowed) that one PING per ping interval and side, "
            + "each answered, allows for the time sessions stayed open"
    }
}

/// The result of one run.
public struct SimOutcome: Sendable, CustomStringConvertible {
    public let configuration: SimConfiguration
    /// One line per broken invariant; empty when the run passed.
    public let failures: [String]
    public let statistics: SimStatistics
    public let planSummary: String

    public var passed: Bool { failures.isEmpty }

    /// What two runs of one seed must agree on, to the action: the final state, the
    /// number of actions taken, the bytes sent and the virtual time at the end.
    public var fingerprint: String {
        "\(statistics.finalDigest.prefix(16)) actions=\(statistics.actions) bytes=\(statistics.bytesSent) end=\(statistics.endTime.micros)"
    }

    public var description: String {
        let stats = statistics
        let facts = "events=\(stats.eventsAtEnd) acked=\(stats.writesAcknowledged) sessions=\(stats.sessions) "
            + "crashes=\(stats.crashes) restores=\(stats.restores) forks=\(stats.forks) heal=\(stats.healTime) "
            + "converged=\(stats.convergedAt.map(\.description) ?? "never") end=\(stats.endTime) "
            + "bytesAfterHeal=\(stats.bytesSentAfterHeal) resent=\(stats.eventsResentAfterHeal)+\(stats.eventsResentByForkRule) raced=\(stats.eventsRacedAfterHeal) eventsSent=\(stats.eventsSent) new=\(stats.eventsSentNew) "
            + "hubCopies=\(stats.hubCopiesWorst)max/\(stats.hubDuplicateCopies)extra "
            + "batches=\(stats.batchesSent) frames=\(stats.framesSent) endings: \(stats.endingsSummary)"
        guard !passed else { return "\(configuration): passed (\(facts))" }
        return "\(configuration): \(failures.count) failure(s)\n  - " + failures.joined(separator: "\n  - ")
            + "\n  plan: \(planSummary)\n  \(facts)"
            + "\n  replay: CARNET_SEED=\(configuration.seed) CARNET_SIM_K=\(configuration.farms) CARNET_SIM_HUBS=\(configuration.hubs) CARNET_SIM_TRACE=1 swift test --filter SimulationSeedTests"
    }
}
