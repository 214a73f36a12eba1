import CarnetCore
import CarnetStore
import CarnetTestKit
import Testing

/// A node's timestamps keep growing across process runs, even when the wall clock went
/// back between two of them (a device whose clock was fixed, a dead RTC battery).
struct ClockResumeTests {
    @Test func aWriteAfterTheWallClockWentBackStillOrdersAfterTheEarlierOnes() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let node = NodeID.derived(from: "farm")
        try NodeStore.create(directory: directory.path, ledger: "consortium", label: "farm", node: node)
        func open(at wall: UInt64) throws -> NodeStore {
            try NodeStore(directory: directory.path, wallMillis: wall) { NodeID.derived(from: "unused") }
        }
        let harvest = CarnetCore.Operation.append(Entry(id: "h", kind: "harvest", fields: []))
        var first = try open(at: 5_000_000)
        let early = try first.write(harvest, wallMillis: 5_000_000)
        var second = try open(at: 1_000_000)  // the wall clock is now 4,000 s behind
        let late = try second.write(harvest, wallMillis: 1_000_000)
        #expect(late.clock > early.clock, "\(late.clock) after \(early.clock)")
        #expect(second.replica.clock.last == late.clock)
    }

    /// HLC causality across nodes (T8): a store opened behind a peer's clock stamps its next
    /// write after the peer's events it holds, unless they lie more than 24 h ahead of its
    /// wall clock (a device wrong by years drags no one forward).
    @Test func aWriteFollowsOtherNodesEventsWithinTheDriftAndIgnoresWildClocks() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        try NodeStore.create(directory: directory.path, ledger: "consortium", label: "farm", node: NodeID.derived(from: "farm"))
        let hour: UInt64 = 3_600_000, now: UInt64 = 1_790_000_000_000
        var hub = Replica(node: NodeID.derived(from: "hub"))
        let hubEvent = hub.write(.append(Entry(id: "hub", kind: "delivery", fields: [])), wallMillis: now + hour)
        var wild = Replica(node: NodeID.derived(from: "wild"))
        let wildEvent = wild.write(.append(Entry(id: "wild", kind: "delivery", fields: [])), wallMillis: now + 3 * 8_760 * hour)
        do {
            var store = try NodeStore(directory: directory.path, wallMillis: now) { NodeID.derived(from: "unused") }
            try store.persist([hubEvent, wildEvent])
        }
        var store = try NodeStore(directory: directory.path, wallMillis: now) { NodeID.derived(from: "unused") }
        let write = try store.write(.append(Entry(id: "farm", kind: "harvest", fields: [])), wallMillis: now)
        #expect(write.clock > hubEvent.clock, "\(write.clock) after the hub's \(hubEvent.clock), an hour ahead")
        #expect(write.clock < wildEvent.clock && write.clock.physical == hubEvent.clock.physical,
                "\(write.clock): not dragged 3 years ahead to \(wildEvent.clock)")
    }
}
