import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The scenarios that need nothing but the release `carnet` binary and the workload file,
/// as a consortium would run them:
///
/// - *build*: every farm imports its own lines (`carnet import FILE --actor F03`), the hub
///   its catalog edits, each node in its own directory, as many at once as there are cores;
/// - *aggregation*: a `carnet serve` hub and the 20 farms' `carnet sync` processes at the
///   same time, twice (the second round brings each farm what the others sent), until
///   every node shows the hub's digest;
/// - *cold open*: the aggregated hub, a new process each time: `carnet status` answered
///   from the status file, then with the status file removed (a full open of the store).
enum ProcessBench {
    static var binary: String { Machine.repoRoot + "/.build/release/carnet" }

    static func report(file: WorkloadFile, actors: [String], hub hubActor: String, runs: Int) {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            print("\nbuild, aggregation, cold open: skipped (build the binary first: swift build -c release --product carnet)")
            return
        }
        var buildTimes: [Double] = [], buildRates: [Double] = [], nodeRates: [Double] = [], buildPeaks: [Double] = []
        var aggregateTimes: [Double] = [], aggregateBytes: [Double] = []
        var fastStatus: [ChildRun] = [], fullStatus: [ChildRun] = []
        var events = 0, logBytes = 0
        for _ in 0..<runs {
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("carnet-bench-process-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: root) }
            try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            let secret = root + "/ledger.secret"
            _ = ChildProcess.ok(binary, ["secret", "new", "--out", secret])
            for actor in actors {
                _ = ChildProcess.ok(binary, ["--dir", root + "/" + actor, "init", "--ledger", "bench", "--label", actor, "--secret-file", secret])
            }

            // Build: every node imports its own lines, `processors` processes at a time.
            let imports = Outcomes(count: actors.count)
            let start = ContinuousClock().now
            DispatchQueue.concurrentPerform(iterations: Machine.processors) { worker in
                for index in stride(from: worker, to: actors.count, by: Machine.processors) {
                    imports.set(index, ChildProcess.ok(binary, ["--dir", root + "/" + actors[index], "import", file.path, "--actor", actors[index], "--json"]))
                }
            }
            let buildSeconds = (ContinuousClock().now - start).seconds
            let built = imports.all.map(ChildProcess.json)
            let written = built.reduce(0) { $0 + ($1["events"] as? Int ?? 0) }
            buildTimes.append(buildSeconds)
            buildRates.append(Double(written) / buildSeconds)
            for (run, object) in zip(imports.all, built) {
                nodeRates.append(Double(object["events"] as? Int ?? 0) / run.seconds)
            }
            buildPeaks.append(Double(imports.all.map(\.maxResidentKiB).max() ?? 0))

            // Aggregation: the hub serves, the farms sync at once, twice.
            let hubDirectory = root + "/" + hubActor
            let serve = ServeProcess(binary: binary, directory: hubDirectory, extra: ["--max-sessions", String(actors.count + 8)])
            let farms = actors.filter { $0 != hubActor }
            let sessions = Outcomes(count: farms.count * 2)
            let address = serve.address.description
            let aggregateStart = ContinuousClock().now
            for round in 0..<2 {
                allAtOnce(farms.count) { index in
                    sessions.set(round * farms.count + index,
                                 ChildProcess.ok(binary, ["--dir", root + "/" + farms[index], "sync", address, "--json"]))
                }
            }
            aggregateTimes.append((ContinuousClock().now - aggregateStart).seconds)
            serve.stop()
            aggregateBytes.append(Double(sessions.all.map(ChildProcess.json).reduce(0) { total, object in
                total + ((object["sent"] as? [String: Any])?["bytes"] as? Int ?? 0) + ((object["received"] as? [String: Any])?["bytes"] as? Int ?? 0)
            }))
            let digests = Set(actors.map { actor in
                ChildProcess.json(ChildProcess.ok(binary, ["--dir", root + "/" + actor, "status", "--json"]))["digest"] as? String ?? "?"
            })
            guard digests.count == 1 else { fail("aggregation: the nodes did not converge (\(digests.count) digests)", code: 70) }

            // Cold open of the aggregated hub.
            for _ in 0..<3 {
                fastStatus.append(ChildProcess.ok(binary, ["--dir", hubDirectory, "status", "--json"]))
            }
            try? FileManager.default.removeItem(atPath: hubDirectory + "/status")
            let full = ChildProcess.ok(binary, ["--dir", hubDirectory, "status", "--json"])
            guard ChildProcess.json(full)["fromStatusFile"] as? Bool == false else { fail("cold open: status still came from its file", code: 70) }
            fullStatus.append(full)
            events = ChildProcess.json(full)["events"] as? Int ?? 0
            logBytes = (try? FileManager.default.attributesOfItem(atPath: hubDirectory + "/events.log")[.size] as? Int) ?? 0
        }

        print("\nbuild (the release binary: each node imports its own lines, `carnet import FILE --actor NAME`, \(Machine.processors) processes at a time)")
        print("  nodes        \(actors.count) (\(hubActor) imports the catalog edits it wrote, each farm its entries and edits)")
        print("  time         \(Samples(values: buildTimes).timeSummary) wall for all nodes")
        print("  rate         \(Format.rate(Samples(values: buildRates).median)) events/s in all (median; min–max \(Format.rate(Samples(values: buildRates).min))–\(Format.rate(Samples(values: buildRates).max))); per process \(Format.rate(Samples(values: nodeRates).median)) events/s (median of \(nodeRates.count) imports, start to exit)")
        print("  peak RSS     \(Format.fixed(Samples(values: buildPeaks).median / 1024, 0)) MB, the largest import process")
        print("\nhub aggregation, real processes (`carnet serve` hub, \(actors.count - 1) `carnet sync` processes at once, two rounds; loopback)")
        print("  converged    every node shows the same digest: \(Format.grouped(events)) events")
        print("  time         \(Samples(values: aggregateTimes).timeSummary) wall for both rounds")
        print("  bytes        \(Format.grouped(Int(Samples(values: aggregateBytes).median))) on the wire in all (median), \(Format.fixed(Samples(values: aggregateBytes).median / Double(max(events, 1)), 2)) per hub event")
        let fastTimes = Samples(values: fastStatus.map(\.seconds)), fullTimes = Samples(values: fullStatus.map(\.seconds))
        print("\ncold open of the aggregated hub (\(Format.grouped(events)) events, events.log \(Format.grouped(logBytes)) bytes; a new process each time)")
        print("  status       \(fastTimes.timeSummary), peak RSS \(Format.fixed(Samples(values: fastStatus.map { Double($0.maxResidentKiB) }).median / 1024, 0)) MB (status file current, \(fastStatus.count) runs)")
        print("  full open    \(fullTimes.timeSummary), peak RSS \(Format.fixed(Samples(values: fullStatus.map { Double($0.maxResidentKiB) }).median / 1024, 0)) MB (status file removed: log + checkpoint read, views and conflicts rebuilt, \(fullStatus.count) runs)")
    }

    /// Cold open of a hub that imported the whole file as one author (`--only cold-open`;
    /// at 1M the aggregation scenario would need 20 processes of a gigabyte each): the
    /// import, then `status` from the status file and with it removed, a new process each.
    static func reportColdOpen(file: WorkloadFile, runs: Int, signed: Bool = false) {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            print("\ncold open: skipped (build the binary first: swift build -c release --product carnet)")
            return
        }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("carnet-bench-open-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let ledger = BenchLedger(root: root, signed: signed)
        let hub = root + "/hub"
        ledger.createHub(hub)
        let imported = ChildProcess.ok(binary, ["--dir", hub, "import", file.path, "--json"])
        let events = ChildProcess.json(imported)["events"] as? Int ?? 0
        var fast: [ChildRun] = [], full: [ChildRun] = []
        for _ in 0..<runs {
            try? FileManager.default.removeItem(atPath: hub + "/status")
            let run = ChildProcess.ok(binary, ["--dir", hub, "status", "--json"])
            guard ChildProcess.json(run)["fromStatusFile"] as? Bool == false else { fail("cold open: status still came from its file", code: 70) }
            full.append(run)
            fast.append(ChildProcess.ok(binary, ["--dir", hub, "status", "--json"]))
        }
        let logBytes = (try? FileManager.default.attributesOfItem(atPath: hub + "/events.log")[.size] as? Int) ?? 0
        func peak(_ runs: [ChildRun]) -> String { Format.fixed(Samples(values: runs.map { Double($0.maxResidentKiB) }).median / 1024, 0) + " MB" }
        print("\ncold open of a hub that imported the whole file (`carnet import`, one author; a new process each time)"
              + (signed ? "; a signed ledger with members, the hub its creator" : ""))
        print("  import       \(Format.grouped(events)) events in \(Format.fixed(imported.seconds, 2)) s (\(Format.rate(Double(events) / imported.seconds)) events/s), peak RSS \(imported.megabytes); events.log \(Format.grouped(logBytes)) bytes")
        print("  status       \(Samples(values: fast.map(\.seconds)).timeSummary), peak RSS \(peak(fast)) (status file current, \(runs) runs)")
        print("  full open    \(Samples(values: full.map(\.seconds)).timeSummary), peak RSS \(peak(full)) (status file removed: log + checkpoint read, views and conflicts rebuilt, \(runs) runs)")
        reportReads(hub: hub, events: events, runs: runs)
        WritersBench.report(hub: hub, ledger: ledger, runs: runs)
        ServeBench.report(hub: hub, ledger: ledger, runs: runs)
    }

    /// Reading commands as fresh processes on the imported hub (issue 19's table): those
    /// that answer from the views file, the same with the file removed, and those that
    /// still open the store; then the bytes on disk per event, every file of the node.
    static func reportReads(hub: String, events: Int, runs: Int) {
        func row(_ name: String, _ arguments: [String], removing file: String? = nil, note: String) {
            var samples: [ChildRun] = []
            for _ in 0..<runs {
                if let file { try? FileManager.default.removeItem(atPath: hub + "/" + file) }
                samples.append(ChildProcess.ok(binary, ["--dir", hub] + arguments))
            }
            let rss = Format.fixed(Samples(values: samples.map { Double($0.maxResidentKiB) }).median / 1024, 0)
            print("  \(name.padding(toLength: 22, withPad: " ", startingAt: 0)) \(Samples(values: samples.map(\.seconds)).timeSummary), peak RSS \(rss) MB (\(note))")
        }
        print("\nreading commands on that hub (a new process each, \(runs) runs)")
        _ = ChildProcess.ok(binary, ["--dir", hub, "stock", "--json"])
        for command in [["stock"], ["stock", "--by-lot"], ["balances"], ["availability"], ["conflicts"], ["product", "list"], ["party", "list"]] {
            row(command.joined(separator: " "), command + ["--json"], note: "views file current")
        }
        row("stock, no views file", ["stock", "--json"], removing: "views", note: "store opened, every event folded, the file rewritten")
        let entry = ChildProcess.ok(binary, ["--dir", hub, "log", "--limit", "1", "--json"])
        let id = ((try? JSONSerialization.jsonObject(with: Data(entry.stdout.utf8))) as? [[String: Any]])?.first?["id"] as? String
        row("log --limit 5", ["log", "--limit", "5", "--json"], note: "entry index")
        if let id { row("show ID", ["show", id, "--json"], note: "entry index") }
        var size = 0
        for name in (try? FileManager.default.contentsOfDirectory(atPath: hub)) ?? [] {
            size += (try? FileManager.default.attributesOfItem(atPath: hub + "/" + name)[.size] as? Int) ?? 0
        }
        let views = (try? FileManager.default.attributesOfItem(atPath: hub + "/views")[.size] as? Int) ?? 0
        print("  on disk                \(Format.grouped(size)) bytes in every file of the node = \(Format.fixed(Double(size) / Double(max(events, 1)), 1)) bytes/event (views file \(Format.grouped(views)) bytes)")
    }

    /// Results of processes run on several threads, by index.
    /// Runs `body(0) … body(count - 1)` each on a thread of its own, all started at once,
    /// and waits for them: `concurrentPerform` runs only as many at a time as there are
    /// cores, so "20 syncs at once" were two at a time until this change.
    static func allAtOnce(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let group = DispatchGroup()
        for index in 0..<count {
            group.enter()
            Thread.detachNewThread {
                body(index)
                group.leave()
            }
        }
        group.wait()
    }

    final class Outcomes: @unchecked Sendable {
        // `@unchecked Sendable`: `runs` is only touched under `lock`.
        private let lock = NSLock()
        private var runs: [ChildRun?]
        init(count: Int) { runs = Array(repeating: nil, count: count) }
        func set(_ index: Int, _ run: ChildRun) { lock.withLock { runs[index] = run } }
        var all: [ChildRun] { lock.withLock { runs.compactMap { $0 } } }
    }
}
