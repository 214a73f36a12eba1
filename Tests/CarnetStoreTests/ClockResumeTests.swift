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
}
