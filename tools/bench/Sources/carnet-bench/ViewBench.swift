import CarnetCore
import CarnetLedger

/// View derivation on the hub: ledger state, stock, balances, conflicts.
enum ViewBench {
    static func report(hub: Replica, runs: Int) {
        let clock = ContinuousClock()
        var ledger = Samples(), stock = Samples(), balances = Samples(), conflicts = Samples(), total = Samples()
        var counts = (records: 0, stock: 0, balances: 0, conflicts: 0)
        for _ in 0..<runs {
            let t0 = clock.now
            let state = LedgerState(replica: hub)
            let t1 = clock.now
            let lines = state.stock()
            let t2 = clock.now
            let owed = state.balances()
            let t3 = clock.now
            // The state built above is passed in, so the ledger is not folded twice.
            let reports = Conflicts.all(replica: hub, ledger: state)
            let t4 = clock.now
            ledger.values.append((t1 - t0).seconds)
            stock.values.append((t2 - t1).seconds)
            balances.values.append((t3 - t2).seconds)
            conflicts.values.append((t4 - t3).seconds)
            total.values.append((t4 - t0).seconds)
            counts = (state.records.count, lines.count, owed.count, reports.count)
        }
        print("\nview derivation on the hub (LedgerState(replica:) + stock() + balances() + Conflicts.all)")
        print("  total        \(total.timeSummary)")
        print("  LedgerState  \(ledger.timeSummary), \(Format.grouped(counts.records)) records")
        print("  stock        \(stock.timeSummary), \(Format.grouped(counts.stock)) lines")
        print("  balances     \(balances.timeSummary), \(Format.grouped(counts.balances)) lines")
        print("  conflicts    \(conflicts.timeSummary), \(Format.grouped(counts.conflicts)) reports")
    }
}
