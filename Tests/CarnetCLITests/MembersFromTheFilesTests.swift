import CarnetCore
import CarnetLedger
@testable import CarnetNode
import Foundation
import Testing

/// In a signed ledger with members (SPEC §9.5), a node's own entry within the roles of its
/// next write is written from the files beside the log (`EntryAppender`), as in a ledger
/// without members: the views know that it counts (`MembersView.ownRoles`), and the entry
/// index is merged with its standing. Another device's entry, one outside the roles, and
/// any entry of a device not enrolled are left to the node, with nothing written. After
/// each write, `verify` folds every event again and finds the views file and the index
/// equal to what it made.
@Suite(.serialized)
struct MembersFromTheFilesTests {
    static let day = CalendarDay(epochMillis: 1_780_000_000_000)

    /// Writes a harvest for `producer` from the files of `directory`; nil when the appender
    /// declined (at open, or the views could not take it), with nothing written.
    static func harvest(_ directory: String, producer: String, lot: String) throws -> Event? {
        let wall = UInt64(Date().timeIntervalSince1970 * 1000)
        // The part of the views a harvest reads, as `record` names it.
        let part = ViewsPart(products: ["P0001"], lots: [ViewsPart.Lot(producer: producer, lot: lot)])
        guard var appender = EntryAppender.open(directory: directory, wallMillis: wall, part: part) else { return nil }
        // Both files written again at every write, as past the tail's bound (the tail itself:
        // `MembersTailTests`).
        appender.rewriteFilesAbove = -1
        let written = try appender.write(wallMillis: wall) { first in
            let entry = LedgerEntry(id: EntryIDs.make(kind: .harvest, node: first.node, seq: first.seq), kind: .harvest,
                                    producer: producer, date: day, product: "P0001", quantity: 2_000, unit: .grams, lot: lot)
            return [.append(entry.coreEntry)]
        }
        guard let event = written?.first else { return nil }
        #expect(appender.saveDerivedState().isEmpty, "\(directory): warnings")
        let throughTheNode = appender.indexThroughTheNode, patched = appender.viewsPatched
        #expect(!throughTheNode, "\(directory): the entry index was not merged with the entry written")
        #expect(patched, "\(directory): the views file was written whole, not patched")
        return event
    }

    static func sound(_ box: borrowing Sandbox, node: String, _ context: String) throws {
        let verify = try box.run(["verify"], node: node)
        #expect(verify.status == 0, "\(context): \(verify.stdout) \(verify.stderr)")
    }

    /// `show` of the entry `event` carries, from the index: it counts, under `roles`.
    static func expectShown(_ box: borrowing Sandbox, _ event: Event, node: String, roles: String, _ context: String) throws {
        let id = EntryIDs.make(kind: .harvest, node: event.dot.node, seq: event.dot.seq)
        let shown = try #require(try box.json(["show", id, "--json"], node: node) as? [String: Any])
        #expect(shown["verdict"] as? String == "counts" && shown["counts"] as? Bool == true, "\(context): \(shown)")
        #expect(shown["writerRoles"] as? String == roles, "\(context): \(shown)")
    }

    @Test func ownEntriesWithinTheirRolesAreWrittenFromTheFiles() throws {
        let box = try Sandbox()
        let file = box.path("coop.ledger")
        try box.ok(["ledger", "create", "--ledger", "coop", "--label", "hub", "--out", file])
        for device in ["f", "u"] { try box.ok(["init", "--ledger-file", file, "--label", device], node: device) }
        let f = try EntryIndexSignedTests.node(box, "f")
        try box.ok(["member", "add", f, "--role", "producer:F00"])
        try box.ok(["record", "harvest", "--actor", "F01", "--product", "P0001", "--qty", "1kg", "--lot", "H0", "--force"])
        try box.ok(["merge", box.path("a")], node: "f")
        try box.ok(["merge", box.path("a")], node: "u")

        // The creator writes for anyone; each entry merged into the index with its standing.
        for step in 0..<3 {
            let event = try #require(try Self.harvest(box.path("a"), producer: "F0\(step)", lot: "A\(step)"),
                                     "the hub's own entry was not written from the files")
            try Self.sound(box, node: "a", "hub, step \(step)")
            try Self.expectShown(box, event, node: "a", roles: "admin catalog producer:*", "hub, step \(step)")
        }
        // The enrolled device, within its role: from the files; outside it: declined.
        let own = try #require(try Self.harvest(box.path("f"), producer: "F00", lot: "F1"), "an entry within the role was declined")
        #expect(own.dot.node.hex == f)
        try Self.sound(box, node: "f", "f, within its role")
        try Self.expectShown(box, own, node: "f", roles: "producer:F00", "f, within its role")
        let statusBefore = try box.ok(["status", "--json"], node: "f")
        #expect(try Self.harvest(box.path("f"), producer: "F01", lot: "F2") == nil, "an entry outside the role was written from the files")
        #expect(try box.ok(["status", "--json"], node: "f") == statusBefore, "a declined write changed the node")
        // Not enrolled: what it writes waits for an enrolment, which the views cannot judge.
        #expect(try Self.harvest(box.path("u"), producer: "F00", lot: "U1") == nil, "a device not enrolled wrote from the files")
        // The node's own path still writes and warns, as before.
        let waiting = try box.run(["record", "harvest", "--actor", "F00", "--product", "P0001", "--qty", "1kg", "--lot", "U2", "--force"],
                                  node: "u")
        #expect(waiting.status == 0 && waiting.stderr.contains("not enrolled"), "\(waiting.stderr)")
        let refused = try box.run(["record", "harvest", "--actor", "F01", "--product", "P0001", "--qty", "1kg", "--lot", "F3", "--force"],
                                  node: "f")
        #expect(refused.status != 0 && refused.stderr.contains("producer:F01"), "\(refused.stderr)")
        // The hub takes the device's entries in; its views and index, folded again, agree.
        try box.ok(["merge", box.path("f"), box.path("u")])
        try Self.sound(box, node: "a", "hub after the devices' entries")
        #expect(try Self.harvest(box.path("a"), producer: "F03", lot: "A9") != nil, "the hub's entry after a merge was declined")
        try Self.sound(box, node: "a", "hub, last")
    }
}
