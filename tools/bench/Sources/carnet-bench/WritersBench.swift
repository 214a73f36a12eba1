import Foundation

/// Writers on the imported hub as fresh processes (issue 19's table, `--only cold-open`):
/// one `record`, a new farm's first `merge` (its label and three harvests), the same farms'
/// next day, and the write that rewrites the views file and the entry index (every 257th:
/// the worst single write). What a hub pays per farm and per entry, whatever it holds.
enum WritersBench {
    static func report(hub: String, ledger: BenchLedger, runs: Int) {
        let binary = ProcessBench.binary
        // A producer and product the hub holds, so that the writes look like its own.
        let stock = ChildProcess.ok(binary, ["--dir", hub, "stock", "--json"])
        let lines = (try? JSONSerialization.jsonObject(with: Data(stock.stdout.utf8))) as? [[String: Any]] ?? []
        guard let first = lines.first, let producer = first["producer"] as? String, let product = first["product"] as? String else {
            print("\nwriters: skipped (the hub holds no stock)")
            return
        }
        var written = 0
        func harvest(_ directory: String, lot: String) -> ChildRun {
            written += 1
            return ChildProcess.ok(binary, ["--dir", directory, "record", "harvest", "--producer", producer, "--product", product,
                                            "--qty", "1kg", "--lot", "\(lot)-\(written)", "--force"])
        }
        func row(_ name: String, _ samples: [ChildRun], note: String) {
            let rss = Format.fixed(Samples(values: samples.map { Double($0.maxResidentKiB) }).median / 1024, 0)
            print("  \(name.padding(toLength: 22, withPad: " ", startingAt: 0)) \(Samples(values: samples.map(\.seconds)).timeSummary), peak RSS \(rss) MB (\(note))")
        }
        print("\nwriters on that hub (a new process each)")
        row("record", (0..<runs).map { _ in harvest(hub, lot: "bench-record") }, note: "one harvest, \(runs) runs")
        // New farms: each a fresh node of the ledger (enrolled, when signed) with three harvests of its own.
        let farms = (0..<runs).map { ledger.root + "/farm-\($0)" }
        var firsts: [ChildRun] = [], nexts: [ChildRun] = []
        for (index, farm) in farms.enumerated() {
            ledger.join(farm, label: "bench farm \(index)", hub: hub)
            for _ in 0..<3 { _ = harvest(farm, lot: "bench-farm-\(index)") }
            firsts.append(ChildProcess.ok(binary, ["--dir", hub, "merge", farm]))
        }
        for (index, farm) in farms.enumerated() {
            for _ in 0..<3 { _ = harvest(farm, lot: "bench-farm-\(index)") }
            nexts.append(ChildProcess.ok(binary, ["--dir", hub, "merge", farm]))
        }
        row("new farm's first merge", firsts, note: "its label and 3 harvests, \(runs) farms")
        row("next day's merge", nexts, note: "3 harvests, the same farms")
        // Records until one writes the views file again (a new file renamed over it).
        func viewsFile() -> Int { (try? FileManager.default.attributesOfItem(atPath: hub + "/views")[.systemFileNumber] as? Int) ?? -1 }
        var before = viewsFile()
        var plain: [ChildRun] = [], rewrites: [ChildRun] = []
        for _ in 0..<600 where rewrites.count < 2 {
            let run = harvest(hub, lot: "bench-rewrite")
            let now = viewsFile()
            if now != before { rewrites.append(run) } else { plain.append(run) }
            before = now
        }
        guard !rewrites.isEmpty else {
            print("  rewrite                no write rewrote the views file in 600 records")
            return
        }
        row("record that rewrites", rewrites, note: "views file and entry index written again, \(rewrites.count) of \(plain.count + rewrites.count) records")
        guard !plain.isEmpty else {
            // A ledger with members: readers add no tail (SPEC §6.8), each write rewrites both files.
            print("  record that does not   none: every record wrote the views file again")
            return
        }
        row("record that does not", plain, note: "the same records' others")
    }
}
