import CarnetCore
import CarnetLedger
import CarnetTestKit
import Testing

/// Issue 17, item 9 (SPEC 9.7): format-1 history the creator adopted counts, with every
/// role, on every node and in every delivery order; what no counting adoption covers is
/// held aside.
@Suite("Adopted format-1 history")
struct AdoptionVerdictTests {
    typealias World = MembershipTests.World
    static let t0 = MembershipTests.t0

    /// A format-1 writer: a random node id, no key.
    static func addFormatOne(_ name: String, to world: inout World) {
        world.replicas[name] = Replica(node: NodeID.derived(from: name), ledger: world.ledger)
    }

    static func adopt(_ names: [String], by adopter: String, in world: inout World, at millis: UInt64) {
        let tips = names.flatMap { name in
            world.replicas[name]!.history.heads(of: world.node(name)).map { MemberCut(node: $0.dot.node, seq: $0.dot.seq, head: $0.hash) }
        }
        world.replicas[adopter]!.assign(LedgerGenesis.adoptedKey(world.ledger), .text(LedgerGenesis.adoptedText(tips)),
                                        wallMillis: millis)
    }

    @Test func adoptedHistoryCountsAndWhatFollowsTheTipIsHeldAside() {
        var world = World(seed: 41)
        Self.addFormatOne("old", to: &world)
        Self.addFormatOne("stranger", to: &world)
        world.write("old", MembershipTests.harvest("h-old", producer: "col", grams: 700), at: Self.t0 - 1_000)
        world.write("old", MembershipTests.harvest("h-old2", producer: "pre", grams: 300), at: Self.t0 - 900)
        world.write("stranger", MembershipTests.harvest("h-stranger", producer: "col", grams: 5_000), at: Self.t0 - 800)
        world.sync("old", into: "hub")
        Self.adopt(["old"], by: "hub", in: &world, at: Self.t0 + 1)
        // The format-1 node writes on after the adoption: not vouched for, not counted.
        world.write("old", MembershipTests.harvest("h-late", producer: "col", grams: 9_000), at: Self.t0 + 2)
        let views = MembershipTests.sameEverywhere(world, seed: 42)
        #expect(MembershipTests.stock(views, "col") == 700)
        #expect(MembershipTests.stock(views, "pre") == 300, "an adopted event counts with every role")

        var reader = Replica(node: NodeID.derived(from: "reader"), ledger: world.ledger)
        reader.admit(contentsOf: world.allEvents)
        let membership = Membership(replica: reader)
        let old = world.node("old")
        #expect(membership.isAdopted(EventID(dot: Dot(node: old, seq: 1), hash: reader.history.events(of: old, at: 1)[0].hash)))
        let late = reader.history.events(of: old, at: 3)[0]
        #expect(!membership.isAdopted(late.id))
        #expect(membership.verdict(of: late, entry: nil) == .unenrolled)
        let census = membership.deviceCensus(of: reader.history.nodeIDs)
        #expect(!census.waiting.contains(membership.device(of: old)), "an adopted node is named for the bounds")
        #expect(census.waiting.contains(membership.device(of: world.node("stranger"))))
    }

    @Test func onlyTheCreatorsDeviceAdopts() {
        var world = World(seed: 43)
        world.add("admin2")
        world.member("hub", .enrol, "admin2", roles: [.admin, .producer("*")], at: Self.t0 + 1)
        world.sync("hub", into: "admin2")
        Self.addFormatOne("old", to: &world)
        world.write("old", MembershipTests.harvest("h-old", producer: "col", grams: 700), at: Self.t0 - 1_000)
        world.sync("old", into: "admin2")
        Self.adopt(["old"], by: "admin2", in: &world, at: Self.t0 + 2)
        let views = MembershipTests.sameEverywhere(world, seed: 44)
        #expect(MembershipTests.stock(views, "col") == 0, "another administrator's adoption counts for nothing")
    }

    @Test func aRevokedCreatorAdoptsNothingMore() {
        var world = World(seed: 45)
        world.add("admin2")
        world.member("hub", .enrol, "admin2", roles: [.admin], at: Self.t0 + 1)
        Self.addFormatOne("early", to: &world)
        world.write("early", MembershipTests.harvest("h-early", producer: "col", grams: 100), at: Self.t0 - 1_000)
        world.sync("early", into: "hub")
        Self.adopt(["early"], by: "hub", in: &world, at: Self.t0 + 2)
        world.sync("hub", into: "admin2")
        world.member("admin2", .revoke, "hub", at: Self.t0 + 3)
        // The stolen creator device, its clock set back, adopts an invented history.
        Self.addFormatOne("invented", to: &world)
        world.write("invented", MembershipTests.harvest("h-invented", producer: "col", grams: 50_000), at: Self.t0 - 500)
        world.sync("invented", into: "hub")
        Self.adopt(["invented"], by: "hub", in: &world, at: Self.t0 - 400)
        let views = MembershipTests.sameEverywhere(world, seed: 46)
        #expect(MembershipTests.stock(views, "col") == 100)
    }

    @Test func aForkedFormatOneNodeIsAdoptedBranchByBranch() {
        var world = World(seed: 47)
        Self.addFormatOne("old", to: &world)
        world.write("old", MembershipTests.harvest("h-1", producer: "col", grams: 1), at: Self.t0 - 1_000)
        // A restored copy writes on from the same point: two branches at seq 2.
        var copy = Replica(node: world.node("old"), ledger: world.ledger)
        copy.merge(with: world.replicas["old"]!)
        copy.write(.append(MembershipTests.harvest("h-copy", producer: "col", grams: 20)), wallMillis: Self.t0 - 900)
        world.write("old", MembershipTests.harvest("h-2", producer: "col", grams: 300), at: Self.t0 - 800)
        world.replicas["old-copy"] = copy
        world.sync("old", into: "hub")
        world.sync("old-copy", into: "hub")
        var tips: [MemberCut] = []
        for head in world.replicas["hub"]!.history.heads(of: world.node("old")) {
            tips.append(MemberCut(node: head.dot.node, seq: head.dot.seq, head: head.hash))
        }
        #expect(tips.count == 2)
        world.replicas["hub"]!.assign(LedgerGenesis.adoptedKey(world.ledger), .text(LedgerGenesis.adoptedText(tips)),
                                      wallMillis: Self.t0 + 1)
        let views = MembershipTests.sameEverywhere(world, seed: 48)
        #expect(MembershipTests.stock(views, "col") == 321)
    }
}
