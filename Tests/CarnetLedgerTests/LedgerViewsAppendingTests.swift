import CarnetCore
import CarnetLedger
import CarnetTestKit
import Testing

/// One entry added to the views without the events (`LedgerViews.appending`, what `carnet
/// record` does on a large hub) against the views folded again from every event: equal
/// whenever the views take the entry, over random histories with forks, voids, reviews,
/// orders, payments of entries not held, lots below zero and clocks ahead of the writer's.
@Suite("Views with one entry added")
struct LedgerViewsAppendingTests {
    @Test("an entry the views take gives the views folded again from every event")
    func addedEqualsFolded() {
        let base = testSeed(default: 0xADD0_0001)
        var taken = 0, declined = 0
        for offset in 0..<70 as Range<UInt64> {
            let seed = base &+ offset
            let history = RandomHistory(seed: seed, nodes: 2 + Int(offset % 3), steps: 30 + Int(offset % 60))
            var rng = SplitMix64(seed: seed ^ 0xADD)
            var replica = Replica(node: NodeID.derived(from: "writer-\(offset)"))
            // Admitted without the wall clock: the writer's clock does not follow the
            // history's, so some of its entries come before others in record order.
            replica.admit(contentsOf: history.events.shuffled(using: &rng))
            var wall: UInt64 = 1_780_000_000_000 + UInt64.random(in: 0...40_000_000, using: &rng)
            if Bool.random(using: &rng) {
                replica.assign(NodeLabels.key(replica.node), .text("W\(offset)"), wallMillis: wall)
            }
            var views = LedgerViews(replica: replica)
            for step in 0..<10 {
                wall += UInt64.random(in: 1...3_000_000, using: &rng)
                if Int.random(in: 0..<4, using: &rng) == 0 {
                    // A catalog or label write, sometimes beside the value it does not see
                    // (a field conflict), sometimes settling one.
                    let key = [Catalog.productKey("P\(Int.random(in: 0..<4, using: &rng))", .name),
                               Catalog.productKey("P\(Int.random(in: 0..<4, using: &rng))", .price),
                               NodeLabels.key(replica.node)].randomElement(using: &rng)!
                    let value: Value = key.field == ProductField.price.rawValue
                        ? .int(Int64.random(in: 100...900, using: &rng)) : .text("V\(step)")
                    let seen = Bool.random(using: &rng) ? replica.registers[key]?.liveIDs ?? [] : []
                    replica.write(.assign(Assignment(key: key, value: value, supersedes: seen)), wallMillis: wall)
                    let full = LedgerViews(replica: replica)
                    let remade = views.withRegisters(of: replica)
                    #expect(remade != nil, "seed \(seed), step \(step): a ledger without members declined a write")
                    if let remade {
                        taken += 1
                        let differences = remade.differences(from: full)
                        #expect(differences.isEmpty, "seed \(seed), step \(step): \(key) written, the views differ in \(differences)")
                        if !differences.isEmpty { return }
                    }
                    views = full
                    continue
                }
                let state = LedgerState(replica: replica)
                let entry = Self.randomEntry(step: step, node: replica.node, seq: replica.history.chainLength(of: replica.node) + 1,
                                             state: state, wall: wall, using: &rng)
                let named = !state.everyRecord(withID: entry.id).isEmpty || !state.reversals(of: entry.id).isEmpty
                let event = replica.write(.append(entry.coreEntry), wallMillis: wall)
                let full = LedgerViews(replica: replica)
                guard let record = LedgerRecord(reading: event) else {
                    Issue.record("seed \(seed): the entry written does not read back")
                    return
                }
                if let added = views.appending(record, writerLabel: replica.label(of: replica.node), idIsNamed: named) {
                    taken += 1
                    // By part: the whole views printed would bury the seed.
                    let differences = added.differences(from: full)
                    #expect(differences.isEmpty, "seed \(seed), step \(step): \(entry.kind) \(entry.id) added differs in \(differences)")
                    if !differences.isEmpty { return }
                } else {
                    declined += 1
                }
                views = full
            }
        }
        // Both ways are exercised, or the test shows nothing.
        #expect(taken > 250, "only \(taken) entries taken by the views")
        #expect(declined > 60, "only \(declined) entries declined")
    }

    @Test("in a ledger with members, a node's own entry the views take gives the views folded again; another's is declined")
    func membersOwnEntriesEqualFolded() {
        let base = testSeed(default: 0xADD0_0900)
        var taken = 0, declined = 0
        for offset in 0..<24 as Range<UInt64> {
            let seed = base &+ offset
            let history = RandomHistory(seed: seed, nodes: 3, steps: 50, members: true)
            var rng = SplitMix64(seed: seed ^ 0x3E3)
            let producers = Array(Set(history.events.compactMap { LedgerRecord(reading: $0)?.entry.producer }.filter { !$0.isEmpty })).sorted()
            for (writer, start) in history.replicas.enumerated() {
                var replica = start
                replica.admit(contentsOf: history.events)
                var views = LedgerViews(replica: replica)
                guard views.members.enforced else { continue }
                var wall: UInt64 = 1_790_000_000_000
                for step in 0..<6 {
                    wall += 60_000
                    let kind: EntryKind = [.harvest, .production, .sale, .loss].randomElement(using: &rng)!
                    var entry = LedgerEntry(id: "m\(seed)-\(writer)-\(step)", kind: kind,
                                            producer: producers.randomElement(using: &rng) ?? "nobody", date: CalendarDay(epochMillis: wall),
                                            product: "MP", quantity: kind == .harvest || kind == .production ? 5_000 : 100,
                                            unit: .grams, lot: "ML")
                    if kind == .sale { (entry.party, entry.amount) = ("cantine", 900) }
                    let event = replica.write(.append(entry.coreEntry), wallMillis: wall)
                    let full = LedgerViews(replica: replica)
                    guard let record = LedgerRecord(reading: event) else {
                        Issue.record("seed \(seed): the entry written does not read back")
                        return
                    }
                    let label = replica.label(of: replica.node)
                    // Views without chain ends (a file of an earlier build) know only this
                    // node's own next write.
                    var withoutChainEnds = views
                    withoutChainEnds.members.chainEnds = nil
                    #expect(withoutChainEnds.appending(record, writerLabel: label, idIsNamed: false) == nil,
                            "seed \(seed): an entry not known to be this node's own was taken without chain ends")
                    var ownOnly = withoutChainEnds.appending(record, writerLabel: label, idIsNamed: false, writtenHere: true)
                    ownOnly?.members.chainEnds = views.members.chainEnds
                    // (A node that forked has no chain end: its own roles still judge it.)
                    #expect(views.members.chainEnds?[replica.node] == nil
                                || ownOnly == views.appending(record, writerLabel: label, idIsNamed: false),
                            "seed \(seed): the chain end and the own roles judge this node's entry apart")
                    if let added = views.appending(record, writerLabel: label, idIsNamed: false, writtenHere: true) {
                        taken += 1
                        let differences = added.differences(from: full)
                        #expect(differences.isEmpty, "seed \(seed), writer \(writer), step \(step): \(entry.kind) for \(entry.producer) differs in \(differences)")
                        if !differences.isEmpty { return }
                    } else {
                        declined += 1
                    }
                    views = full
                }
            }
        }
        // Within roles and outside them, both seen, or the test shows nothing.
        #expect(taken > 40, "only \(taken) own entries taken among members")
        #expect(declined > 10, "only \(declined) own entries declined among members")
    }

    @Test("in a ledger with members, another device's entry the views take gives the views folded again")
    func membersOthersEntriesEqualFolded() {
        let base = testSeed(default: 0xADD0_0A00)
        var taken = 0, declined = 0, pastLimit = 0, newNodes = 0, enrolments = 0
        // From offset 48 on, half the nodes are not held: enrolments of nodes not held.
        for offset in 0..<72 as Range<UInt64> {
            let seed = base &+ offset
            let history = RandomHistory(seed: seed, nodes: 3 + Int(offset % 2), steps: 70, members: true, adoption: offset % 3 == 0)
            var rng = SplitMix64(seed: seed ^ 0xC4A1)
            // The reader holds each node's events up to a seq of its own: member records may
            // name more of a node than it holds (cuts above its head).
            let byNode = Dictionary(grouping: history.events, by: \.dot.node)
            var cutoff: [NodeID: UInt64] = [:]
            // One node in four not held at all: its first event (its key) comes with the rest.
            for (node, events) in byNode.sorted(by: { $0.key < $1.key }) {
                cutoff[node] = Int.random(in: 0..<(offset < 48 ? 4 : 2), using: &rng) == 0
                    ? 0 : UInt64.random(in: 0...events.map(\.dot.seq).max()!, using: &rng)
            }
            if offset >= 48, let genesis = history.events.first(where: { event in
                if case let .assign(assignment) = event.operation { return assignment.key.record.type == Replica.genesisRecordType }
                return false
            }) {
                // The creator held up to its genesis at least: the members are enforced.
                cutoff[genesis.dot.node] = max(cutoff[genesis.dot.node]!, genesis.dot.seq)
            }
            var reader = Replica(node: NodeID.derived(from: "reader-\(seed)"), ledger: history.ledger)
            reader.admit(contentsOf: history.events.filter { $0.dot.seq <= cutoff[$0.dot.node]! })
            var state = LedgerState(replica: reader)
            var views = LedgerViews(replica: reader, ledger: state)
            guard views.members.enforced else { continue }
            // Then the rest, node by node, each node's in seq order: what a farm's sync brings.
            for node in byNode.keys.sorted().shuffled(using: &rng) {
                for event in byNode[node]!.filter({ $0.dot.seq > cutoff[node]! }).sorted(by: { $0.dot.seq < $1.dot.seq }) {
                    let waited = reader.history.pendingCount
                    let heldBefore = Set(reader.history.nodeIDs)
                    reader.admit(event)
                    let after = LedgerState(replica: reader)
                    let full = LedgerViews(replica: reader, ledger: after)
                    defer { (state, views) = (after, full) }
                    // What a writer checks beside the views (`ServedFilesSave`): an event
                    // accepted on its node's only branch, nothing waiting or released.
                    guard waited == 0, reader.history.pendingCount == 0, reader.history.contains(event.id),
                          !reader.history.branchedNodes.contains(node) else { continue }
                    if let key = NodeKey.declared(by: event) {
                        // A new node's first event: its chain end from the views' new nodes.
                        var next = views
                        if next.members.takeNewNode(node, key: key.publicKey.bytes) {
                            newNodes += 1
                            let differences = next.differences(from: full)
                            #expect(differences.isEmpty, "seed \(seed): new node \(node) taken differs in \(differences)")
                            if !differences.isEmpty { return }
                        }
                        continue
                    }
                    if case let .append(core) = event.operation, core.kind == Replica.memberEntryKind {
                        // An enrolment of a node not held: into the views' new nodes.
                        var next = views
                        if let member = try? MemberRecord(core),
                           next.members.takeEnrolment(member, writtenAt: event.dot,
                                                      deviceIsNew: !heldBefore.contains(member.device) && member.device != reader.node) {
                            enrolments += 1

                            let differences = next.differences(from: full)
                            #expect(differences.isEmpty, "seed \(seed): enrolment of \(member.device) taken differs in \(differences)")
                            if !differences.isEmpty { return }
                        }
                        continue
                    }
                    guard let record = LedgerRecord(reading: event) else { continue }
                    let named = !state.everyRecord(withID: record.entry.id).isEmpty || !state.reversals(of: record.entry.id).isEmpty
                    if let end = views.members.chainEnds?[node], !end.covers(seq: event.dot.seq) { pastLimit += 1 }
                    if let added = views.appending(record, writerLabel: reader.label(of: node), idIsNamed: named) {
                        taken += 1
                        let differences = added.differences(from: full)
                        #expect(differences.isEmpty, "seed \(seed): \(record.entry.kind) by \(event.dot) differs in \(differences)")
                        if !differences.isEmpty { return }
                    } else {
                        declined += 1
                    }
                }
            }
        }
        // Taken, declined and stopped at a chain end's limit, each seen, or the test shows nothing.
        #expect(taken > 50, "only \(taken) entries of other devices taken among members")
        #expect(declined > 30, "only \(declined) entries of other devices declined among members")
        #expect(pastLimit > 3, "only \(pastLimit) entries past a chain end's limit")
        #expect(newNodes > 10, "only \(newNodes) new nodes taken")
        #expect(enrolments > 3, "only \(enrolments) enrolments of nodes not held taken")
    }

    @Test("entries that name others, or lots below zero, are left to the fold")
    func declinesWhatTheViewsCannotTell() {
        var replica = Replica(node: NodeID.derived(from: "farm"))
        let day = CalendarDay(epochMillis: 1_780_000_000_000)
        let harvest = LedgerEntry(id: "h-1", kind: .harvest, producer: "col", date: day, product: "tomme", quantity: 5_000,
                                  unit: .grams, lot: "L1")
        replica.write(.append(harvest.coreEntry), wallMillis: 1_780_000_000_000)
        let views = LedgerViews(replica: replica)
        func record(_ entry: LedgerEntry) -> LedgerRecord {
            var later = replica
            return LedgerRecord(reading: later.write(.append(entry.coreEntry), wallMillis: 1_780_000_100_000))!
        }
        let sale = LedgerEntry(id: "s-1", kind: .sale, producer: "col", date: day, product: "tomme", quantity: 2_000,
                               unit: .grams, lot: "L1", party: "cantine", amount: 4_000)
        #expect(views.appending(record(sale), writerLabel: nil, idIsNamed: false) != nil, "a plain sale is taken")
        #expect(views.appending(record(sale), writerLabel: nil, idIsNamed: true) == nil, "an id held elsewhere")
        var oversold = sale
        oversold.quantity = 6_000
        #expect(views.appending(record(oversold), writerLabel: nil, idIsNamed: false) == nil, "the lot goes below zero")
        var otherUnit = sale
        otherUnit.unit = .pieces
        #expect(views.appending(record(otherUnit), writerLabel: nil, idIsNamed: false) == nil, "another unit than the lot's")
        let payment = LedgerEntry(id: "p-1", kind: .payment, producer: "col", date: day, party: "cantine", amount: 4_000,
                                  method: "cash", ref: "s-1")
        #expect(views.appending(record(payment), writerLabel: nil, idIsNamed: false) == nil, "a payment naming a sale")
        var fulfilment = sale
        fulfilment.order = "O-1"
        fulfilment.line = 1
        #expect(views.appending(record(fulfilment), writerLabel: nil, idIsNamed: false) == nil, "an order line fulfilled")
    }

    /// A record kind's entry, sometimes with an id the ledger already uses or a payment
    /// names, a ref, an order line, another unit, a lot overdrawn.
    private static func randomEntry(step: Int, node: NodeID, seq: UInt64, state: LedgerState, wall: UInt64,
                                    using rng: inout SplitMix64) -> LedgerEntry {
        let kinds: [EntryKind] = [.harvest, .production, .delivery, .sale, .purchase, .payment, .loss, .adjust]
        let kind = kinds.randomElement(using: &rng)!
        var id = "\(kind.rawValue)-\(node.short)-\(seq)"
        if Int.random(in: 0..<8, using: &rng) == 0 {
            // An id the ledger knows: an entry's, a reversal's target, a payment's sale.
            let known = state.records.map(\.entry.id) + state.records.compactMap(\.entry.ref)
            id = known.randomElement(using: &rng) ?? id
        }
        let producer = "N\(Int.random(in: 0..<4, using: &rng))"
        let units: [QuantityUnit?] = [.grams, .grams, .grams, .pieces, nil]
        var entry = LedgerEntry(id: id, kind: kind, producer: producer, date: CalendarDay(epochMillis: wall))
        if kind.movesStock {
            entry.product = "P\(Int.random(in: 0..<4, using: &rng))"
            let size: Int64 = Int.random(in: 0..<4, using: &rng) == 0 ? 200 : 20
            entry.quantity = Int64.random(in: 1...size, using: &rng) * 100 * (kind == .adjust && Bool.random(using: &rng) ? -1 : 1)
            entry.unit = units.randomElement(using: &rng)!
            entry.lot = kind == .purchase && Bool.random(using: &rng) ? nil : "L\(Int.random(in: 0..<5, using: &rng))"
        }
        if kind == .sale || kind == .delivery || kind == .purchase || kind == .payment {
            entry.party = ["cantine", "HUB", "epicerie"].randomElement(using: &rng)!
        }
        if kind == .sale || kind == .purchase || kind == .payment {
            entry.amount = Int64.random(in: 100...9_000, using: &rng)
        }
        if kind == .payment, Bool.random(using: &rng) {
            entry.ref = state.records.filter { $0.entry.kind == .sale }.randomElement(using: &rng)?.entry.id ?? "missing-\(step)"
        }
        if kind == .sale || kind == .delivery, Int.random(in: 0..<6, using: &rng) == 0,
           let line = state.records.filter({ $0.entry.kind == .order }).randomElement(using: &rng) {
            entry.order = line.entry.order
            entry.line = line.entry.line
        }
        return entry
    }
}
