import CarnetCore
import CarnetLedger
@testable import CarnetNode
import CarnetStore
import CarnetTestKit
import Foundation
import Testing

/// A new farm's first merge carries its label: a register write, which a writer without
/// the registers could not take, so the hub opened its replica (18 s at ten million
/// entries). The views' node records (SPEC §6.5, section 17) say when that label's
/// register is empty and no node continues the farm: then the label is the farm's own
/// write, taken from the files alone, and every file must read as a fold of every event.
@Suite("A node's first label taken from the files alone")
struct OwnLabelTakeTests {
    @discardableResult
    private static func label(_ farm: inout Replica, _ text: String, wall: UInt64, superseding: Bool = true) -> Event {
        let key = NodeLabels.key(farm.node)
        return superseding ? farm.assign(key, .text(text), wallMillis: wall)
            : farm.write(.assign(Assignment(key: key, value: .text(text))), wallMillis: wall)
    }

    @discardableResult
    private static func harvest(_ farm: inout Replica, producer: String, wall: UInt64, using rng: inout SplitMix64) -> Event {
        let seq = (farm.history.chainHead(of: farm.node)?.dot.seq ?? 0) + 1
        let entry = LedgerEntry(id: EntryIDs.make(kind: .harvest, node: farm.node, seq: seq), kind: .harvest, producer: producer,
                                date: CalendarDay(epochMillis: wall), product: "Q\(Int.random(in: 0..<3, using: &rng))",
                                quantity: Int64.random(in: 1...20, using: &rng) * 100, unit: .grams, lot: "L\(producer)")
        return farm.write(.append(entry.coreEntry), wallMillis: wall)
    }

    /// The views as a fold of every event gives them.
    private static func folded(_ directory: String, wall: UInt64) throws -> LedgerViews {
        let store = try NodeStore(directory: directory, wallMillis: wall) { NodeID.derived(from: "x") }
        return LedgerViews(replica: store.replica)
    }

    /// The newest five assignments of the store, newest first: what `log` lists under its entries.
    private static func newestChanges(_ directory: String, wall: UInt64) throws -> [EventID] {
        let store = try NodeStore(directory: directory, wallMillis: wall) { NodeID.derived(from: "x") }
        let history = store.replica.history
        let changes = history.nodeIDs.flatMap { history.events(of: $0) }.filter { event in
            if case .assign = event.operation { return true }
            return false
        }
        return changes.sorted { ($0.clock, $0.id) > ($1.clock, $1.id) }.prefix(5).map(\.id)
    }

    private static func logSize(_ directory: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: directory + "/events.log")[.size] as? Int)
    }

    @Test("new farms' labels and entries are taken from the files alone, and every file then reads as a fold")
    func newFarmsTaken() throws {
        let base = testSeed(default: 0x1ABE_1017)
        for offset in 0..<3 as Range<UInt64> {
            let seed = base &+ offset
            var rng = SplitMix64(seed: seed)
            let directory = EntryIndexTests.directory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            var wall: UInt64 = 1_790_000_000_000
            try ViewsFileWithWritesTests.hub(directory, seed: seed, holding: RandomHistory(seed: seed, nodes: 3, steps: 30), wall: wall)
            for index in 0..<4 {
                wall += 3_600_000
                let context = "seed \(seed), farm \(index)"
                var farm = Replica(node: NodeID.derived(from: "farm \(seed) \(index)"))
                // A farm renaming itself before its first merge: its second label supersedes the first.
                let text = "Ferme \(index) — été"
                if index == 2 { Self.label(&farm, "brouillon", wall: wall) }
                Self.label(&farm, text, wall: wall)
                for _ in 0..<Int.random(in: 1...4, using: &rng) { Self.harvest(&farm, producer: "F\(index)", wall: wall, using: &rng) }
                let events = farm.history.events(of: farm.node).shuffled(using: &rng)
                guard var appender = EntryAppender.open(directory: directory, wallMillis: wall) else {
                    Issue.record("\(context): the files beside the log were current")
                    return
                }
                // Half the farms left to readers as the log past the files (§6.8), half written in them.
                appender.rewriteFilesAbove = index % 2 == 0 ? DerivedTail.writersRewriteAbove : -1
                let counts = try appender.take(events)
                #expect(counts == AdmissionCounts(accepted: events.count, duplicates: 0, pending: 0, rejected: 0),
                        "\(context): the label was not taken from the files")
                #expect(appender.saveDerivedState().isEmpty, "\(context)")
                let fold = try Self.folded(directory, wall: wall)
                #expect(fold.labels[farm.node] == text && fold.nodeRecords?.contains(farm.node) == true, "\(context)")
                let file = try #require(LedgerViewsFile.current(directory: directory), "\(context): no current views file")
                #expect(file.differences(from: fold).isEmpty, "\(context): views differ in \(file.differences(from: fold))")
                #expect(file.nodeRecords == fold.nodeRecords, "\(context): node records")
                // A reader of the labels alone, and `show` and `log`'s names.
                #expect(LedgerViewsFile.current(directory: directory, parts: [.labels])?.labels == fold.labels, "\(context)")
                let index = try #require(EntryIndex.current(directory: directory), "\(context): no current index")
                #expect(index.names.label(of: farm.node) == text, "\(context): index names")
                #expect(try index.newestChanges(5).map(\.id) == Self.newestChanges(directory, wall: wall), "\(context): changes")
                let audit = try StoreAudit.run(directory: directory)
                #expect(audit.problems.isEmpty, "\(context): \(audit.problems)")
            }
        }
    }

    @Test("a label whose register is not known to be empty, or left in conflict, is declined with nothing written")
    func labelsDeclined() throws {
        let seed = testSeed(default: 0x1ABE_D0C1)
        var rng = SplitMix64(seed: seed)
        let directory = EntryIndexTests.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var wall: UInt64 = 1_790_000_000_000
        try ViewsFileWithWritesTests.hub(directory, seed: seed, holding: RandomHistory(seed: seed, nodes: 2, steps: 10), wall: wall)
        let named = NodeID.derived(from: "named \(seed)"), continued = NodeID.derived(from: "continued \(seed)")
        // Another node labels one farm before it comes, and says a third continues another.
        var admin = Replica(node: NodeID.derived(from: "admin \(seed)"))
        let written = [admin.assign(NodeLabels.key(named), .text("named by the admin"), wallMillis: wall),
                       admin.assign(FieldKey(Replica.incarnationRecordType, NodeID.derived(from: "heir \(seed)").hex,
                                             Replica.incarnationField),
                                    .text(continued.hex.uppercased()), wallMillis: wall)]
        do {
            var node = try LocalNode(directory: directory, wallMillis: wall)
            _ = try node.persist(written)
            #expect(node.saveDerivedState().isEmpty)
        }
        let listed = try #require(LedgerViewsFile.current(directory: directory)?.nodeRecords)
        #expect(listed.contains(named) && listed.contains(continued), "seed \(seed): \(listed)")

        func declines(_ farm: Replica, _ why: String) throws {
            wall += 60_000
            let size = try Self.logSize(directory)
            guard var appender = EntryAppender.open(directory: directory, wallMillis: wall) else {
                Issue.record("seed \(seed): \(why): the files beside the log were current")
                return
            }
            #expect(try appender.take(farm.history.events(of: farm.node)) == nil, "seed \(seed): \(why)")
            #expect(try Self.logSize(directory) == size, "seed \(seed): \(why): written")
        }
        for node in [named, continued] {
            var farm = Replica(node: node)
            Self.label(&farm, "its own", wall: wall)
            Self.harvest(&farm, producer: "F", wall: wall, using: &rng)
            try declines(farm, "a listed node's label")
        }
        // Two labels neither of which supersedes the other: a conflict the views would miss.
        var torn = Replica(node: NodeID.derived(from: "torn \(seed)"))
        Self.label(&torn, "A", wall: wall, superseding: false)
        Self.label(&torn, "B", wall: wall, superseding: false)
        try declines(torn, "a label left in conflict")
        // Through the node it is taken, and the conflict shows.
        do {
            var node = try LocalNode(directory: directory, wallMillis: wall)
            _ = try node.persist(torn.history.events(of: torn.node))
            #expect(node.saveDerivedState().isEmpty)
        }
        #expect(LedgerViewsFile.current(directory: directory)?.conflicts.contains { $0.kind == .field } == true)

        // A views file of an earlier build has no node records: nothing can be told.
        let views = try #require(LedgerViewsFile.current(directory: directory))
        var earlier = views
        earlier.nodeRecords = nil
        let stamp = try #require(StampedSections.current(LedgerViewsFile.fileName, as: .views, directory: directory, wanted: [])).stamp
        try ViewsBlocksTests.write(earlier, stamp: stamp, directory)
        #expect(LedgerViewsFile.current(directory: directory)?.nodeRecords == nil, "seed \(seed): section 17 still there")
        var fresh = Replica(node: NodeID.derived(from: "fresh \(seed)"))
        Self.label(&fresh, "fresh", wall: wall)
        try declines(fresh, "a file without node records")
        // The node writes them again once it reads the registers.
        do {
            var node = try LocalNode(directory: directory, wallMillis: wall)
            _ = try node.persist(fresh.history.events(of: fresh.node))
            #expect(node.saveDerivedState().isEmpty)
        }
        #expect(LedgerViewsFile.current(directory: directory)?.nodeRecords?.contains(fresh.node) == true, "seed \(seed)")
    }

    @Test("taking labels: each node's writes into an empty register, one text or nothing is changed")
    func takeLabelsRule() {
        let empty = LedgerViews(stock: [], balances: [], availability: [], conflicts: [], catalog: Catalog(products: [], parties: []),
                                labels: [:], entryCount: 0, unreadableCount: 0, nodeRecords: [])
        var farm = Replica(node: NodeID.derived(from: "rule farm"))
        let first = OwnLabelWrite(Self.label(&farm, "one", wall: 1))!
        let second = OwnLabelWrite(Self.label(&farm, "two", wall: 2))!
        var views = empty
        // Order does not change the result: the second supersedes the first either way.
        let taken = views.takeLabels([second, first], knownEmpty: true)
        #expect(taken && views.labels == [farm.node: "two"] && views.nodeRecords == [farm.node])
        // Listed now: a second take is refused, and changes nothing.
        let before = views
        let again = views.takeLabels([second], knownEmpty: true)
        #expect(!again && views == before)
        // Unknown records: a writer refuses, a reader (trusting its writer) takes.
        var unknown = empty
        unknown.nodeRecords = nil
        let byWriter = unknown.takeLabels([first], knownEmpty: true)
        let byReader = unknown.takeLabels([first], knownEmpty: false)
        #expect(!byWriter && byReader && unknown.labels[farm.node] == "one" && unknown.nodeRecords == nil)
        // Another node's record, or a value that is not text, is no own label.
        var other = Replica(node: NodeID.derived(from: "rule other"))
        #expect(OwnLabelWrite(other.assign(NodeLabels.key(farm.node), .text("x"), wallMillis: 3)) == nil)
        #expect(OwnLabelWrite(other.assign(NodeLabels.key(other.node), .int(7), wallMillis: 4)) == nil)
    }
}
