import CarnetCore
import CarnetLedger
@testable import CarnetNode
import CarnetStore
import CarnetSystem
import Foundation
import Testing

/// In a signed ledger with members, a node's own entries written from the files leave the
/// views file and the entry index behind the log, as in a ledger without members (SPEC
/// §6.8): readers add the tail, and give each entry the standing of its writer's chain end
/// (views section 18). Before, every such write rewrote both files (a quarter of a second at
/// a million entries). Each step is checked by `verify`, which folds every event again and
/// compares the views and the index, the tail added, with what it makes.
@Suite(.serialized)
struct MembersTailTests {
    /// A harvest by `producer` written from the files of `directory`, as `record` writes
    /// it; nil when the appender declined. `rewriteAbove`: `EntryAppender.rewriteFilesAbove`.
    static func harvest(_ directory: String, producer: String, lot: String, rewriteAbove: Int = DerivedTail.writersRewriteAbove)
        throws -> (event: Event, patched: Bool, indexThroughTheNode: Bool)? {
        let wall = UInt64(Date().timeIntervalSince1970 * 1000)
        let part = ViewsPart(products: ["P0001"], lots: [ViewsPart.Lot(producer: producer, lot: lot)])
        guard var appender = EntryAppender.open(directory: directory, wallMillis: wall, part: part) else { return nil }
        appender.rewriteFilesAbove = rewriteAbove
        let written = try appender.write(wallMillis: wall) { first in
            let entry = LedgerEntry(id: EntryIDs.make(kind: .harvest, node: first.node, seq: first.seq), kind: .harvest,
                                    producer: producer, date: MembersFromTheFilesTests.day, product: "P0001", quantity: 2_000,
                                    unit: .grams, lot: lot)
            return [.append(entry.coreEntry)]
        }
        guard let event = written?.first else { return nil }
        #expect(appender.saveDerivedState().isEmpty, "\(directory): warnings")
        return (event, appender.viewsPatched, appender.indexThroughTheNode)
    }

    /// The status file's tail figure, when it names one.
    static func tailFigure(_ directory: String) throws -> Int? {
        try #require(StoreStatus.current(directory: directory, storage: PosixStorage()), "no current status file").derived[DerivedTail.statusFigure]
    }

    /// A ledger whose creator `a` holds the enrolled device `f` (role `producer:F00`) and
    /// one harvest of its own; `f` holds what `a` does.
    static func coop(_ box: borrowing Sandbox) throws -> String {
        let file = box.path("coop.ledger")
        try box.ok(["ledger", "create", "--ledger", "coop", "--label", "hub", "--out", file])
        try box.ok(["init", "--ledger-file", file, "--label", "f"], node: "f")
        let f = try EntryIndexSignedTests.node(box, "f")
        try box.ok(["member", "add", f, "--role", "producer:F00"])
        try box.ok(["record", "harvest", "--actor", "F01", "--product", "P0001", "--qty", "1kg", "--lot", "H0", "--force"])
        try box.ok(["merge", box.path("a")], node: "f")
        return f
    }

    @Test func ownEntriesLeaveATailThatReadersAddWithTheirStandings() throws {
        let box = try Sandbox()
        let f = try Self.coop(box)
        let hub = box.path("a")
        // Three writes leave a tail (after `record`'s in `coop`); readers add it, each entry
        // counting under the hub's roles.
        let before = try #require(EntryIndex.current(directory: hub)).tail.count
        var written: [Event] = []
        for step in 0..<3 {
            let write = try #require(try Self.harvest(hub, producer: "F0\(step)", lot: "T\(step)"), "step \(step): declined")
            #expect(!write.patched, "step \(step): the views file was written again")
            #expect(try Self.tailFigure(hub) != nil, "step \(step): the status file names no tail")
            written.append(write.event)
            let index = try #require(EntryIndex.current(directory: hub), "step \(step): the index does not read with its tail")
            #expect(index.tail.count == before + step + 1, "step \(step): \(index.tail.count) entries in the index's tail")
            for event in written {
                try MembersFromTheFilesTests.expectShown(box, event, node: "a", roles: "admin catalog producer:*", "hub, step \(step)")
            }
            try MembersFromTheFilesTests.sound(box, node: "a", "hub, step \(step)")
        }
        // `log` hands the tail's entries with their standing, newest first.
        let log = try #require(try box.json(["log", "--limit", "3", "--json"], node: "a") as? [[String: Any]])
        let ids = written.reversed().map { EntryIDs.make(kind: .harvest, node: $0.dot.node, seq: $0.dot.seq) }
        #expect(log.compactMap { $0["id"] as? String } == ids, "\(log)")
        #expect(log.allSatisfy { $0["verdict"] as? String == "counts" }, "\(log)")
        let stock = try box.ok(["stock", "--by-lot"], node: "a")
        #expect(["T0", "T1", "T2"].allSatisfy(stock.contains), "\(stock)")

        // Past the bound both files are written again: the views patched from the log past
        // them, the index merged with every writer's standing, and the status names no tail.
        let rewrite = try #require(try Self.harvest(hub, producer: "F03", lot: "T3", rewriteAbove: 3), "the rewrite was declined")
        #expect(rewrite.patched, "the views file was not patched from the log past it")
        #expect(!rewrite.indexThroughTheNode, "the entry index was built through the node, not merged")
        #expect(try Self.tailFigure(hub) == nil, "the status file still names a tail after the rewrite")
        #expect(EntryIndex.current(directory: hub)?.tail.count == 0)
        try MembersFromTheFilesTests.expectShown(box, rewrite.event, node: "a", roles: "admin catalog producer:*", "hub, rewritten")
        try MembersFromTheFilesTests.sound(box, node: "a", "hub, rewritten")

        // The enrolled device's own entry leaves a tail shown under its role.
        let own = try #require(try Self.harvest(box.path("f"), producer: "F00", lot: "F1"), "the device's entry was declined")
        #expect(own.event.dot.node.hex == f && !own.patched)
        #expect(try Self.tailFigure(box.path("f")) != nil)
        try MembersFromTheFilesTests.expectShown(box, own.event, node: "f", roles: "producer:F00", "f")
        try MembersFromTheFilesTests.sound(box, node: "f", "f")
        // The hub takes it in through the node, which reads its own tail first; then both agree.
        try box.ok(["merge", box.path("f")])
        try MembersFromTheFilesTests.sound(box, node: "a", "hub after the device's entry")
        try MembersFromTheFilesTests.expectShown(box, own.event, node: "a", roles: "producer:F00", "hub, the device's entry")
    }

    @Test func aTailIsReadOnlyWhereTheViewsKeepItsWritersChainEnds() throws {
        let box = try Sandbox()
        _ = try Self.coop(box)
        let hub = box.path("a")
        let tailed = try #require(try Self.harvest(hub, producer: "F01", lot: "T0"))
        #expect(try Self.tailFigure(hub) != nil)
        // A views file without section 18 (an earlier build's) gives the tail's entries no
        // standing: the index is not read with it, and a reader opens the store.
        try Self.withoutChainEnds(hub)
        #expect(EntryIndex.current(directory: hub) == nil, "the index was read with a tail whose standings nothing gives")
        try MembersFromTheFilesTests.expectShown(box, tailed.event, node: "a", roles: "admin catalog producer:*", "through the store")
        // The node writes the three files for the log exactly; without chain ends a write then
        // leaves no tail, and writes both files again, the views patched from what it wrote.
        do {
            var node = try LocalNode(directory: hub, wallMillis: 0)
            let warnings = node.saveDerivedState()
            #expect(warnings.isEmpty, "\(warnings)")
        }
        try Self.withoutChainEnds(hub)
        #expect(try Self.tailFigure(hub) == nil)
        let write = try #require(try Self.harvest(hub, producer: "F02", lot: "T1"), "declined without chain ends")
        #expect(write.patched, "the views file was not patched")
        #expect(!write.indexThroughTheNode, "the entry index was built through the node, not merged")
        #expect(try Self.tailFigure(hub) == nil, "a tail was left that its readers cannot judge")
        try MembersFromTheFilesTests.expectShown(box, write.event, node: "a", roles: "admin catalog producer:*", "no chain ends")
        // Sections 17 and 18 are optional: `verify` holds a file without them to the rest.
        try MembersFromTheFilesTests.sound(box, node: "a", "no chain ends")
    }

    /// Writes `directory`'s views file again as an earlier build did: without section 18.
    static func withoutChainEnds(_ directory: String) throws {
        var views = try #require(LedgerViewsFile.current(directory: directory), "the views file does not read")
        views.members.chainEnds = nil
        views.members.newNodes = nil
        let stamp = try #require(StampedSections.opened(LedgerViewsFile.fileName, as: .views, directory: directory, wanted: [],
                                                        storage: PosixStorage(), acceptingPrefix: true)).sections.stamp
        let file = StampedSections.encoded(stamp: stamp, sections: LedgerViewsFile.sections(views, conflicts: nil).map { ($0.id, $0.bytes[...]) },
                                           as: .views)
        try Data(file).write(to: URL(fileURLWithPath: directory + "/" + LedgerViewsFile.fileName))
        #expect(LedgerViewsFile.current(directory: directory)?.members.chainEnds == nil, "section 18 still there")
    }
}
