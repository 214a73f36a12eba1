import CarnetSimulation
import CarnetTestKit
import Testing

/// Seeds that once failed, kept as named runs (TigerBeetle's habit). Those that showed a
/// live-session bug are also reduced to a few steps in `LiveSessionRegressionTests`.
struct SimulationRegressionSeedTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var seed: UInt64
        var farms: Int
        var hubs: Int
        var issue: String
        var testDescription: String { "seed=\(seed) K=\(farms) hubs=\(hubs)" }
    }

    static let cases = [
        Case(seed: 31206, farms: 5, hubs: 1, issue: "a fork revealed in a long live session re-offers from a stale summary (I6)"),
        Case(seed: 31746, farms: 3, hubs: 2, issue: "live news pushed to peers whose summary lists them (I6)"),
        Case(seed: 31972, farms: 9, hubs: 1, issue: "a live session planned before a fork revealed elsewhere never sends it (I2)"),
        Case(seed: 885, farms: 5, hubs: 1, issue: "a re-summary before the peer's delta summary arrived misread it; batches primed with a context the farm lacked were refused (I2)"),
        Case(seed: 107603, farms: 5, hubs: 1, issue: "events the peer sent, behind its single head, listed as heads of their own: news it held went out again (I6)"),
        Case(seed: 350326, farms: 11, hubs: 2, issue: "news queued behind a full window went out after the peer had sent the same events in this session (I6)"),
        Case(seed: 350453, farms: 11, hubs: 1, issue: "a farm's backoff kept live sessions open 10 minutes past the heal; their PINGs counted against the per-session allowance (I6 check); a fork's branch events must still go out (I1, I4)"),
        Case(seed: 300960, farms: 10, hubs: 1, issue: "live sessions' keepalive over a long convergence counted against the per-session allowance (I6 check)"),
        Case(seed: 703515, farms: 2, hubs: 2, issue: "a fork learned during a slow handshake followed the first summary instead of going in it; the hub planned from the stale one (I6)"),
        Case(seed: 702256, farms: 9, hubs: 2, issue: "a re-summary still on the wire was taken as known to the peer when it sent its batch (I6 check: judged by arrival now)"),
        Case(seed: 706103, farms: 11, hubs: 2, issue: "the same, with 11 farms and 401 events (I6 check)"),
        Case(seed: 3679, farms: 2, hubs: 1, issue: "a batch sent into a session the peer had already closed (read its SUMMARY before its ERROR) counted as resent (I6 check: lost in flight)"),
        Case(seed: 68479, farms: 11, hubs: 2, issue: "raced copies relayed by 11 farms to both hubs, excused at their size as one batch, not at what their many small batches cost (I6 check: per batch now)"),
    ]

    @Test(arguments: cases)
    func onceFailingSeedsHoldTheirInvariants(_ known: Case) {
        let outcome = Simulation.run(SimConfiguration(seed: known.seed, farms: known.farms, hubs: known.hubs))
        #expect(outcome.passed, "\(known.issue): \(outcome)")
    }
}
