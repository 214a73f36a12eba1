import CarnetCore
import CarnetWorkload

/// Figure 1: how fast a fresh replica takes every event of the final state.
enum ApplyBench {
    static func report(hub: Replica, runs: Int) {
        // Node by node, in seq order: what a new peer would be sent.
        let events = hub.allEvents
        let receiver = WorkloadReplay.nodeID(forActor: "carnet-bench-receiver")
        let clock = ContinuousClock()
        var samples = Samples()
        var last: Replica?
        var summary = AdmissionCounts()
        for _ in 0..<runs {
            var replica = Replica(node: receiver)
            let start = clock.now
            summary = replica.admit(contentsOf: events)
            samples.values.append((clock.now - start).seconds)
            last = replica  // the previous run's replica is freed here, outside the timing
        }
        let converged = last.map { $0.digest == hub.digest } ?? false

        let count = Double(events.count)
        print("\n1. events applied per second, in memory (Replica.admit(contentsOf:) into a fresh replica)")
        print("  events       \(Format.grouped(events.count)) (every event of the hub, node by node in seq order)")
        print("  accepted     \(Format.grouped(summary.accepted)), duplicates \(summary.duplicates), pending \(summary.pending), rejected \(summary.rejected)")
        print("  time         \(samples.timeSummary)")
        print("  rate         \(Format.rate(count / samples.median)) events/s median (min–max \(Format.rate(count / samples.max))–\(Format.rate(count / samples.min)))")
        print("  digest       \(converged ? "equal to the hub's" : "DIFFERENT from the hub's")")
        print("  peak RSS     \(Machine.peakResident) after applying")
    }
}
