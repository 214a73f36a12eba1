import CarnetCore
import CarnetLedger
import CarnetTestKit
import Testing

/// Issue 17, items 4 and 5: in a signed ledger with members, whether an event counts
/// (author enrolled, within its roles, not past a revocation) comes out the same on every
/// node whatever order, duplication or grouping the events arrive in, and the fold kept as
/// events arrive agrees with the full recomputation.
@Suite("Members and verdicts")
struct MembershipTests {
    static let day = CalendarDay(daysSinceEpoch: 20_600)
    static let t0: UInt64 = 1_780_000_000_000

    /// A ledger created by `hub`, with devices made from one seed.
    struct World {
        let ledger: LedgerID
        var rng: SplitMix64
        var replicas: [String: Replica] = [:]

        init(seed: UInt64) {
            rng = SplitMix64(seed: seed)
            let creator = DeviceSigner.generate(using: &rng)
            let salt = DeviceSigner.randomSalt(using: &rng)
            ledger = LedgerID.derived(creator: creator.nodeKey.publicKey, salt: salt)
            var hub = Self.declared(creator, ledger: ledger)
            hub.assign(LedgerGenesis.genesisKey(ledger), .text(LedgerGenesis.text(creator: creator.nodeKey.publicKey, salt: salt)),
                       wallMillis: MembershipTests.t0)
            replicas["hub"] = hub
        }

        static func declared(_ device: DeviceSigner, ledger: LedgerID) -> Replica {
            var replica = Replica(node: device.node, ledger: ledger)
            replica.assign(NodeKey.declarationKey(for: device.node), .text(device.nodeKey.declarationText), wallMillis: MembershipTests.t0)
            return replica
        }

        mutating func add(_ name: String) {
            replicas[name] = Self.declared(DeviceSigner.generate(using: &rng), ledger: ledger)
        }

        func node(_ name: String) -> NodeID { replicas[name]!.node }

        /// `to` takes in everything `from` holds.
        mutating func sync(_ from: String, into to: String) {
            replicas[to]!.merge(with: replicas[from]!)
        }

        @discardableResult
        mutating func write(_ name: String, _ entry: Entry, at millis: UInt64) -> Event {
            replicas[name]!.write(.append(entry), wallMillis: millis)
        }

        mutating func member(_ name: String, _ action: MemberRecord.Action, _ target: String, roles: [MemberRole] = [],
                             at millis: UInt64) {
            let replica = replicas[name]!
            let targetNode = node(target)
            let cuts = action == .enrol ? [] : replica.history.chainHead(of: targetNode).map {
                [MemberCut(node: targetNode, seq: $0.dot.seq, head: $0.hash)]
            } ?? []
            let seq = (replica.history.chainHead(of: replica.node)?.dot.seq ?? 0) + 1
            let record = MemberRecord(id: MemberRecord.makeID(node: replica.node, seq: seq), action: action, device: targetNode,
                                      roles: MemberRoles(roles), cuts: cuts)
            write(name, record.coreEntry, at: millis)
        }

        var allEvents: [Event] {
            var events: [Event] = []
            for replica in replicas.values { replica.history.forEachEvent { events.append($0) } }
            return events
        }
    }

    static func harvest(_ id: String, producer: String, grams: Int64, lot: String = "L1") -> Entry {
        LedgerEntry(id: id, kind: .harvest, producer: producer, date: day, product: "miel", quantity: grams, unit: .grams, lot: lot).coreEntry
    }

    static func stock(_ views: LedgerViews, _ producer: String) -> Int64 {
        views.stock.filter { $0.producer == producer }.reduce(0) { $0 + $1.quantity }
    }

    /// The world's events delivered to fresh readers in shuffled orders, some twice, folded
    /// in uneven groups: the same views every time, the fold equal to the recomputation.
    static func sameEverywhere(_ world: World, seed: UInt64, sourceLocation: SourceLocation = #_sourceLocation) -> LedgerViews {
        let events = world.allEvents
        var rng = SplitMix64(seed: seed)
        var first: LedgerViews?
        for round in 0..<12 {
            var reader = Replica(node: NodeID.derived(from: "reader"), ledger: world.ledger)
            var fold = LedgerFold()
            var delivery = events.shuffled(using: &rng)
            if round % 2 == 1 { delivery += delivery.prefix(delivery.count / 3) }
            for event in delivery {
                reader.admit(event)
                if rng.next() % 4 == 0 { fold.catchUp(with: reader) }
            }
            let full = LedgerViews(replica: reader)
            let kept = LedgerViews(replica: reader, fold: &fold)
            #expect(kept == full, "seed \(seed) round \(round): fold differs in \(kept.differences(from: full))", sourceLocation: sourceLocation)
            if let first {
                #expect(full == first, "seed \(seed) round \(round): another order gave \(full.differences(from: first))", sourceLocation: sourceLocation)
            }
            first = first ?? full
        }
        return first!
    }

    @Test func anEntryForAnotherProducerAndACatalogEditWithoutTheRoleCountNowhere() {
        var world = World(seed: 1)
        world.add("a")
        world.replicas["hub"]!.assign(Catalog.partyKey("a", .name), .text("Ferme A"), wallMillis: Self.t0 + 1)
        world.member("hub", .enrol, "a", roles: [.producer("a")], at: Self.t0 + 2)
        world.sync("hub", into: "a")
        world.write("a", Self.harvest("h-a", producer: "a", grams: 500), at: Self.t0 + 3)
        world.write("a", Self.harvest("h-b", producer: "b", grams: 9_000), at: Self.t0 + 4)
        world.replicas["a"]!.assign(Catalog.partyKey("a", .name), .text("Forged"), wallMillis: Self.t0 + 5)
        let views = Self.sameEverywhere(world, seed: 11)
        #expect(Self.stock(views, "a") == 500)
        #expect(Self.stock(views, "b") == 0)
        #expect(views.catalog.partyName("a") == "Ferme A", "the forged name superseded the hub's; the hub's must show")
        let outOfRole = views.conflicts.filter { $0.kind == .outOfRole }
        #expect(outOfRole.count == 1)
        #expect(outOfRole.first?.sides.count == 2)
        #expect(!views.conflicts.contains { $0.kind == .field }, "the forged value is no side of a field conflict")
    }

    @Test func aDeviceWritesBeforeItIsEnrolledAndCountsOnceTheEnrolmentArrives() {
        var world = World(seed: 2)
        world.add("c")
        world.write("c", Self.harvest("h-c", producer: "c", grams: 700), at: Self.t0 + 1)
        let before = Self.sameEverywhere(world, seed: 21)
        #expect(Self.stock(before, "c") == 0)
        #expect(before.conflicts.isEmpty, "waiting for an enrolment is no conflict")
        world.member("hub", .enrol, "c", roles: [.producer("c")], at: Self.t0 + 2)
        let after = Self.sameEverywhere(world, seed: 22)
        #expect(Self.stock(after, "c") == 700)
        #expect(after.conflicts.isEmpty)
    }

    @Test func eventsPastARevocationsCutCountNowhereWhereverTheyArrivedFirst() {
        var world = World(seed: 3)
        world.add("a")
        world.member("hub", .enrol, "a", roles: [.producer("a")], at: Self.t0 + 1)
        world.write("a", Self.harvest("h-1", producer: "a", grams: 100), at: Self.t0 + 2)
        world.write("a", Self.harvest("h-2", producer: "a", grams: 200), at: Self.t0 + 3)
        world.sync("a", into: "hub")
        world.add("lagging")
        world.sync("a", into: "lagging")
        // The device is stolen: what it writes now reaches a lagging farm first.
        world.write("a", Self.harvest("h-3", producer: "a", grams: 4_000), at: Self.t0 + 4)
        world.write("a", Self.harvest("h-4", producer: "a", grams: 8_000), at: Self.t0 + 100_000)
        world.sync("a", into: "lagging")
        world.member("hub", .revoke, "a", at: Self.t0 + 5)
        let views = Self.sameEverywhere(world, seed: 31)
        #expect(Self.stock(views, "a") == 300)
        let revoked = views.conflicts.filter { $0.kind == .pastRevocation }
        #expect(revoked.count == 1 && revoked.first?.sides.count == 2)
    }

    @Test func aRevokedAdministratorCannotEnrolBySettingItsClockBack() {
        var world = World(seed: 4)
        world.add("admin2")
        world.add("thief-device")
        world.member("hub", .enrol, "admin2", roles: [.admin, .producer("x")], at: Self.t0 + 10)
        world.sync("hub", into: "admin2")
        world.sync("admin2", into: "hub")
        world.member("hub", .revoke, "admin2", at: Self.t0 + 20)
        // Past the cut, with a clock before the revocation: the enrolment comes first in
        // the ledger's order, and must still not count.
        var stolen = world.replicas["admin2"]!
        let record = MemberRecord(id: "member-late", action: .enrol, device: world.node("thief-device"), roles: MemberRoles([.producer("x")]))
        stolen.write(.append(record.coreEntry), wallMillis: Self.t0 + 11)
        world.replicas["admin2"] = stolen
        world.write("thief-device", Self.harvest("h-t", producer: "x", grams: 1_000), at: Self.t0 + 12)
        let views = Self.sameEverywhere(world, seed: 41)
        #expect(Self.stock(views, "x") == 0, "the thief's enrolment lies past admin2's revocation")
        #expect(views.conflicts.contains { $0.kind == .pastRevocation })
    }

    @Test func twoAdministratorsWhoRevokeEachOtherAreBothRevoked() {
        var world = World(seed: 5)
        world.add("a")
        world.add("b")
        world.member("hub", .enrol, "a", roles: [.admin, .producer("a")], at: Self.t0 + 1)
        world.member("hub", .enrol, "b", roles: [.admin, .producer("b")], at: Self.t0 + 2)
        world.sync("hub", into: "a")
        world.sync("hub", into: "b")
        world.sync("a", into: "b")
        world.sync("b", into: "a")
        world.member("a", .revoke, "b", at: Self.t0 + 3)
        world.member("b", .revoke, "a", at: Self.t0 + 4)
        world.write("a", Self.harvest("h-a", producer: "a", grams: 10), at: Self.t0 + 5)
        world.write("b", Self.harvest("h-b", producer: "b", grams: 20), at: Self.t0 + 6)
        let views = Self.sameEverywhere(world, seed: 51)
        #expect(Self.stock(views, "a") == 0)
        #expect(Self.stock(views, "b") == 0)
    }

    @Test func aReversalOfAnotherProducersEntryCancelsNothing() {
        var replica = Replica(node: NodeID.derived(from: "format-1"))
        let sale = LedgerEntry(id: "h-1", kind: .harvest, producer: "a", date: Self.day, product: "miel", quantity: 500,
                               unit: .grams, lot: "L1")
        replica.write(.append(sale.coreEntry), wallMillis: Self.t0)
        var foreign = sale.reversal(id: "r-1", date: Self.day, reason: "not mine")
        foreign.producer = "b"
        replica.write(.append(foreign.coreEntry), wallMillis: Self.t0 + 1)
        let state = LedgerState(replica: replica)
        #expect(state.stock().first?.quantity == 500)
        var fold = LedgerFold()
        #expect(LedgerViews(replica: replica, fold: &fold) == LedgerViews(replica: replica))
    }

    @Test func rolesChangedPastACutJudgeOnlyWhatFollows() {
        var world = World(seed: 6)
        world.add("a")
        world.member("hub", .enrol, "a", roles: [.producer("a"), .producer("b")], at: Self.t0 + 1)
        world.write("a", Self.harvest("h-1", producer: "b", grams: 100), at: Self.t0 + 2)
        world.sync("a", into: "hub")
        world.member("hub", .roles, "a", roles: [.producer("a")], at: Self.t0 + 3)
        world.write("a", Self.harvest("h-2", producer: "b", grams: 200), at: Self.t0 + 4)
        let views = Self.sameEverywhere(world, seed: 61)
        #expect(Self.stock(views, "b") == 100)
        #expect(views.conflicts.filter { $0.kind == .outOfRole }.first?.sides.count == 1)
    }

    @Test func aRevocationsCutNamesOneBranchOfAForkedDevice() {
        var world = World(seed: 8)
        world.add("a")
        world.member("hub", .enrol, "a", roles: [.producer("a")], at: Self.t0 + 1)
        world.write("a", Self.harvest("h-1", producer: "a", grams: 100), at: Self.t0 + 2)
        let backup = world.replicas["a"]!
        world.write("a", Self.harvest("h-2", producer: "a", grams: 200), at: Self.t0 + 3)
        world.sync("a", into: "hub")
        world.member("hub", .revoke, "a", at: Self.t0 + 4)
        // A copy of the device from before h-2 writes at h-2's seq: another branch, which
        // the cut (on h-2's branch) does not cover.
        var copy = backup
        copy.write(.append(Self.harvest("h-2b", producer: "a", grams: 5_000)), wallMillis: Self.t0 + 5)
        world.replicas["copy"] = copy
        let views = Self.sameEverywhere(world, seed: 81)
        // The order that makes a fold judge again: the copy's branch folded while it was
        // the only one (within the cut), then the cut's own branch arrives.
        let h2 = world.replicas["a"]!.history.chainHead(of: world.node("a"))!
        var reader = Replica(node: NodeID.derived(from: "reader"), ledger: world.ledger)
        var fold = LedgerFold()
        reader.admit(contentsOf: world.allEvents.filter { $0.id != h2.id })
        fold.catchUp(with: reader)
        reader.admit(h2)
        #expect(LedgerViews(replica: reader, fold: &fold) == views)
        #expect(Self.stock(views, "a") == 300)
        #expect(views.conflicts.contains { $0.kind == .pastRevocation && $0.sides.count == 1 })
        #expect(views.conflicts.contains { $0.kind == .fork })
    }

    @Test func aLedgerWhoseIdDerivesFromNoGenesisHasNoMembers() {
        var rng = SplitMix64(seed: 7)
        let device = DeviceSigner.generate(using: &rng)
        var replica = World.declared(device, ledger: LedgerID(using: &rng))
        replica.write(.append(Self.harvest("h-1", producer: "anyone", grams: 5)), wallMillis: Self.t0)
        #expect(!Membership(replica: replica).enforced)
        #expect(LedgerState(replica: replica).stock().first?.quantity == 5)
    }
}
