@testable import CarnetCore
import Testing

/// A history that keeps its chains cold (hashes in memory, events read from a source)
/// answers every question exactly as one that keeps every event in memory.
struct ColdHistoryTests {
    /// The events a store's log would give back: every first branch as the warm replica
    /// built it.
    struct ArchivedChains: ColdChainSource {
        var chains: [NodeID: [Event]]
        func chainEvents(of node: NodeID, seqs: ClosedRange<UInt64>) throws -> [Event] {
            guard let chain = chains[node], seqs.upperBound <= UInt64(chain.count) else {
                throw ColdReadError(node: node, seqs: seqs, reason: "not archived")
            }
            return Array(chain[Int(seqs.lowerBound - 1)..<Int(seqs.upperBound)])
        }
    }

    /// The same, counting the reads.
    final class CountingChains: ColdChainSource, @unchecked Sendable {
        // @unchecked: one test task reads and counts.
        let archive: ArchivedChains
        var reads = 0
        init(chains: [NodeID: [Event]]) { archive = ArchivedChains(chains: chains) }
        func chainEvents(of node: NodeID, seqs: ClosedRange<UInt64>) throws -> [Event] {
            reads += 1
            return try archive.chainEvents(of: node, seqs: seqs)
        }
    }

    /// A source whose every read fails: what the warm-only paths must never touch.
    struct LostLog: ColdChainSource {
        struct Gone: Error {}
        func chainEvents(of node: NodeID, seqs: ClosedRange<UInt64>) throws -> [Event] { throw Gone() }
    }

    /// A source that gives back other events than the ones held (a log replaced meanwhile).
    struct OtherLog: ColdChainSource {
        var chains: [NodeID: [Event]]
        func chainEvents(of node: NodeID, seqs: ClosedRange<UInt64>) throws -> [Event] {
            seqs.map { seq in
                let real = chains[node]![Int(seq - 1)]
                return Event(dot: real.dot, clock: real.clock, previous: real.previous,
                             operation: .append(Entry(id: "forged", kind: "harvest", fields: [])))
            }
        }
    }

    @Test(arguments: 0..<40)
    func aColdHistoryAnswersLikeAWarmOne(seed: UInt64) {
        let events = Self.randomDelivery(seed: seed)
        var warm = Replica(node: NodeID.derived(from: "reader"))
        var warmAdmissions: [Admission] = []
        for event in events { warmAdmissions.append(warm.admit(event)) }
        let archive = ArchivedChains(chains: Dictionary(uniqueKeysWithValues: warm.history.nodeIDs.map { node in
            (node, warm.history.chainEvents(of: node, after: 0, max: Int.max))
        }))

        var rng = SplitMix64(seed: seed ^ 0xC01D)
        var cold = Replica(node: NodeID.derived(from: "reader"))
        var coldAdmissions: [Admission] = []
        for event in events {
            coldAdmissions.append(cold.admit(event))
            switch rng.next() % 10 {
            case 0: cold.keepChainsCold(in: archive)
            case 1:
                // A source that holds only the start of each chain (a checkpoint).
                let reach = rng.next() % 12
                cold.keepChainsCold(in: archive) { _ in reach }
            default: break
            }
        }
        cold.keepChainsCold(in: archive)
        #expect(coldAdmissions == warmAdmissions, "seed \(seed)")
        #expect(cold.history.coldCount > 0 || warm.history.nodeIDs.allSatisfy { warm.history.chainLength(of: $0) <= 1 },
                "seed \(seed): nothing went cold")
        Self.expectSameAnswers(cold.history, warm.history, events: events, seed: seed)
        #expect(cold.digest == warm.digest, "seed \(seed)")
        #expect(cold.summary == warm.summary, "seed \(seed)")
        #expect(cold.fieldConflicts == warm.fieldConflicts, "seed \(seed)")
        #expect(cold.allEvents == warm.allEvents, "seed \(seed)")
        // Read in bulk, in any order, with ids not held (waiting ones) among them.
        let asked = events.shuffled(using: &rng).prefix(25).map(\.id)
        let expected = Dictionary(asked.compactMap { id in warm.history.event(id).map { (id, $0) } }, uniquingKeysWith: { a, _ in a })
        #expect(cold.history.events(withIDs: asked) == expected, "seed \(seed): bulk read")

        // Events that come after the chains went cold: duplicates of cold ones, and more.
        let later = Self.randomDelivery(seed: seed &+ 1_000)
        for event in later + events.shuffled(using: &rng).prefix(20) {
            #expect(cold.admit(event) == warm.admit(event), "seed \(seed): \(event.id)")
        }
        Self.expectSameAnswers(cold.history, warm.history, events: events + later, seed: seed)
        #expect(cold.digest == warm.digest, "seed \(seed)")
    }

    @Test func admissionOfNewEventsHeadsSummariesAndTheDigestNeverReadAColdEvent() {
        let events = Self.randomDelivery(seed: 7)
        var warm = Replica(node: NodeID.derived(from: "reader"))
        warm.admit(contentsOf: events)
        var cold = warm
        cold.keepChainsCold(in: LostLog())
        #expect(cold.history.coldCount > 0)
        #expect(cold.digest == warm.digest)
        #expect(cold.summary == warm.summary)
        for node in warm.history.nodeIDs {
            #expect(cold.history.heads(of: node) == warm.history.heads(of: node))
            #expect(cold.history.chainHead(of: node) == warm.history.chainHead(of: node))
            for seq in 1...max(1, warm.history.chainLength(of: node)) {
                #expect(cold.history.chainHashPrefix(of: node, at: seq) == warm.history.chainHash(of: node, at: seq)?.w0)
            }
        }
        // Events of other nodes, and of these nodes past what is held: new, taken without a read.
        for event in Self.randomDelivery(seed: 8) + Self.continuing(warm.history, seed: 7) {
            #expect(cold.history.contains(event.id) == warm.history.contains(event.id))
            #expect(cold.admit(event) == warm.admit(event))
        }
        #expect(cold.digest == warm.digest)
    }

    /// Only the first 8 bytes of a cold event's hash stay in memory: an event at a cold dot
    /// whose prefix matches (a duplicate, or another event that shares it) is told by the
    /// event read back, and a fork beside a cold event names that event's whole hash.
    @Test(arguments: 0..<20)
    func aDuplicateOrAForkAtAColdDotIsToldByTheEventReadBack(seed: UInt64) {
        let events = Self.randomDelivery(seed: seed)
        var warm = Replica(node: NodeID.derived(from: "reader"))
        warm.admit(contentsOf: events)
        let archive = CountingChains(chains: Dictionary(uniqueKeysWithValues: warm.history.nodeIDs.map { node in
            (node, warm.history.chainEvents(of: node, after: 0, max: Int.max))
        }))
        var cold = warm
        cold.keepChainsCold(in: archive)
        #expect(cold.history.forks == warm.history.forks, "seed \(seed)")
        var coldReads = archive.reads
        for event in events {
            let id = event.id
            #expect(cold.history.contains(id) == warm.history.contains(id), "seed \(seed): \(id)")
            // The same dot and prefix, another hash: not held, however alike.
            var other = id.hash
            other.w3 ^= 1
            let lookalike = EventID(dot: id.dot, hash: other)
            #expect(!cold.history.contains(lookalike), "seed \(seed): \(lookalike)")
            // Only a prefix kept for a cold event (every chain event but the last) can say "may".
            let isCold = warm.history.chainContains(id) && id.dot.seq < warm.history.chainLength(of: id.dot.node)
            #expect(cold.history.mayContain(lookalike) == isCold, "seed \(seed): \(lookalike)")
            #expect(cold.admit(event) == warm.admit(event), "seed \(seed): \(id)")
        }
        #expect(archive.reads > coldReads || cold.history.coldCount == 0, "seed \(seed): no duplicate was read back")
        coldReads = archive.reads
        #expect(cold.digest == warm.digest, "seed \(seed)")
        #expect(archive.reads == coldReads, "seed \(seed): the digest read")
    }

    @Test func aFailedOrWrongReadIsReportedWithTheNodeAndSeqs() throws {
        let events = Self.randomDelivery(seed: 11)
        var warm = Replica(node: NodeID.derived(from: "reader"))
        warm.admit(contentsOf: events)
        let node = try #require(warm.history.nodeIDs.first { warm.history.chainLength(of: $0) >= 3 })
        let first = try #require(warm.history.chainEvents(of: node, after: 0, max: 1).first)

        var lost = warm
        lost.keepChainsCold(in: LostLog())
        #expect(throws: ColdReadError.self) { try lost.history.readEvent(first.id) }
        #expect(throws: ColdReadError.self) { try lost.history.readChainEvents(of: node, after: 0, max: 2) }
        // The last event of a chain stays in memory: reading it needs no source.
        let length = warm.history.chainLength(of: node)
        #expect(try lost.history.readChainEvents(of: node, after: length - 1, max: 1) == warm.history.chainEvents(of: node, after: length - 1, max: 1))

        var replaced = warm
        replaced.keepChainsCold(in: OtherLog(chains: [node: warm.history.chainEvents(of: node, after: 0, max: Int.max)]))
        do {
            _ = try replaced.history.readEvent(first.id)
            Issue.record("a forged event was taken for the one held")
        } catch {
            #expect(error.node == node)
            #expect(error.seqs == 1...1)
            #expect(error.reason.contains("not the one held"))
        }
    }

    // MARK: Helpers

    /// Compares every reading accessor of the two histories.
    static func expectSameAnswers(_ cold: History, _ warm: History, events: [Event], seed: UInt64) {
        #expect(cold.count == warm.count, "seed \(seed)")
        #expect(cold.pendingCount == warm.pendingCount, "seed \(seed)")
        #expect(cold.versionVector == warm.versionVector, "seed \(seed)")
        #expect(cold.nodeIDs == warm.nodeIDs, "seed \(seed)")
        #expect(cold.forks == warm.forks, "seed \(seed)")
        #expect(cold.pendingEvents == warm.pendingEvents, "seed \(seed)")
        for node in warm.nodeIDs {
            let length = warm.chainLength(of: node)
            #expect(cold.chainLength(of: node) == length, "seed \(seed)")
            #expect(cold.heads(of: node) == warm.heads(of: node), "seed \(seed)")
            #expect(cold.chainHead(of: node) == warm.chainHead(of: node), "seed \(seed)")
            #expect(cold.events(of: node) == warm.events(of: node), "seed \(seed)")
            #expect(cold.branchEvents(of: node) == warm.branchEvents(of: node), "seed \(seed)")
            for after in [0, length / 2, length &- 1, length] where after <= length {
                #expect(cold.events(of: node, after: after) == warm.events(of: node, after: after), "seed \(seed)")
                #expect(cold.chainEvents(of: node, after: after, max: 3) == warm.chainEvents(of: node, after: after, max: 3), "seed \(seed)")
                var walked: [Event] = []
                cold.forEachChainEvent(of: node, after: after, max: 5) { walked.append($0) }
                #expect(walked == warm.chainEvents(of: node, after: after, max: 5), "seed \(seed)")
            }
            for end in [1, length / 2, length] where end >= 1 && end <= length {
                let count = Int(min(end, 3))
                #expect(cold.chainEvents(of: node, endingAt: end, count: count) == warm.chainEvents(of: node, endingAt: end, count: count), "seed \(seed)")
            }
            for seq in 1...max(1, warm.versionVector[node]) {
                #expect(Set(cold.events(of: node, at: seq)) == Set(warm.events(of: node, at: seq)), "seed \(seed)")
            }
        }
        for event in events {
            #expect(cold.contains(event.id) == warm.contains(event.id), "seed \(seed)")
            #expect(cold.chainContains(event.id) == warm.chainContains(event.id), "seed \(seed)")
            #expect(cold.linearHistoryContains(event.id) == warm.linearHistoryContains(event.id), "seed \(seed)")
            #expect(cold.event(event.id) == warm.event(event.id), "seed \(seed)")
        }
        var coldAll: [EventID] = [], warmAll: [EventID] = []
        cold.forEachEvent { coldAll.append($0.id) }
        warm.forEachEvent { warmAll.append($0.id) }
        #expect(coldAll.sorted() == warmAll.sorted(), "seed \(seed): forEachEvent")
    }

    /// Three to five nodes' chains of entries and assigns, a fork on some, delivered
    /// shuffled (so some wait for their predecessor) and with duplicates.
    static func randomDelivery(seed: UInt64) -> [Event] {
        var rng = SplitMix64(seed: seed)
        var events: [Event] = []
        let nodes = (0..<(3 + Int(rng.next() % 3))).map { NodeID.derived(from: "cold-\(seed)-\($0)") }
        for (index, node) in nodes.enumerated() {
            let length = 1 + Int(rng.next() % 30)
            var chain: [Event] = []
            var previous = SHA256Digest.zero
            for seq in 1...length {
                let event = Event(dot: Dot(node: node, seq: UInt64(seq)),
                                  clock: HLCTimestamp(physical: UInt64(1_000 + seq * 10 + index), logical: 0),
                                  previous: previous, operation: operation(&rng, seq: seq, node: index))
                chain.append(event)
                previous = event.hash
            }
            events += chain
            if length >= 3, rng.next() % 2 == 0 {
                // A restored backup: another branch from some seq on.
                let at = 1 + Int(rng.next() % UInt64(length - 1))
                var previous = at == 1 ? SHA256Digest.zero : chain[at - 2].hash
                for seq in at..<(at + 1 + Int(rng.next() % 5)) {
                    let event = Event(dot: Dot(node: node, seq: UInt64(seq)),
                                      clock: HLCTimestamp(physical: UInt64(5_000 + seq), logical: 1),
                                      previous: previous, operation: operation(&rng, seq: seq, node: index))
                    events.append(event)
                    previous = event.hash
                }
            }
        }
        // Mostly in order, with some early arrivals and some duplicates.
        var delivered: [Event] = []
        for event in events {
            if rng.next() % 6 == 0, !delivered.isEmpty {
                delivered.insert(event, at: Int(rng.next() % UInt64(delivered.count)))
            } else {
                delivered.append(event)
            }
            if rng.next() % 9 == 0 { delivered.append(event) }
        }
        return delivered
    }

    /// Two events after each chain's last one: new to `history`.
    static func continuing(_ history: History, seed: UInt64) -> [Event] {
        var rng = SplitMix64(seed: seed ^ 0xC0FF)
        var events: [Event] = []
        for (index, node) in history.nodeIDs.enumerated() {
            guard var head = history.chainHead(of: node) else { continue }
            for _ in 0..<2 {
                let seq = Int(head.dot.seq) + 1
                head = Event(dot: Dot(node: node, seq: UInt64(seq)), clock: HLCTimestamp(physical: UInt64(9_000 + seq), logical: 0),
                             previous: head.hash, operation: operation(&rng, seq: seq, node: index))
                events.append(head)
            }
        }
        return events
    }

    static func operation(_ rng: inout SplitMix64, seq: Int, node: Int) -> Operation {
        if rng.next() % 4 == 0 {
            return .assign(Assignment(key: FieldKey("product", "P\(rng.next() % 3)", "price"),
                                      value: .int(Int64(rng.next() % 500)), supersedes: []))
        }
        return .append(Entry(id: "E\(node)-\(seq)-\(rng.next() % 1_000)", kind: "harvest", fields: [Field("qty", .int(Int64(seq)))]))
    }
}
