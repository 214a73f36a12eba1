import CarnetCore
import CarnetStore
import CarnetWorkload
import Foundation

/// The durable store: bytes on disk per entry, open time, and durable append throughput.
enum StoreBench {
    static func report(replay: WorkloadReplay, runs: Int) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("carnet-bench-store-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let hub = replay.hub
        let entries = replay.entries
        print("\nstore (events.log on \(root.hasPrefix("/tmp") ? "/tmp" : root))")

        // The hub's store, filled as syncs fill it: each farm's events in batches of 1,000.
        let hubDirectory = root + "/hub"
        create(hubDirectory, node: WorkloadReplay.nodeID(forActor: replay.meta.hub))
        do {
            var store = open(hubDirectory)
            for node in hub.history.nodeIDs {
                let events = hub.history.events(of: node)
                var index = 0
                while index < events.count {
                    try store.persist(Array(events[index..<min(events.count, index + 1_000)]))
                    index += 1_000
                }
            }
        } catch {
            fail("store import failed: \(error)", code: 74)
        }
        let hubBytes = fileSize(hubDirectory + "/" + EventLog.fileName)
        print("  hub log      \(Format.grouped(hubBytes)) bytes for \(Format.grouped(hub.eventCount)) events = \(Format.fixed(Double(hubBytes) / Double(entries), 2)) bytes/entry (batches of 1,000 per node)")

        // Open without a checkpoint: recover the log, decode and re-hash every event.
        let (rebuildSamples, rebuilt) = Samples.time(runs: runs) { () -> Int in
            let store = open(hubDirectory)
            return store.replica.eventCount
        }
        print("  open, no checkpoint   \(rebuildSamples.timeSummary) to read the whole log and hold \(Format.grouped(rebuilt)) events")

        // Checkpoint and status file, then open from them.
        let checkpointStart = ContinuousClock().now
        do {
            var store = open(hubDirectory)
            try store.saveCheckpoint()
            try store.saveStatus(derived: [:])
        } catch {
            fail("checkpoint failed: \(error)", code: 74)
        }
        let checkpointTime = (ContinuousClock().now - checkpointStart).seconds
        let checkpointBytes = fileSize(hubDirectory + "/" + Checkpoint.fileName)
        print("  checkpoint   \(Format.grouped(checkpointBytes)) bytes (\(Format.fixed(Double(checkpointBytes) / Double(entries), 2)) bytes/entry), written with the status file in \(Format.fixed(checkpointTime * 1000, 1)) ms (open included)")
        let (readSamples, _) = Samples.time(runs: runs) { () -> Int in
            (try? Checkpoint.read(directory: hubDirectory))?.events.count ?? 0
        }
        print("  checkpoint read \(readSamples.timeSummary)")
        let (openSamples, opened) = Samples.time(runs: runs) { () -> Int in
            let store = open(hubDirectory)
            guard store.opening.checkpointEvents != nil else { fail("the checkpoint was not used: \(store.opening)", code: 70) }
            return store.replica.eventCount
        }
        print("  open, checkpoint      \(openSamples.timeSummary) to hold \(Format.grouped(opened)) events (checkpoint + log tail)")
        let (statusSamples, answered) = Samples.time(runs: runs) { () -> Int in
            guard let summary = StoreStatus.current(directory: hubDirectory) else { fail("the status file is stale", code: 70) }
            return summary.eventCount
        }
        print("  status       \(statusSamples.timeSummary) to answer status (\(Format.grouped(answered)) events) from the status file, checked against the log")

        // One farm writing its own entries one at a time, as the CLI does: one record each.
        let farm = WorkloadReplay.nodeID(forActor: "F18")
        let farmEvents = Array(hub.history.events(of: farm).prefix(500))
        let farmDirectory = root + "/farm"
        create(farmDirectory, node: farm)
        let clock = ContinuousClock()
        var store = open(farmDirectory)
        let start = clock.now
        do {
            for event in farmEvents { try store.persist([event]) }
        } catch {
            fail("single-event appends failed: \(error)", code: 74)
        }
        let single = (clock.now - start).seconds
        let farmBytes = fileSize(farmDirectory + "/" + EventLog.fileName)
        print("  1-event appends   \(farmEvents.count) durable appends (fsync each) in \(Format.fixed(single * 1000, 1)) ms = \(Format.rate(Double(farmEvents.count) / single)) appends/s; \(Format.fixed(Double(farmBytes) / Double(farmEvents.count), 1)) bytes/entry on disk")

        // 1,000-event batches.
        let batchDirectory = root + "/batches"
        create(batchDirectory, node: WorkloadReplay.nodeID(forActor: "batch-writer"))
        var batchStore = open(batchDirectory)
        let all = hub.allEvents
        let batches = stride(from: 0, to: min(all.count, 20_000), by: 1_000).map { Array(all[$0..<min(all.count, $0 + 1_000)]) }
        let batchStart = clock.now
        do {
            for batch in batches { try batchStore.persist(batch) }
        } catch {
            fail("batch appends failed: \(error)", code: 74)
        }
        let batchTime = (clock.now - batchStart).seconds
        let batchEvents = batches.reduce(0) { $0 + $1.count }
        print("  1,000-event appends \(batches.count) durable batches in \(Format.fixed(batchTime * 1000, 1)) ms = \(Format.rate(Double(batchEvents) / batchTime)) events/s")
    }

    private static func create(_ directory: String, node: NodeID) {
        do {
            try NodeStore.create(directory: directory, ledger: "bench", label: "bench", node: node)
        } catch {
            fail("cannot create a store in \(directory): \(error)", code: 73)
        }
    }

    private static func open(_ directory: String) -> NodeStore {
        do {
            return try NodeStore(directory: directory, wallMillis: 0) { NodeID.derived(from: "bench-continuation") }
        } catch {
            fail("cannot open the store in \(directory): \(error)", code: 74)
        }
    }

    private static func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? Int) ?? 0
    }
}
