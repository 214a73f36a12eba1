import CarnetCore
import CarnetLedger

/// T1's merge laws over one seeded random history (several nodes, concurrent catalog
/// edits, reversals, payments, backups restored into forks): the order, the duplication
/// and the grouping of delivery never change the digest, the conflicts, the forks, the
/// stock or the balances; writers that exchange converge; a summary asks for exactly
/// what is missing. Shared by `swift test` (2,000 histories, debug) and `carnet-sim
/// --laws N` (10,000 in release, in CI).
public enum MergeLaws {
    /// What one history showed: the laws it broke (empty when none), and what it exercised.
    public struct Result: Sendable {
        public var failures: [String] = []
        public var forked = false
        public var conflictKinds = Set<ConflictKind>()
        /// A history of a ledger with members (one seed in three).
        public var members = false
        /// Of those, one in two has a format-1 writer the creator adopts (SPEC 9.7).
        public var adoption = false
    }

    /// Everything a delivery order must not change.
    struct Outcome: Equatable {
        var digest: SHA256Digest
        /// The digest names the accepted events (SPEC §5), not what they materialize into:
        /// the registers are compared apart, so that materializing them otherwise fails.
        var registers: [FieldKey: MultiValueRegister]
        var conflicts: [ConflictReport]
        var forks: [Fork]
        var stock: [StockLine]
        var balances: [Balance]
        /// Everything the reading commands show, as the views file keeps it.
        var views: LedgerViews

        init(_ replica: Replica) {
            let ledger = LedgerState(replica: replica)
            digest = replica.digest
            registers = replica.registers
            conflicts = Conflicts.all(replica: replica, ledger: ledger)
            forks = replica.forks
            stock = ledger.stock()
            balances = ledger.balances()
            views = LedgerViews(replica: replica, ledger: ledger)
        }
    }

    /// Checks the history of `seed` (`offset` sizes it: 2–5 nodes, 30–79 steps).
    /// `adoption` overrides the rule (one member history in two) for histories pinned
    /// before adoption existed, which must stay the histories they were.
    public static func check(seed: UInt64, offset: UInt64, adoption: Bool? = nil) -> Result {
        var result = Result()
        func fail(_ message: String) { result.failures.append("seed \(seed): \(message)") }
        let members = seed % 3 == 2
        let adoption = members && (adoption ?? ((seed / 3) % 2 == 1))
        let history = RandomHistory(seed: seed, nodes: 2 + Int(offset % 4), steps: 30 + Int(offset % 50), members: members,
                                    adoption: adoption)
        result.members = members
        result.adoption = adoption
        var rng = SplitMix64(seed: seed ^ 0xDE11_7E57)
        let observer = NodeID.derived(from: "observer")
        let ledger = history.ledger

        var reference = Replica(node: observer, ledger: ledger)
        reference.admit(contentsOf: history.events)
        let expected = Outcome(reference)
        if reference.history.pendingCount != 0 { fail("a causal order left \(reference.history.pendingCount) events pending") }
        result.forked = !expected.forks.isEmpty
        result.conflictKinds.formUnion(expected.conflicts.map(\.kind))

        var shuffled = Replica(node: observer, ledger: ledger)
        shuffled.admit(contentsOf: Delivery.shuffled(history.events, using: &rng))
        if Outcome(shuffled) != expected { fail("shuffled delivery diverged") }

        // The views kept as events arrive (`LedgerFold`, caught up after every few events,
        // in this shuffled order) equal the views folded from all of them at once.
        var folding = Replica(node: observer, ledger: ledger)
        var fold = LedgerFold()
        for (index, event) in Delivery.shuffled(history.events, using: &rng).enumerated() {
            folding.admit(event)
            if index % 7 == 0 { fold.catchUp(with: folding) }
        }
        if LedgerViews(replica: folding, fold: &fold) != expected.views {
            fail("the views kept as events arrived differ from the views of every event at once: "
                 + LedgerViews(replica: folding, fold: &fold).differences(from: expected.views).joined(separator: ", "))
        }

        var duplicated = Replica(node: observer, ledger: ledger)
        duplicated.admit(contentsOf: Delivery.withDuplicates(history.events, using: &rng))
        if Outcome(duplicated) != expected { fail("duplicated delivery diverged") }

        // Grouping: each group goes to its own replica, and the replicas then merge in a
        // random order, as farms that met different peers and later meet each other.
        var parts = Delivery.grouped(history.events, using: &rng).map { group -> Replica in
            var part = Replica(node: NodeID(using: &rng), ledger: ledger)
            part.admit(contentsOf: group)
            return part
        }
        parts.shuffle(using: &rng)
        var grouped = Replica(node: observer, ledger: ledger)
        for part in parts { grouped.merge(with: part) }
        if Outcome(grouped) != expected { fail("grouped delivery diverged") }
        for replica in [reference, shuffled, duplicated, grouped] {
            let problems = replica.history.invariantViolations()
            if !problems.isEmpty { fail("history invariants: \(problems)") }
        }

        // The writers themselves converge once they all exchange with each other — to what
        // survived: a backup restored before a sync loses the events it never sent.
        var writers = history.replicas
        for _ in 0..<2 {
            for i in writers.indices { for j in writers.indices where i != j { writers[i].merge(with: writers[j]) } }
        }
        // Without forks between them, a summary asks for exactly what is missing, once.
        let (sender, receiver) = (history.replicas[0], history.replicas[history.replicas.count - 1])
        var union = sender
        union.merge(with: receiver)
        if union.forks.isEmpty {
            var lacking = Set<EventID>()
            sender.history.forEachEvent { if !receiver.history.contains($0.id) { lacking.insert($0.id) } }
            let sent = sender.eventsMissing(from: receiver.summary).map(\.id)
            if !(sent.count == Set(sent).count && Set(sent) == lacking) { fail("summary sent \(sent.count), lacking \(lacking.count)") }
        }
        // The same, exchanging only summaries (version vector and heads) and what each
        // says the other lacks: two rounds over every pair must be enough.
        var peers = history.replicas
        for _ in 0..<2 {
            for i in peers.indices {
                for j in peers.indices where i != j {
                    peers[i].admit(contentsOf: peers[j].eventsMissing(from: peers[i].summary))
                }
            }
        }
        var survivors = Replica(node: observer, ledger: ledger)
        for writer in history.replicas { survivors.admit(contentsOf: writer.allEvents) }
        for writer in writers where writer.digest != survivors.digest || writer.registers != survivors.registers {
            fail("writer \(writer.node.short) did not converge: \(writer.eventCount) events vs \(survivors.eventCount)")
        }
        for peer in peers where peer.digest != survivors.digest || peer.registers != survivors.registers {
            fail("peer \(peer.node.short) did not converge by summaries: \(peer.eventCount) events vs \(survivors.eventCount)")
        }
        return result
    }
}
