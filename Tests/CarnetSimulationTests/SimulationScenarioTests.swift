import CarnetCore
import CarnetSimulation
import CarnetTestKit
import Testing

/// Named T2 scenarios: one fault each, chosen rather than drawn, with assertions on what
/// that fault must have done besides the invariants every run checks.
struct SimulationScenarioTests {
    private func run(_ configuration: SimConfiguration, _ plan: SimPlan) -> (Simulation, SimOutcome) {
        var simulation = Simulation(configuration: configuration, plan: plan)
        let outcome = simulation.run()
        return (simulation, outcome)
    }

    @Test func hubIsolatedWhileFarmsKeepWritingAndSyncingAmongThemselves() {
        let configuration = SimConfiguration(seed: testSeed(default: 0x4855_4201), farms: 5)
        var plan = SimPlan.calm(configuration, faultPhase: .minutes(40))
        plan.farmToFarm = true
        plan.episodes = [SimEpisode(start: .minutes(5), end: .minutes(40), fault: .partition(.isolate([0])))]
        let (simulation, outcome) = run(configuration, plan)
        #expect(outcome.passed, "\(outcome)")
        #expect(outcome.statistics.network.connectFailures > 0, "seed=\(configuration.seed): farms never failed to reach the isolated hub")
        #expect(outcome.statistics.eventsLackedAtHeal > 0, "seed=\(configuration.seed): the hub lacked nothing at the heal")
        #expect(simulation.nodes.allSatisfy { $0.replica.eventCount == outcome.statistics.eventsAtEnd }, "seed=\(configuration.seed)")
    }

    @Test func farmOfflineForSevenDaysCatchesUpAfterTheHeal() {
        let configuration = SimConfiguration(seed: testSeed(default: 0x0FF_1147), farms: 5)
        let farm = configuration.hubs + 2
        var plan = SimPlan.calm(configuration, faultPhase: .days(7) + .minutes(10))
        plan.episodes = [SimEpisode(start: .minutes(10), end: .days(7) + .minutes(10), fault: .partition(.isolate([farm])))]
        let (simulation, outcome) = run(configuration, plan)
        #expect(outcome.passed, "\(outcome)")
        // A week of the others' writes, and the farm's own, had to cross after the heal.
        #expect(outcome.statistics.eventsLackedAtHeal > 100, "seed=\(configuration.seed): \(outcome)")
        #expect(simulation.nodes[farm].replica.eventCount == outcome.statistics.eventsAtEnd, "seed=\(configuration.seed)")
    }

    @Test func restoreFromAnOldBackupForksVisiblyEverywhereAndLosesNothing() {
        let configuration = SimConfiguration(seed: testSeed(default: 0xF0_4B5), farms: 5)
        let farm = configuration.hubs
        var plan = SimPlan.calm(configuration, faultPhase: .minutes(40))
        plan.backups = plan.backups.filter { $0.node != farm } + [SimBackup(time: .minutes(5), node: farm)]
        // Writes after the backup reach the hub; then the farm, cut off, is restored and
        // writes at the same seqs again before it hears of its old branch.
        plan.writes += [SimWrite(time: .minutes(8), node: farm, count: 5), SimWrite(time: .minutes(24), node: farm, count: 3)]
        plan.episodes = [
            SimEpisode(start: .minutes(20), end: .minutes(30), fault: .partition(.isolate([farm]))),
            SimEpisode(start: .minutes(21), end: .minutes(22), fault: .restore(node: farm, backup: 0)),
        ]
        let original = Simulation(configuration: configuration, plan: plan).nodes[farm].nodeID
        let (simulation, outcome) = run(configuration, plan)
        #expect(outcome.passed, "\(outcome)")
        let record = simulation.restores.first
        #expect(record?.nodeID == original && record?.newBranch.isEmpty == false && record?.originalBranch.isEmpty == false,
                "seed=\(configuration.seed): the restore did not make two branches")
        for node in simulation.nodes {
            #expect(node.replica.forks.contains { $0.node == original }, "seed=\(configuration.seed): \(node.label) shows no fork")
        }
        // Having met its other branch, the farm writes under a new id that continues the old.
        #expect(simulation.nodes[farm].nodeID != original, "seed=\(configuration.seed)")
        #expect(simulation.nodes[0].replica.predecessors(of: simulation.nodes[farm].nodeID).contains(original),
                "seed=\(configuration.seed): the new id does not say which node it continues")
    }

    @Test func restoreOfAFreshBackupIsNoFork() {
        let configuration = SimConfiguration(seed: testSeed(default: 0xF0_4B6), farms: 3)
        let farm = configuration.hubs
        var plan = SimPlan.calm(configuration, faultPhase: .minutes(30))
        plan.backups = plan.backups.filter { $0.node != farm } + [SimBackup(time: .minutes(15), node: farm)]
        plan.writes = plan.writes.filter { !($0.node == farm && $0.time >= .minutes(14) && $0.time <= .minutes(16)) }
            + [SimWrite(time: .minutes(17), node: farm, count: 4)]
        plan.episodes = [SimEpisode(start: .minutes(15) + .seconds(1), end: .minutes(16), fault: .restore(node: farm, backup: 0))]
        let (simulation, outcome) = run(configuration, plan)
        #expect(outcome.passed, "\(outcome)")
        #expect(outcome.statistics.forks == 0, "seed=\(configuration.seed): a restore that lost nothing made a fork")
        #expect(simulation.restores.count == 1, "seed=\(configuration.seed)")
    }

    @Test func duplicatedAndReorderedFramesCloseSessionsThatThenConverge() {
        let configuration = SimConfiguration(seed: testSeed(default: 0xD0_9E0), farms: 5)
        var plan = SimPlan.calm(configuration, faultPhase: .minutes(30))
        var links: [DirectedLink] = []
        for from in 0..<configuration.nodeCount {
            for to in 0..<configuration.nodeCount where from != to { links.append(DirectedLink(from: from, to: to)) }
        }
        plan.episodes = [SimEpisode(start: .zero, end: .minutes(30),
                                    fault: .linkFaults(links, loss: 0, resetPerLoss: 0, duplicate: 0.1, reorder: 0.1))]
        let (_, outcome) = run(configuration, plan)
        #expect(outcome.passed, "\(outcome)")
        let network = outcome.statistics.network
        #expect(network.duplicatedFrames > 0 && network.reorderedFrames > 0, "seed=\(configuration.seed)")
        let detected = outcome.statistics.endings.filter { $0.key.contains("bad-mac") }.values.reduce(0, +)
        #expect(detected > 0, "seed=\(configuration.seed): no session noticed a duplicated or reordered frame: \(outcome.statistics.endingsSummary)")
    }

    @Test func oneSeedReplaysActionForAction() {
        let configuration = SimConfiguration(seed: testSeed(default: 0xD37E), farms: 4, hubs: 2)
        let first = Simulation.run(configuration)
        let second = Simulation.run(configuration)
        #expect(first.fingerprint == second.fingerprint, "seed=\(configuration.seed): \(first.fingerprint) vs \(second.fingerprint)")
        #expect(first.passed, "\(first)")
    }
}
