import CarnetCore
import CarnetLedger
import CarnetTestKit
import Testing

/// The merge laws, over thousands of seeded random histories (several nodes, concurrent
/// catalog edits, reversals, payments, backups restored into forks): the order, the
/// duplication and the grouping of delivery never change the digest or the conflicts.
struct ConvergencePropertyTests {
    /// 2,000 histories in 8 slices, so that Swift Testing runs them on every core.
    static let slices = 8
    static let historiesPerSlice = 250

    struct Outcome: Equatable {
        var digest: SHA256Digest
        var conflicts: [ConflictReport]
        var forks: [Fork]
        var stock: [StockLine]
        var balances: [Balance]

        init(_ replica: Replica) {
            let ledger = LedgerState(replica: replica)
            digest = replica.digest
            conflicts = Conflicts.all(replica: replica, ledger: ledger)
            forks = replica.forks
            stock = ledger.stock()
            balances = ledger.balances()
        }
    }

    @Test(arguments: 0..<slices)
    func deliveryOrderDuplicationAndGroupingNeverChangeTheOutcome(slice: Int) {
        let baseSeed = testSeed(default: 42)
        var forkedHistories = 0, conflictKinds = Set<ConflictKind>()
        for index in 0..<Self.historiesPerSlice {
            let offset = UInt64(slice * Self.historiesPerSlice + index)
            let seed = baseSeed &+ offset
            let history = RandomHistory(seed: seed, nodes: 2 + Int(offset % 4), steps: 30 + Int(offset % 50))
            var rng = SplitMix64(seed: seed ^ 0xDE11_7E57)
            let observer = NodeID.derived(from: "observer")

            var reference = Replica(node: observer)
            reference.receive(contentsOf: history.events)
            let expected = Outcome(reference)
            #expect(reference.history.pendingCount == 0, "seed \(seed): a causal order leaves nothing pending")
            if !expected.forks.isEmpty { forkedHistories += 1 }
            conflictKinds.formUnion(expected.conflicts.map(\.kind))

            var shuffled = Replica(node: observer)
            shuffled.receive(contentsOf: Delivery.shuffled(history.events, using: &rng))
            #expect(Outcome(shuffled) == expected, "seed \(seed): shuffled delivery diverged (base seed \(baseSeed); replay with CARNET_SEED)")

            var duplicated = Replica(node: observer)
            duplicated.receive(contentsOf: Delivery.withDuplicates(history.events, using: &rng))
            #expect(Outcome(duplicated) == expected, "seed \(seed): duplicated delivery diverged")

            // Grouping: each group goes to its own replica, and the replicas then merge in
            // a random order, as farms that met different peers and later meet each other.
            var parts = Delivery.grouped(history.events, using: &rng).map { group -> Replica in
                var part = Replica(node: NodeID(using: &rng))
                part.receive(contentsOf: group)
                return part
            }
            parts.shuffle(using: &rng)
            var grouped = Replica(node: observer)
            for part in parts { grouped.merge(with: part) }
            #expect(Outcome(grouped) == expected, "seed \(seed): grouped delivery diverged")
            for replica in [reference, shuffled, duplicated, grouped] {
                let problems = replica.history.invariantViolations()
                #expect(problems.isEmpty, "seed \(seed): \(problems)")
            }

            // The writers themselves converge once they all exchange with each other — to
            // what survived: a backup restored before a sync loses the events it never sent.
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
                #expect(sent.count == Set(sent).count && Set(sent) == lacking, "seed \(seed): summary sent \(sent.count), lacking \(lacking.count)")
            }
            // The same, exchanging only summaries (version vector and heads) and what each
            // says the other lacks: two rounds over every pair must be enough.
            var peers = history.replicas
            for _ in 0..<2 {
                for i in peers.indices {
                    for j in peers.indices where i != j {
                        peers[i].receive(contentsOf: peers[j].eventsMissing(from: peers[i].summary))
                    }
                }
            }
            var survivors = Replica(node: observer)
            for writer in history.replicas { survivors.receive(contentsOf: writer.allEvents) }
            for writer in writers where writer.digest != survivors.digest {
                Issue.record("seed \(seed): writer \(writer.node.short) did not converge: \(writer.eventCount) events vs \(survivors.eventCount)")
            }
            for peer in peers where peer.digest != survivors.digest {
                Issue.record("seed \(seed): peer \(peer.node.short) did not converge by summaries: \(peer.eventCount) events vs \(survivors.eventCount)")
            }
        }
        // The generator must actually exercise forks and every kind of conflict it can make.
        #expect(forkedHistories > 5, "only \(forkedHistories) histories forked")
        #expect(conflictKinds.isSuperset(of: [.field, .fork, .stockBelowZero, .doubleReversal, .unknownReference, .duplicateEntry]),
                "conflict kinds seen: \(conflictKinds.sorted())")
    }
}
