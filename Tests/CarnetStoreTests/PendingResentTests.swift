import CarnetCore
import CarnetStore
import CarnetTestKit
import Foundation
import Testing

/// An event that waits for its predecessor is written to the log once: each session that
/// cannot fill the gap sends it again, and each copy was appended again.
struct PendingResentTests {
    @Test func aWaitingEventSentAgainIsNotAppendedAgainAndStillCountsAsWaiting() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        try NodeStore.create(directory: directory.path, ledger: "consortium", label: "hub", node: NodeID.derived(from: "hub"))
        var farm = Replica(node: NodeID.derived(from: "farm"))
        let first = farm.write(.append(Entry(id: "a", kind: "harvest", fields: [])), wallMillis: 1)
        let second = farm.write(.append(Entry(id: "b", kind: "harvest", fields: [])), wallMillis: 2)
        var store = try NodeStore(directory: directory.path, wallMillis: 3) { NodeID.derived(from: "unused") }
        let log = directory.path + "/events.log"
        #expect(try store.persist([second]).pending == 1)
        let size = try FileManager.default.attributesOfItem(atPath: log)[.size] as? Int
        let again = try store.persist([second])
        #expect(again.pending == 1, "still reported as waiting")
        #expect(try FileManager.default.attributesOfItem(atPath: log)[.size] as? Int == size, "nothing appended for it")
        try store.persist([first])
        #expect(store.replica.eventCount == 2 && store.replica.history.pendingCount == 0, "the gap filled, both accepted")
        let reopened = try NodeStore(directory: directory.path, wallMillis: 4) { NodeID.derived(from: "unused") }
        #expect(reopened.replica.eventCount == 2 && reopened.replica.history.pendingCount == 0)
        #expect(reopened.replica.digest == store.replica.digest)
    }
}
