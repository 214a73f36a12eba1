import CarnetCore
import CarnetStore
import CarnetTestKit
import Foundation
import Testing

/// Two writers on one log (the CLI and `carnet serve`): records never interleave, and each
/// sees what the other wrote.
struct SharingTests {
    @Test func twoOpenLogsSeeEachOthersAppends() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        var first = try EventLog.open(directory: directory.path)
        var second = try EventLog.open(directory: directory.path)
        var x = Replica(node: NodeID.derived(from: "x")), y = Replica(node: NodeID.derived(from: "y"))
        let fromX = [x.write(.append(Entry(id: "x1", kind: "harvest", fields: [])), wallMillis: 1)]
        let fromY = [y.write(.append(Entry(id: "y1", kind: "harvest", fields: [])), wallMillis: 1)]
        #expect(try first.log.append(fromX).isEmpty)
        #expect(try second.log.append(fromY).map(\.id) == fromX.map(\.id), "the second writer learns of the first's record")
        #expect(try first.log.refresh().map(\.id) == fromY.map(\.id))
        #expect(try first.log.refresh().isEmpty)
        let reopened = try EventLog.open(directory: directory.path)
        #expect(reopened.recovered.map(\.id) == (fromX + fromY).map(\.id))
    }

    @Test func concurrentProcessesNeverInterleaveRecords() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let child = try CrashTests.childExecutable()
        let writers = (0..<3).map { index -> Process in
            let process = Process()
            process.executableURL = child
            // Small pieces per write make interleaving likely if the lock did not hold.
            process.arguments = [directory.path, "150", String(1 + index), "5"]
            process.environment = ["CARNET_CHILD_NODE": "writer-\(index)"]
            process.standardOutput = FileHandle.nullDevice
            return process
        }
        for process in writers { try process.run() }
        for process in writers { process.waitUntilExit() }
        #expect(writers.allSatisfy { $0.terminationStatus == 0 })
        let log = try EventLog.open(directory: directory.path)
        #expect(log.report.cutBytes == 0)
        var replica = Replica(node: NodeID.derived(from: "checker"))
        let summary = replica.admit(contentsOf: log.recovered)
        #expect(summary.accepted == log.recovered.count && summary.pending == 0)
        for index in 0..<3 {
            #expect(replica.versionVector[NodeID.derived(from: "writer-\(index)")] >= 150)
        }
    }
}
