// Test equipment for the store's crash test (not part of the product): appends events to
// the log in DIR one record at a time and prints "ack SEQ" after each record is durable.
// The parent test kills it with SIGKILL at random moments and checks that every
// acknowledged event survived. Each start recovers the log and continues the same chain.
//
//   carnet-crash-child DIR COUNT [BATCH [CHUNK]]
//
// With CHUNK, every write reaches the kernel in pieces of CHUNK bytes, 20 µs apart (through
// the syscall funnel's fault injection, so in debug builds only), so that a kill often
// lands inside a record.
// CARNET_CHILD_NODE names the writing node (default "crash-child"), so that several
// children can write to one log at once. CARNET_CHILD_CHECKPOINT_EVERY=N writes a
// checkpoint after every N records, so that kills also land inside checkpoint writes.
import CarnetCore
import CarnetStore
import CarnetSystem
import Foundation

let arguments = CommandLine.arguments
guard arguments.count >= 3, let count = Int(arguments[2]) else {
    FileHandle.standardError.write(Data("usage: carnet-crash-child DIR COUNT [BATCH]\n".utf8))
    exit(64)
}
let batchSize = arguments.count > 3 ? Int(arguments[3]) ?? 1 : 1
let chunk = arguments.count > 4 ? Int(arguments[4]) : nil
/// Unbuffered: an acknowledgement must reach the parent before the next write starts.
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

func run() throws {
    var log = try EventLog.open(directory: arguments[1])
    let name = ProcessInfo.processInfo.environment["CARNET_CHILD_NODE"] ?? "crash-child"
    var replica = Replica(node: NodeID.derived(from: name))
    let summary = replica.admit(contentsOf: log.recovered)
    guard summary.pending == 0, summary.rejected == 0 else {
        FileHandle.standardError.write(Data("recovered log does not chain: \(summary)\n".utf8))
        exit(70)
    }
    say("recovered \(replica.eventCount)")
    let checkpointEvery = Int(ProcessInfo.processInfo.environment["CARNET_CHILD_CHECKPOINT_EVERY"] ?? "") ?? 0
    var records = 0
    var written = 0
    while written < count {
        var batch: [Event] = []
        for _ in 0..<batchSize {
            let seq = replica.versionVector[replica.node] + 1
            let entry = Entry(id: "crash-\(seq)", kind: "harvest", fields: [Field("qty", .int(Int64(seq)))])
            batch.append(replica.write(.append(entry), wallMillis: UInt64(Date().timeIntervalSince1970 * 1000)))
        }
        try log.log.append(batch)
        say("ack \(replica.versionVector[replica.node])")
        written += batchSize
        records += 1
        if checkpointEvery > 0 && records % checkpointEvery == 0 {
            try Checkpoint.write(replica.allEvents, stamp: log.log.stamp, directory: arguments[1])
        }
    }
}

do {
    if let chunk {
        #if CARNET_FAULT_INJECTION
        let pieces = FaultInjection.Rule(.write, times: .max, effect: .slowShortWrite(chunk, microseconds: 20))
        try FaultInjection.with([pieces], run)
        #else
        FileHandle.standardError.write(Data("carnet-crash-child: CHUNK \(chunk) needs fault injection, a debug build\n".utf8))
        exit(64)
        #endif
    } else {
        try run()
    }
} catch {
    FileHandle.standardError.write(Data("carnet-crash-child: \(error)\n".utf8))
    exit(1)
}
