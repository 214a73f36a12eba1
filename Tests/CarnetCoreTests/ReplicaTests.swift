@testable import CarnetCore
import CarnetTestKit
import Testing

private let alice = NodeID.derived(from: "alice")
private let bob = NodeID.derived(from: "bob")
private let price = FieldKey("product", "P1", "price")

private func entry(_ id: String) -> Operation {
    .append(Entry(id: id, kind: "harvest", fields: [Field("qty", .int(5))]))
}

struct ReplicaTests {
    @Test func writesFormAHashChain() {
        var replica = Replica(node: alice)
        let first = replica.write(entry("a1"), wallMillis: 10)
        let second = replica.write(entry("a2"), wallMillis: 20)
        #expect(first.dot == Dot(node: alice, seq: 1))
        #expect(first.previous == .zero)
        #expect(second.dot.seq == 2)
        #expect(second.previous == first.hash)
        #expect(replica.versionVector[alice] == 2)
    }

    @Test func theHashCoversEveryField() {
        let base = Event(dot: Dot(node: alice, seq: 1), clock: HLCTimestamp(physical: 1, logical: 0), previous: .zero, operation: entry("x"))
        let otherClock = Event(dot: base.dot, clock: HLCTimestamp(physical: 1, logical: 1), previous: .zero, operation: entry("x"))
        let otherOperation = Event(dot: base.dot, clock: base.clock, previous: .zero, operation: entry("y"))
        let otherNode = Event(dot: Dot(node: bob, seq: 1), clock: base.clock, previous: .zero, operation: entry("x"))
        #expect(Set([base.hash, otherClock.hash, otherOperation.hash, otherNode.hash]).count == 4)
    }

    @Test func concurrentWritesAreAllKeptAndAWriteThatSawThemSupersedesThem() {
        var a = Replica(node: alice), b = Replica(node: bob)
        a.assign(price, .int(300), wallMillis: 1)
        b.assign(price, .int(320), wallMillis: 2)
        a.merge(with: b)
        b.merge(with: a)
        #expect(a.registers[price]?.values.map(\.value) == b.registers[price]?.values.map(\.value))
        #expect(a.registers[price]?.values.count == 2)
        #expect(a.fieldConflicts.count == 1)
        #expect(a.fieldConflicts.first?.id == b.fieldConflicts.first?.id)
        let resolution = a.assign(price, .int(310), wallMillis: 3)
        guard case let .assign(assignment) = resolution.operation else { Issue.record("not an assignment"); return }
        #expect(assignment.supersedes.count == 2, "a resolution names every value it replaces")
        b.merge(with: a)
        #expect(b.registers[price]?.values.map(\.value) == [.int(310)])
        #expect(b.fieldConflicts.isEmpty)
        #expect(a.digest == b.digest)
    }

    @Test func aSupersedingWriteArrivingFirstStillHidesTheOldValue() {
        var a = Replica(node: alice)
        let old = a.assign(price, .int(1), wallMillis: 1)
        let new = a.assign(price, .int(2), wallMillis: 2)
        var c = Replica(node: bob)
        // `new` waits for its predecessor `old` in the history; deliver both reversed.
        #expect(c.admit(new) == .pending)
        #expect(c.admit(old) == .accepted)
        #expect(c.registers[price]?.values.map(\.value) == [.int(2)])
        #expect(c.digest == a.digest)
    }

    /// SPEC 5: an event held aside changes no state, so it is not in the digest (else a
    /// hostile peer's gap would keep this replica's digest apart from everyone's); once its
    /// predecessor arrives it is admitted and counts.
    @Test func eventsHeldAsideAreNotInTheDigest() {
        var a = Replica(node: alice)
        let first = a.write(entry("a1"), wallMillis: 1)
        let second = a.write(entry("a2"), wallMillis: 2)
        var b = Replica(node: bob)
        let empty = b.digest
        #expect(b.admit(second) == .pending)
        #expect(b.history.pendingCount == 1)
        #expect(b.digest == empty)
        let forged = Event(dot: Dot(node: alice, seq: 2), clock: second.clock, previous: SHA256Digest(bytes: [UInt8](repeating: 7, count: 32))!,
                           operation: entry("forged"))
        #expect(b.admit(forged) == .pending)
        #expect(b.digest == empty)
        #expect(b.admit(first) == .accepted)
        var c = Replica(node: bob)
        #expect(c.admit(first) == .accepted && c.admit(second) == .accepted)
        #expect(b.history.pendingCount == 1, "the forged event still waits")
        #expect(b.digest == c.digest && b.digest == a.digest)
    }

    /// A batch counts what it left: an event that came before its predecessor in the same
    /// batch (or in an earlier one) is accepted once the predecessor is, and counted
    /// accepted, not pending; only what still waits at the end is pending. `carnet verify`
    /// read these counts as events that do not chain, and called a sound log unsound.
    @Test func aBatchCountsAsPendingOnlyWhatStillWaitsAtItsEnd() {
        var a = Replica(node: alice)
        let first = a.write(entry("a1"), wallMillis: 1)
        let second = a.write(entry("a2"), wallMillis: 2)
        let third = a.write(entry("a3"), wallMillis: 3)
        var b = Replica(node: bob)
        let reversed = b.admit(contentsOf: [third, second, first, first])
        #expect(reversed == AdmissionCounts(accepted: 3, duplicates: 1, pending: 0, rejected: 0), "\(reversed)")
        var c = Replica(node: bob)
        let waiting = c.admit(contentsOf: [third])
        #expect(waiting.pending == 1 && waiting.accepted == 0)
        let released = c.admit(contentsOf: [first, second])
        #expect(released == AdmissionCounts(accepted: 3, duplicates: 0, pending: 0, rejected: 0), "\(released)")
        #expect(c.digest == a.digest && b.digest == a.digest)
    }

    @Test func duplicatesChangeNothing() {
        var a = Replica(node: alice)
        let event = a.write(entry("a1"), wallMillis: 1)
        var b = Replica(node: bob)
        #expect(b.admit(event) == .accepted)
        let digest = b.digest
        #expect(b.admit(event) == .duplicate)
        #expect(b.digest == digest)
        #expect(b.eventCount == 1)
    }

    @Test func invalidEventsAreRejected() {
        var b = Replica(node: bob)
        let zeroSeq = Event(dot: Dot(node: alice, seq: 0), clock: .zero, previous: .zero, operation: entry("x"))
        let badFirst = Event(dot: Dot(node: alice, seq: 1), clock: .zero, previous: SHA256.hash([1]), operation: entry("x"))
        #expect(b.admit(zeroSeq) != .accepted)
        #expect(b.admit(badFirst) != .accepted)
        #expect(b.eventCount == 0)
    }

    @Test func aRestoredBackupForksAndBothBranchesAreKept() {
        var device = Replica(node: alice)
        device.write(entry("a1"), wallMillis: 1)
        let backup = device
        let lost = device.write(entry("a2"), wallMillis: 2)
        var hub = Replica(node: bob)
        hub.merge(with: device)
        var restored = backup
        let reused = restored.write(entry("a2-after-restore"), wallMillis: 3)
        #expect(reused.dot == lost.dot)
        #expect(reused.hash != lost.hash)
        #expect(hub.admit(reused) == .accepted, "the second event at a dot is kept as evidence")
        #expect(hub.history.contains(lost.id) && hub.history.contains(reused.id))
        #expect(hub.forks.count == 1)
        #expect(hub.forks.first?.events == [lost.id, reused.id].sorted())
        #expect(hub.history.heads(of: alice).count == 2)
        // Other nodes' events keep merging after the fork.
        var carol = Replica(node: NodeID.derived(from: "carol"))
        let fromCarol = carol.write(entry("c1"), wallMillis: 4)
        #expect(hub.admit(fromCarol) == .accepted)
        // Whoever learns both branches, in any order, ends up in the same state.
        var other = Replica(node: NodeID.derived(from: "dave"))
        other.admit(fromCarol)
        other.merge(with: restored)
        other.merge(with: device)
        #expect(other.digest == hub.digest)
        #expect(other.forks == hub.forks)
    }

    @Test func versionVectorMergeAndDominance() {
        var x = VersionVector([alice: 3])
        let y = VersionVector([alice: 1, bob: 4])
        #expect(!x.dominates(y))
        x.merge(with: y)
        #expect(x == VersionVector([alice: 3, bob: 4]))
        #expect(x.dominates(y))
        #expect(x.contains(Dot(node: bob, seq: 4)) && !x.contains(Dot(node: bob, seq: 5)))
        #expect(x.total == 7)
    }

    @Test func nodeIDHexRoundTrip() {
        #expect(NodeID(hex: alice.hex) == alice)
        #expect(NodeID(hex: "xyz") == nil)
        #expect(alice.hex.count == 32)
    }

    @Test func registerLawsHoldForRandomWriteSets() {
        let seed = testSeed(default: 20261129)
        var rng = SplitMix64(seed: seed)
        for round in 0..<2_000 {  // × 5 deliveries: 10,000 cases (T1)
            // Random assignments with random (possibly dangling) supersedes.
            var writes: [(EventID, HLCTimestamp, Assignment)] = []
            for index in 0..<Int.random(in: 1...8, using: &rng) {
                let id = EventID(dot: Dot(node: alice, seq: UInt64(index + 1)), hash: SHA256.hash([UInt8(index), UInt8(round % 256)]))
                let supersedes = writes.filter { _ in Bool.random(using: &rng) }.map(\.0)
                writes.append((id, HLCTimestamp(physical: UInt64(index), logical: 0),
                               Assignment(key: price, value: .int(Int64.random(in: 0...3, using: &rng)), supersedes: supersedes)))
            }
            var reference = MultiValueRegister()
            for write in writes { reference.apply(id: write.0, clock: write.1, assignment: write.2) }
            for _ in 0..<5 {
                var register = MultiValueRegister()
                for write in (writes + writes.filter { _ in Bool.random(using: &rng) }).shuffled(using: &rng) {
                    register.apply(id: write.0, clock: write.1, assignment: write.2)
                }
                #expect(register.values == reference.values, "seed \(seed) round \(round)")
                #expect(register.checkInvariants(), "seed \(seed) round \(round)")
            }
        }
    }

    @Test func versionVectorMergeIsCommutativeAssociativeAndIdempotent() {
        let seed = testSeed(default: 77)
        var rng = SplitMix64(seed: seed)
        let nodes = (0..<5).map { NodeID.derived(from: "n\($0)") }
        func random() -> VersionVector {
            var vector = VersionVector()
            for node in nodes where Bool.random(using: &rng) { vector[node] = UInt64.random(in: 0...20, using: &rng) }
            return vector
        }
        for round in 0..<10_000 {  // T1: 10,000 cases per law
            let (a, b, c) = (random(), random(), random())
            #expect(a.merged(with: b) == b.merged(with: a), "seed \(seed) round \(round)")
            #expect(a.merged(with: b).merged(with: c) == a.merged(with: b.merged(with: c)), "seed \(seed) round \(round)")
            #expect(a.merged(with: a) == a, "seed \(seed) round \(round)")
            #expect(a.merged(with: b).dominates(a) && a.merged(with: b).dominates(b), "seed \(seed) round \(round)")
        }
    }
}

struct ExactTextTests {
    /// "Café" precomposed and decomposed are equal as Swift strings but not as bytes; the
    /// digest must not depend on which spelling arrived first.
    @Test func canonicallyEquivalentSpellingsStayDistinctAndOrderFree() {
        let composed = "Caf\u{E9}", decomposed = "Cafe\u{301}"
        #expect(composed == decomposed, "precondition: Swift treats them as equal")
        var a = Replica(node: NodeID.derived(from: "a")), b = Replica(node: NodeID.derived(from: "b"))
        let first = a.assign(FieldKey("product", composed, "name"), .text(composed), wallMillis: 1)
        let second = b.assign(FieldKey("product", decomposed, "name"), .text(decomposed), wallMillis: 1)
        var x = Replica(node: NodeID.derived(from: "x")), y = Replica(node: NodeID.derived(from: "y"))
        x.admit(first); x.admit(second)
        y.admit(second); y.admit(first)
        #expect(x.digest == y.digest)
        #expect(x.registers.count == 2, "two byte-different keys are two registers")
        #expect(Value.text(composed) != Value.text(decomposed))
        #expect(Set([Value.text(composed), Value.text(decomposed)]).count == 2)
    }

    /// The contiguous fast path orders and equates exactly as the UTF-8 bytes do: random
    /// strings over a small alphabet (ASCII, accents precomposed and combining, an emoji,
    /// small and large), every pair compared both ways.
    @Test func theFastComparisonIsByteOrder() {
        let seed: UInt64 = 0xE8AC7
        var random = SplitMix64(seed: seed)
        let alphabet = ["a", "b", "A", "-", "0", "\u{E9}", "e\u{301}", "\u{1F955}", "\u{0}", "zzzzzzzzzzzzzzzz"]
        var texts: [String] = [""]
        for _ in 0..<300 {
            let length = Int(random.next() % 8)
            texts.append((0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }.joined())
        }
        for a in texts {
            for b in texts.prefix(120) {
                let bytesLess = Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
                #expect(ExactString.less(a, b) == bytesLess, "seed \(seed): \(Array(a.utf8)) < \(Array(b.utf8))")
                #expect((ExactString(a) == ExactString(b)) == (Array(a.utf8) == Array(b.utf8)), "seed \(seed)")
            }
        }
    }
}

struct IncarnationTests {
    @Test func aForkedDeviceContinuesUnderANewIdAndStopsColliding() {
        let laptop = NodeID.derived(from: "laptop")
        var device = Replica(node: laptop)
        device.write(.append(Entry(id: "a", kind: "harvest", fields: [])), wallMillis: 1)
        let backup = device
        device.write(.append(Entry(id: "b", kind: "harvest", fields: [])), wallMillis: 2)
        var hub = Replica(node: NodeID.derived(from: "hub"))
        hub.merge(with: device)
        // Restored from the backup, the device writes again at seq 2, then syncs.
        var restored = backup
        restored.write(.append(Entry(id: "b'", kind: "harvest", fields: [])), wallMillis: 3)
        #expect(!restored.hasForkedItself)
        restored.merge(with: hub)
        #expect(restored.hasForkedItself, "after syncing, the device sees its own fork")
        // It continues under a fresh id; its next writes extend a new chain.
        let fresh = NodeID.derived(from: "laptop, second life")
        var continued = restored.continuing(as: fresh, wallMillis: 4)
        let next = continued.write(.append(Entry(id: "c", kind: "harvest", fields: [])), wallMillis: 5)
        #expect(next.dot == Dot(node: fresh, seq: 2))
        #expect(!continued.hasForkedItself)
        #expect(continued.predecessors(of: fresh) == [laptop])
        hub.merge(with: continued)
        #expect(hub.forks.count == 1, "the old fork stays visible; no new one appears")
        #expect(hub.eventCount == 5, "a, b, b' of the laptop; the link and c of its new incarnation")
        var check = Replica(node: NodeID.derived(from: "check"))
        check.merge(with: continued)
        check.merge(with: hub)
        #expect(check.digest == hub.digest)
    }
}
