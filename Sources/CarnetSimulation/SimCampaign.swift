#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CarnetCore
import CarnetTestKit

/// Many seeded runs in a row: the PR run, a replay, and the soak all go through here.
///
/// Environment (all optional):
/// - `CARNET_SEED=s`: replay seed `s` alone, and print its full report.
/// - `CARNET_SIM_SEEDS=n`: how many seeds (from `CARNET_SIM_FIRST`, default 1).
/// - `CARNET_SIM_K=k` or `lo-hi`: farms per run; a range picks K from each seed.
/// - `CARNET_SIM_HUBS=h` or `1-3`: hubs per run, likewise.
/// - `CARNET_SIM_TRACE=1` (with `CARNET_SEED`): print the run's sessions and faults.
/// - `CARNET_SIM_PROGRESS=n`: print a progress line every n seeds.
/// - `CARNET_SIM_VERBOSE=1`: print each seed before it runs (to name a seed that crashes
///   the process, which no test can report).
/// - `CARNET_SIM_SIGNED=1`: a signed ledger (format 2): device keys, signed heads.
/// - `CARNET_SIM_RELAY_BOUND=0`: do not check I7, the relay bound (checked with two hubs or more).
/// - `CARNET_SIM_GRANTS=0`: sessions without grants (I7 is then not checked), to measure them.
public struct SimCampaign: Sendable {
    public var seeds: Int
    public var firstSeed: UInt64
    public var farms: ClosedRange<Int>
    public var hubs: ClosedRange<Int>
    public var verbose: Bool
    /// Print a progress line every this many seeds (0: never).
    public var progressEvery = 0
    /// True when `CARNET_SEED` asked for one seed.
    public var isReplay: Bool
    /// Run signed ledgers (format 2).
    public var signedLedger = false
    /// Check I7 (`SimChecks.hubReceipts`): each event reaches each hub at most once, plus
    /// the batches cut in flight. On by default since grants (SPEC 8.3 rule 8) made it
    /// hold; off only to measure (`--relay-bound no`, `CARNET_SIM_RELAY_BOUND=0`).
    public var relayBound = true
    /// Sessions speak grants (SPEC 8.3 rule 8), in both formats, as `carnet serve`'s live
    /// sessions do (`SharedStore.speaksGrants`). False only to measure what they change
    /// (`--grants no`, `CARNET_SIM_GRANTS=0`; then I7 is a measure too, as before them).
    public var grants = true

    public init(seeds: Int, firstSeed: UInt64 = 1, farms: ClosedRange<Int> = 5...5, hubs: ClosedRange<Int> = 1...1,
                verbose: Bool = false, isReplay: Bool = false) {
        self.seeds = seeds
        self.firstSeed = firstSeed
        self.farms = farms
        self.hubs = hubs
        self.verbose = verbose
        self.isReplay = isReplay
    }

    /// The campaign the environment asks for, `defaultSeeds` seeds of K = 5 and one hub
    /// when it asks for nothing.
    public static func fromEnvironment(defaultSeeds: Int) -> SimCampaign {
        var campaign = SimCampaign(seeds: defaultSeeds)
        if let text = environment("CARNET_SIM_SEEDS"), let count = Int(text), count >= 0 { campaign.seeds = count }
        if let text = environment("CARNET_SIM_FIRST"), let first = UInt64(text) { campaign.firstSeed = first }
        if let range = environment("CARNET_SIM_K").flatMap(Self.range), range.lowerBound >= 1 { campaign.farms = range }
        if let range = environment("CARNET_SIM_HUBS").flatMap(Self.range), range.lowerBound >= 1, range.upperBound <= 3 {
            campaign.hubs = range
        }
        campaign.verbose = environment("CARNET_SIM_VERBOSE") == "1"
        campaign.signedLedger = environment("CARNET_SIM_SIGNED") == "1"
        campaign.relayBound = environment("CARNET_SIM_RELAY_BOUND") != "0"
        if let text = environment("CARNET_SIM_GRANTS") { campaign.grants = text != "0" }
        if let text = environment("CARNET_SIM_PROGRESS"), let every = Int(text), every >= 0 { campaign.progressEvery = every }
        if let text = environment("CARNET_SEED"), let seed = UInt64(text) {
            campaign.firstSeed = seed
            campaign.seeds = 1
            campaign.isReplay = true
        }
        return campaign
    }

    /// "5" or "2-12", as the environment and `carnet-sim` take them.
    public static func parseRange(_ text: String) -> ClosedRange<Int>? { range(text) }

    static func range(_ text: String) -> ClosedRange<Int>? {
        let parts = text.split(separator: "-").compactMap { Int($0) }
        if parts.count == 1 { return parts[0]...parts[0] }
        if parts.count == 2, parts[0] <= parts[1] { return parts[0]...parts[1] }
        return nil
    }

    /// The configuration of the run with `seed`: K and the hub count come from the seed
    /// when they are ranges, so a printed seed with the same ranges replays.
    public func configuration(seed: UInt64) -> SimConfiguration {
        var mix = SplitMix64.stream(seed, 7)
        let farms = self.farms.lowerBound + Int(mix.next() % UInt64(self.farms.count))
        let hubs = self.hubs.lowerBound + Int(mix.next() % UInt64(self.hubs.count))
        return SimConfiguration(seed: seed, farms: farms, hubs: hubs)
    }

    /// Runs every seed; calls `failed` with each failing outcome (and `passed` with each
    /// passing one). Returns the totals.
    public func run(failed: (SimOutcome) -> Void, passed: (SimOutcome) -> Void = { _ in }) -> SimCampaignSummary {
        let clock = ContinuousClock()
        let start = clock.now
        var summary = SimCampaignSummary()
        for offset in 0..<seeds {
            let seed = firstSeed &+ UInt64(offset)
            let configuration = configuration(seed: seed)
            if verbose { print("simulation: running \(configuration)") }
            var plan = SimPlan.random(configuration)
            plan.signedLedger = signedLedger
            // Grants in both formats, as in `serve` (`SharedStore.speaksGrants`); a signed
            // ledger's too since the signed sender's cut (BENCHMARKS.md §7).
            plan.settings.grants = grants
            var simulation = Simulation(configuration: configuration, plan: plan)
            simulation.tracing = isReplay && Self.environment("CARNET_SIM_TRACE") == "1"
            simulation.checksRelayBound = relayBound && plan.settings.grants
            let outcome = simulation.run()
            summary.seeds += 1
            summary.events += outcome.statistics.eventsAtEnd
            summary.sessions += outcome.statistics.sessions
            summary.hubDuplicateCopies += outcome.statistics.hubDuplicateCopies
            summary.hubCopiesWorst = max(summary.hubCopiesWorst, outcome.statistics.hubCopiesWorst)
            summary.bytesSent += outcome.statistics.bytesSent
            if outcome.passed {
                passed(outcome)
            } else {
                summary.failures += 1
                summary.failedSeeds.append(seed)
                failed(outcome)
            }
            if progressEvery > 0 && summary.seeds % progressEvery == 0 {
                print("simulation progress: \(summary.seeds)/\(seeds) seeds, \(summary.failures) failures, at seed \(seed)")
            }
        }
        let elapsed = clock.now - start
        summary.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return summary
    }

    private static func environment(_ name: String) -> String? {
        guard let pointer = getenv(name) else { return nil }
        return String(cString: pointer)
    }
}

/// The totals of a campaign, and the one line the soak prints.
public struct SimCampaignSummary: Sendable, CustomStringConvertible {
    public var seeds = 0
    public var failures = 0
    public var failedSeeds: [UInt64] = []
    public var events = 0
    public var sessions = 0
    public var seconds = 0.0
    /// Copies of events that reached a hub again, summed over the seeds, and the most
    /// copies of one event at one hub in any seed (`SimHubReceipts`).
    public var hubDuplicateCopies = 0
    public var hubCopiesWorst = 0
    /// Bytes every session sent, summed over the seeds.
    public var bytesSent = 0

    public var seedsPerSecond: Double { seconds > 0 ? Double(seeds) / seconds : 0 }

    public var description: String {
        let rate = (seedsPerSecond * 10).rounded() / 10
        let time = (seconds * 10).rounded() / 10
        return "simulation summary: seeds=\(seeds) failures=\(failures) events=\(events) sessions=\(sessions) "
            + "seconds=\(time) seeds/s=\(rate) hubCopiesWorst=\(hubCopiesWorst) hubDuplicateCopies=\(hubDuplicateCopies) bytes=\(bytesSent)" + (failedSeeds.isEmpty ? "" : " failed seeds: \(failedSeeds.prefix(20))")
    }
}
