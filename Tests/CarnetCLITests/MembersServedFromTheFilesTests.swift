import CarnetCore
import CarnetLedger
@testable import CarnetNode
import CarnetStore
import Foundation
import Testing

/// In a signed ledger with members (SPEC §9.5), the entries a session brings from an
/// enrolled device are saved from the files beside the log (`ServedFilesSave`, what `serve`
/// and `carnet sync` save with), as in a ledger without members: the views keep how each
/// node's next events are judged (`MembersView.chainEnds`, section 18 of the views file),
/// and the entry index is merged with each entry's standing. Entries that do not count (a
/// device not enrolled, a producer outside the roles) are left to the fold. After each save
/// `verify` folds every event again and finds both files equal to what it made.
@Suite(.serialized)
struct MembersServedFromTheFilesTests {
    /// What a session from `farm` brings the hub: the farm's chain past the hub's head of it,
    /// up to the farm's signed head.
    static func session(from farm: String, into hub: String) throws -> SignedEvents {
        let farmStore = try NodeStore(directory: farm, wallMillis: 0) { NodeID.derived(from: "unused") }
        let hubStore = try NodeStore(directory: hub, wallMillis: 0) { NodeID.derived(from: "unused") }
        let node = farmStore.identity.node
        // A node the hub does not hold comes whole: from before its first event.
        let held = hubStore.replica.history.chainHead(of: node)?.id ?? EventID(dot: Dot(node: node, seq: 0), hash: .zero)
        let found = farmStore.chainToSignedHead(after: held)
        let chain = try #require(found, "no signed chain past the hub's head of \(farm)")
        return SignedEvents(events: chain.events, heads: [chain.head])
    }

    /// Takes the session into the hub's store and saves from the files; the save made, or
    /// why the files could not tell. `rewriteAbove`: `ServedFilesSave.make`'s (-1, both files
    /// written again; the bound, a tail left to readers where they can judge it, SPEC §6.8).
    static func take(_ batch: SignedEvents, hub directory: String, rewriteAbove: Int = -1) throws
        -> Result<ServedFilesSave, ServedFilesSave.Declined> {
        var store = try NodeStore(directory: directory, wallMillis: 1_790_000_000_000, keepingChainsCold: true) {
            NodeID.derived(from: "unused")
        }
        let counts = try store.persist(batch)
        #expect(counts.accepted == batch.events.count, "\(counts)")
        let made = Result { () throws(ServedFilesSave.Declined) -> ServedFilesSave in
            try ServedFilesSave.make(directory: directory, storage: store.fileStorage, replica: store.replica, end: store.stamp,
                                     rewriteAbove: rewriteAbove)
        }
        if case let .success(save) = made {
            switch save.writes {
            case let .files(_, entries, _):
                // Merged, and what a build from every entry writes, byte for byte.
                #expect(save.indexMerged, "the entry index was built, not merged")
                let built = EntryIndexFile.body(replica: store.replica, names: EntryIndexNames(replica: store.replica),
                                                stamp: store.stamp, directory: directory, storage: store.fileStorage)
                #expect(entries == built, "the merged entry index differs from the one built")
            case let .status(derived):
                #expect(rewriteAbove >= 0 && derived[DerivedTail.statusFigure] != nil, "no tail named: \(derived)")
            case .nothing:
                Issue.record("a session's save wrote nothing")
            }
            #expect(save.write(into: &store).isEmpty, "warnings")
        } else {
            // What `serve` does then: fold every event.
            var fold = LedgerFold()
            #expect(store.saveDerivedState(fold: &fold).isEmpty, "warnings")
        }
        return made
    }

    /// Takes `batch` into the hub's node opened cold, as `merge` does
    /// (`StoreAccess.openAddingToViewsFile`), and saves; whether the views file took it.
    static func takeThroughTheNode(_ batch: SignedEvents, hub: String) throws -> Bool {
        var node = try LocalNode(directory: hub, wallMillis: 1_790_000_000_000, keepingChainsCold: true) { NodeID.derived(from: "x") }
        let read = node.addWritesToViewsFile()
        #expect(read, "the hub's files are not current")
        let taken = try node.persist(batch)
        #expect(taken.accepted == batch.events.count)
        let added = node.addsWritesToViewsFile
        let warnings = node.saveDerivedState()
        #expect(warnings.isEmpty, "\(warnings)")
        return added
    }

    static func record(_ box: borrowing Sandbox, _ node: String, producer: String, lot: String) throws {
        try box.ok(["record", "harvest", "--actor", producer, "--product", "P0001", "--qty", "1kg", "--lot", lot, "--force"], node: node)
    }

    /// A hub ("a") that created the ledger, `f` enrolled for F00, `g` for F01, `u` never
    /// enrolled; each holds the others' first events. Returns f's node id.
    static func coop(_ box: borrowing Sandbox) throws -> String {
        let file = box.path("coop.ledger")
        try box.ok(["ledger", "create", "--ledger", "coop", "--label", "hub", "--out", file])
        for device in ["f", "g", "u"] { try box.ok(["init", "--ledger-file", file, "--label", device], node: device) }
        let f = try EntryIndexSignedTests.node(box, "f"), g = try EntryIndexSignedTests.node(box, "g")
        try box.ok(["member", "add", f, "--role", "producer:F00"])
        try box.ok(["member", "add", g, "--role", "producer:F01"])
        try Self.record(box, "a", producer: "F02", lot: "A0")
        for device in ["f", "g", "u"] { try box.ok(["merge", box.path("a")], node: device) }
        try box.ok(["merge", box.path("f"), box.path("g"), box.path("u")])
        return f
    }

    @Test func enrolledDevicesEntriesAreSavedFromTheFiles() throws {
        let box = try Sandbox()
        let f = try Self.coop(box)
        let hub = box.path("a")

        // Each enrolled device's day, within its roles: saved from the files. The second
        // round's last session brings entries older than the one before it: they go before
        // those in the index, and g's standing, new there, is listed after f's. That round's
        // saves leave a tail readers add (SPEC §6.8); the next merges the index past it.
        for (round, days) in [[("f", "F00")], [("g", "F01"), ("f", "F00")], [("g", "F01")]].enumerated() {
            for (device, producer) in days {
                for lot in 0..<3 { try Self.record(box, device, producer: producer, lot: "\(device)\(round)\(lot)") }
            }
            for (device, producer) in days.reversed() {
                let batch = try Self.session(from: box.path(device), into: hub)
                let made = try Self.take(batch, hub: hub, rewriteAbove: round == 1 ? DerivedTail.writersRewriteAbove : -1)
                if case let .failure(declined) = made { Issue.record("\(device)'s day was folded: \(declined)") }
                try MembersFromTheFilesTests.sound(box, node: "a", "after \(device)'s day")
                let last = try #require(batch.events.last)
                try MembersFromTheFilesTests.expectShown(box, last, node: "a", roles: "producer:\(producer)", "\(device)'s last entry")
            }
        }
        // A device not enrolled: its entries wait for an enrolment; the views cannot judge that.
        try Self.record(box, "u", producer: "F00", lot: "u0")
        let waiting = try Self.session(from: box.path("u"), into: hub)
        if case .success = try Self.take(waiting, hub: hub) { Issue.record("a device not enrolled was saved from the files") }
        try MembersFromTheFilesTests.sound(box, node: "a", "after u's entry")
        // The hub changes f's roles: f, not knowing yet, writes for its old producer. Out of
        // role at the hub, so folded; then for its new one, from the files again.
        try box.ok(["member", "roles", f, "--role", "producer:F03"])
        try Self.record(box, "f", producer: "F00", lot: "f9")
        let outOfRole = try Self.session(from: box.path("f"), into: hub)
        if case .success = try Self.take(outOfRole, hub: hub) { Issue.record("an entry out of role was saved from the files") }
        try MembersFromTheFilesTests.sound(box, node: "a", "after f's entry out of role")
        try box.ok(["merge", box.path("a")], node: "f")
        try Self.record(box, "f", producer: "F03", lot: "f10")
        let withinNewRoles = try Self.session(from: box.path("f"), into: hub)
        if case let .failure(declined) = try Self.take(withinNewRoles, hub: hub) {
            Issue.record("f's entry within its new roles was folded: \(declined)")
        }
        try MembersFromTheFilesTests.sound(box, node: "a", "after f's entry within its new roles")
    }

    /// `merge` (and `bundle apply`) take signed events through the node, which adds them to
    /// the views read from the file when they count (`LocalNode.addWritesToViewsFile`), and
    /// merges the entry index, instead of folding every event.
    @Test func mergesAddEnrolledDevicesEntriesToTheViews() throws {
        let box = try Sandbox()
        _ = try Self.coop(box)
        let hub = box.path("a")
        for (device, producer, counts) in [("f", "F00", true), ("g", "F01", true), ("u", "F00", false), ("g", "F01", true)] {
            try Self.record(box, device, producer: producer, lot: "\(device)-\(producer)")
            let batch = try Self.session(from: box.path(device), into: hub)
            let added = try Self.takeThroughTheNode(batch, hub: hub)
            #expect(added == counts, "\(device) for \(producer): added to the views \(added)")
            try MembersFromTheFilesTests.sound(box, node: "a", "after \(device)'s entry for \(producer)")
        }
        // The command itself, from a directory, then a bundle.
        try Self.record(box, "g", producer: "F01", lot: "g-cli")
        try box.ok(["merge", box.path("g")])
        try MembersFromTheFilesTests.sound(box, node: "a", "after merging g")
    }

    /// The hub's enrolment of a new farm reaches a farm together with the new farm's first
    /// events, in either order: the save takes the enrolment into the views' new nodes
    /// (`MembersView.takeEnrolment`) and the new farm's entries count under it, as a fold
    /// finds. Another member record (a change of roles) is left to the fold.
    @Test func anEnrolmentOfANewDeviceIsSavedFromTheFiles() throws {
        let box = try Sandbox()
        let f = try Self.coop(box)
        let hub = box.path("a"), farm = box.path("f")
        try box.ok(["init", "--ledger-file", box.path("coop.ledger"), "--label", "n"], node: "n")
        try box.ok(["merge", hub], node: "n")
        // n writes before anyone enrolled it: its entry waits, and counts once the enrolment arrives.
        let early = try box.run(["record", "harvest", "--actor", "F05", "--product", "P0001", "--qty", "1kg", "--lot", "n0", "--force"],
                                node: "n")
        #expect(early.status == 0, "\(early.stderr)")
        try box.ok(["member", "add", try EntryIndexSignedTests.node(box, "n"), "--role", "producer:F05"])
        try MembersFromTheFilesTests.sound(box, node: "a", "the hub after the enrolment")
        // f gets n's events first, then the hub's enrolment of n, in one session's record.
        let fromN = try Self.session(from: box.path("n"), into: farm), fromHub = try Self.session(from: hub, into: farm)
        let both = SignedEvents(events: fromN.events + fromHub.events, heads: fromN.heads + fromHub.heads)
        if case let .failure(declined) = try Self.take(both, hub: farm) {
            Issue.record("the enrolment and the new farm's events were folded: \(declined)")
        }
        try MembersFromTheFilesTests.sound(box, node: "f", "f after n's events and its enrolment")
        try MembersFromTheFilesTests.expectShown(box, try #require(fromN.events.last), node: "f", roles: "producer:F05", "n's entry at f")
        // A change of roles carries cuts: the fold judges it.
        try box.ok(["member", "roles", f, "--role", "producer:F06"])
        if case .success = try Self.take(try Self.session(from: hub, into: farm), hub: farm) {
            Issue.record("a change of roles was saved from the files")
        }
        try MembersFromTheFilesTests.sound(box, node: "f", "f after its change of roles")
    }

    /// A device the hub enrolled before its first merge: the node, opened cold, takes its key,
    /// label and entries into the views read from the file (`MemberNewNodes.named`), and
    /// `merge` opens it so; one never enrolled is left to the fold.
    @Test func aNewDeviceEnrolledFirstIsMergedIntoTheViews() throws {
        let box = try Sandbox()
        _ = try Self.coop(box)
        let hub = box.path("a")
        for device in ["n", "m", "k"] {
            try box.ok(["init", "--ledger-file", box.path("coop.ledger"), "--label", device], node: device)
        }
        for device in ["n", "k"] {
            try box.ok(["member", "add", try EntryIndexSignedTests.node(box, device), "--role", "producer:F05"])
        }
        for device in ["n", "m", "k"] {
            try box.ok(["merge", hub], node: device)
            try Self.record(box, device, producer: "F05", lot: "\(device)0")
        }
        var enrolledEntry: Event?
        for (device, named) in [("n", true), ("m", false)] {
            let batch = try Self.session(from: box.path(device), into: hub)
            if device == "n" { enrolledEntry = batch.events.last }
            let views = try #require(LedgerViewsFile.members(directory: hub), "the views file does not read")
            #expect((views.newNodes?.named[try #require(batch.events.first).dot.node] != nil) == named, "\(device): the views' new nodes")
            let added = try Self.takeThroughTheNode(batch, hub: hub)
            #expect(added == named, "\(device): added to the views \(added)")
            try MembersFromTheFilesTests.sound(box, node: "a", "after \(device)'s first merge")
        }
        try MembersFromTheFilesTests.expectShown(box, try #require(enrolledEntry), node: "a", roles: "producer:F05", "n's entry")
        // The command itself, for another device enrolled first.
        try box.ok(["merge", box.path("k")])
        try MembersFromTheFilesTests.sound(box, node: "a", "after merging k")
    }

    /// A device the hub enrolled before it ever synced: its first session (its key, its
    /// label, its entries) is saved from the files, judged by the views' new nodes
    /// (`MemberNewNodes`); one never enrolled is left to the fold.
    @Test func aNewDeviceEnrolledFirstIsSavedFromTheFiles() throws {
        let box = try Sandbox()
        _ = try Self.coop(box)
        let hub = box.path("a")
        try box.ok(["init", "--ledger-file", box.path("coop.ledger"), "--label", "n"], node: "n")
        try box.ok(["init", "--ledger-file", box.path("coop.ledger"), "--label", "m"], node: "m")
        let n = try EntryIndexSignedTests.node(box, "n")
        try box.ok(["member", "add", n, "--role", "producer:F05"])
        for device in ["n", "m"] { try box.ok(["merge", hub], node: device) }
        try Self.record(box, "n", producer: "F05", lot: "n0")
        let first = try Self.session(from: box.path("n"), into: hub)
        if case let .failure(declined) = try Self.take(first, hub: hub) { Issue.record("n's first session was folded: \(declined)") }
        try MembersFromTheFilesTests.sound(box, node: "a", "after n's first session")
        try MembersFromTheFilesTests.expectShown(box, try #require(first.events.last), node: "a", roles: "producer:F05", "n's entry")
        // Its next day, from the files as any enrolled device's.
        try Self.record(box, "n", producer: "F05", lot: "n1")
        if case let .failure(declined) = try Self.take(try Self.session(from: box.path("n"), into: hub), hub: hub,
                                                       rewriteAbove: DerivedTail.writersRewriteAbove) {
            Issue.record("n's next day was folded: \(declined)")
        }
        try MembersFromTheFilesTests.sound(box, node: "a", "after n's next day")
        // Never enrolled: its entry does not count; the fold judges.
        try box.run(["record", "harvest", "--actor", "F05", "--product", "P0001", "--qty", "1kg", "--lot", "m0", "--force"], node: "m")
        let stranger = try Self.session(from: box.path("m"), into: hub)
        if case .success = try Self.take(stranger, hub: hub) { Issue.record("a device never enrolled was saved from the files") }
        try MembersFromTheFilesTests.sound(box, node: "a", "after m's first session")
    }
}
