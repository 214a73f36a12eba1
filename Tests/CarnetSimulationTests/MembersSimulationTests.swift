import CarnetCore
import CarnetLedger
import CarnetSimulation
import CarnetTestKit
import Testing

/// Issue 17, item 5, in T2: a signed campaign's ledger has members (the first hub created
/// it, enrols farms, changes roles and revokes at random; farms write for other farms now
/// and then, and before they are enrolled). Through partitions, crashes and restores every
/// node must end with the same verdicts (I8), and the campaign must reach them.
struct MembersSimulationTests {
    @Test(arguments: [UInt64(100_003), 100_011, 100_017])
    func everyNodeJudgesTheSameEventsAlike(seed: UInt64) {
        let configuration = SimConfiguration(seed: seed, farms: 4, hubs: 1)
        var random = SimPlan.random(configuration)
        random.signedLedger = true
        let plan = random
        // On a thread of its own: signing heads deep in a simulated store overflows a pool
        // thread's stack in a debug build (`LargeStack`).
        let (outcome, passed, views) = LargeStack.run { () -> (String, Bool, LedgerViews) in
            var simulation = Simulation(configuration: configuration, plan: plan)
            let outcome = simulation.run()
            return ("\(outcome)", outcome.passed, LedgerViews(replica: simulation.nodes[0].replica))
        }
        #expect(passed, "signed seed \(seed): \(outcome)")
        #expect(views.members.enforced, "seed \(seed): the genesis is not in force")
        let judged = views.members.heldAside + views.members.revoked + views.members.outOfRole
        #expect(judged > 0, "seed \(seed): no event was held aside, revoked or out of role: \(views.members)")
    }
}
