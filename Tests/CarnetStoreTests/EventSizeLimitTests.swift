import CarnetCore
import CarnetStore
import CarnetTestKit
import CarnetWire
import Foundation
import Testing

/// A writer must not make an event no peer would accept (protocol/SPEC.md §3.2): a note
/// too long for the per-event limit is refused with a clear error, and nothing is stored.
struct EventSizeLimitTests {
    private func note(_ bytes: Int, id: String = "n1") -> CarnetCore.Operation {
        .append(Entry(id: id, kind: "harvest", fields: [Field("note", .text(String(repeating: "é", count: bytes / 2)))]))
    }

    private func openStore(_ directory: TemporaryDirectory) throws -> NodeStore {
        try NodeStore(directory: directory.path, wallMillis: 1) { NodeID.derived(from: "fresh") }
    }

    @Test func aLocalWriteAboveTheLimitIsRefusedAndNothingIsStored() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        try NodeStore.create(directory: directory.path, ledger: "coop", label: "col", node: NodeID.derived(from: "col"))
        var store = try openStore(directory)
        try store.write(note(100, id: "small"), wallMillis: 2)
        let sizeBefore = store.stamp.size
        let error = #expect(throws: StoreError.self) {
            try store.writeBatch([self.note(10), self.note(WireLimits.maxEventCanonicalBytes, id: "big")], wallMillis: 3)
        }
        guard case let .eventTooLarge(what, bytes, limit, local)? = error else {
            Issue.record("expected eventTooLarge, got \(String(describing: error))")
            return
        }
        #expect(what == "entry big" && bytes > limit && limit == WireLimits.maxEventCanonicalBytes && local)
        #expect("\(error!)".contains("nothing was written"))
        // Neither event of the batch was written or applied, and the store writes on.
        #expect(store.stamp.size == sizeBefore)
        #expect(store.replica.eventCount == 1)
        try store.write(note(100, id: "after"), wallMillis: 4)
        let reopened = try openStore(directory)
        #expect(reopened.replica.eventCount == 2)
    }

    @Test func anEventFromElsewhereAboveTheLimitIsNotPersisted() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        try NodeStore.create(directory: directory.path, ledger: "coop", label: "hub", node: NodeID.derived(from: "hub"))
        var store = try openStore(directory)
        var other = Replica(node: NodeID.derived(from: "other"))
        let fine = other.write(note(100, id: "fine"), wallMillis: 1)
        let big = other.write(note(WireLimits.maxEventCanonicalBytes, id: "big"), wallMillis: 2)
        let error = #expect(throws: StoreError.self) { try store.persist([fine, big]) }
        guard case let .eventTooLarge(_, _, _, local)? = error else {
            Issue.record("expected eventTooLarge, got \(String(describing: error))")
            return
        }
        #expect(!local)
        #expect(store.replica.eventCount == 0)
    }
}
