import Foundation

/// `carnet serve` on the imported hub as a real process (issue 19's table, `--only
/// cold-open`, after the writers): its resident memory once started, new farms joining it
/// (each a fresh node syncing the whole hub), their next day's sync (the hub saves what
/// they bring from the files beside the log), a day when each farm receives the hub's
/// record (the farm saves it from its files), and stopping on SIGTERM.
enum ServeBench {
    static func report(hub: String, ledger: BenchLedger, runs: Int) {
        let binary = ProcessBench.binary
        let log = ledger.root + "/serve.log"
        let server = ServeProcess(binary: binary, directory: hub, log: log)
        let pid = server.pid, address = server.address.description
        let started = waitIdle(pid)
        print("\n`carnet serve` on that hub (a real process; farms as fresh processes)")
        print("  serve, started        resident \(mib(LoadBench.residentKiB(pid))) once idle (\(Format.fixed(started, 1)) s of CPU)")
        func row(_ name: String, _ samples: [ChildRun], note: String) {
            let rss = Format.fixed(Samples(values: samples.map { Double($0.maxResidentKiB) }).median / 1024, 0)
            print("  \(name.padding(toLength: 21, withPad: " ", startingAt: 0)) \(Samples(values: samples.map(\.seconds)).timeSummary), peak RSS \(rss) MB on the farm (\(note))")
        }
        var lot = 0
        func harvests(_ farm: String, _ count: Int) {
            for _ in 0..<count {
                lot += 1
                _ = ChildProcess.ok(binary, ["--dir", farm, "record", "harvest", "--producer", "bench-serve", "--product", "bench-serve",
                                             "--qty", "1kg", "--lot", "serve-\(lot)", "--force"])
            }
        }
        let farms = (0..<runs).map { ledger.root + "/serve-farm-\($0)" }
        var joins: [ChildRun] = [], residentAfterJoins: [Int] = []
        for (index, farm) in farms.enumerated() {
            ledger.join(farm, label: "serve farm \(index)", hub: hub)
            harvests(farm, 3)
            joins.append(ChildProcess.ok(binary, ["--dir", farm, "sync", address]))
            _ = waitIdle(pid)
            residentAfterJoins.append(LoadBench.residentKiB(pid))
        }
        row("a new farm joins", joins, note: "its label and 3 harvests sent, the whole hub received; \(runs) farms")
        print("  serve, after joins    resident \(residentAfterJoins.map(mib).joined(separator: ", ")) once idle after each")
        var days: [ChildRun] = []
        for farm in farms {
            harvests(farm, 3)
            days.append(ChildProcess.ok(binary, ["--dir", farm, "sync", address]))
        }
        row("next day's sync", days, note: "3 harvests sent")
        // The hub records while it serves; each farm receives that record.
        _ = ChildProcess.ok(binary, ["--dir", hub, "record", "harvest", "--producer", "bench-serve", "--product", "bench-serve",
                                     "--qty", "2kg", "--lot", "serve-hub", "--force"])
        Thread.sleep(forTimeInterval: 1.5)
        row("a farm receives", farms.map { ChildProcess.ok(binary, ["--dir", $0, "sync", address]) }, note: "the hub's record")
        _ = waitIdle(pid)
        print("  serve, at the end     resident \(mib(LoadBench.residentKiB(pid))), peak \(mib(LoadBench.peakKiB(pid)))")
        let stopping = Date()
        server.stop()
        print("  serve, SIGTERM        stopped in \(Format.fixed(Date().timeIntervalSince(stopping), 2)) s")
        // Its saves folded every event only when the files beside the log could not take what came.
        let folds = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").filter { $0.contains("views folded") }
        let reasons = folds.map { line in line.split(separator: " ", maxSplits: 2).last.map(String.init) ?? "" }
        print("  serve, folds          \(folds.count)\(reasons.map { ": " + $0 }.joined(separator: "; "))")
    }

    private static func mib(_ kib: Int) -> String { Format.fixed(Double(kib) / 1024, 0) + " MB" }

    /// Waits until the process has used no CPU for a second (its saves done), at most two
    /// minutes; returns the CPU seconds it used in all.
    private static func waitIdle(_ pid: Int32) -> Double {
        var last = cpuSeconds(pid), still = 0
        for _ in 0..<240 where still < 4 {
            Thread.sleep(forTimeInterval: 0.25)
            let now = cpuSeconds(pid)
            still = now == last ? still + 1 : 0
            last = now
        }
        return last
    }

    private static func cpuSeconds(_ pid: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // utime and stime: fields 14 and 15 of the line, 12 and 13 after the name.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
