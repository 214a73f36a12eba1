import CarnetSimulation
import Testing

/// Signed ledgers with grants (SPEC 8.3 rule 8, "A signed sender's cut"): seeds of the
/// signed campaign (`carnet-sim --signed yes --grants yes --first 100001 --farms 2-8
/// --hubs 1-2`) that broke with grants before the grant-aware cut. A relay granted a part
/// that ended where it kept no signed head extended its batch to the head above, with
/// events another session of the hub was bringing: I7 broken (100015, 100096), or the hub
/// refused them as not granted and a farm never converged (100014).
struct SignedGrantSeedTests {
    /// 100015 and 100014 run in CI's release simulation instead (a debug seed takes some
    /// 10 s of a CI at its 20-minute limit).
    @Test(arguments: [(UInt64(100096), 8, 2)])
    func signedSeedsWithGrantsKeepTheBoundAndConverge(seed: UInt64, farms: Int, hubs: Int) {
        Self.expectPasses(SimConfiguration(seed: seed, farms: farms, hubs: hubs))
    }

    /// Seeds where a farm restored from a backup left a run of its own node's other branch
    /// waiting for a predecessor: the head book dropped the head over it (it ended no
    /// branch), and a batch cut just below the run was refused as "not covered by a
    /// signature of its node" (without grants the sender extended the batch to the head
    /// above, so it never showed). The farms and hubs are the campaign's for each seed.
    /// One of the four such seeds of the 300; 100197, 100237 and 100284 run in CI's release
    /// simulation (`.ci/run`), each some 10 s in a debug build.
    @Test(arguments: [UInt64(100133)])
    func aRestoredFarmsWaitingRunKeepsItsHead(seed: UInt64) {
        Self.expectPasses(SimCampaign(seeds: 1, firstSeed: seed, farms: 2...8, hubs: 1...2).configuration(seed: seed))
    }

    /// Runs the seed's plan over a signed ledger with grants, checking the relay bound.
    private static func expectPasses(_ configuration: SimConfiguration) {
        var plan = SimPlan.random(configuration)
        plan.signedLedger = true
        plan.settings.grants = true
        var simulation = Simulation(configuration: configuration, plan: plan)
        simulation.checksRelayBound = true
        let outcome = simulation.run()
        #expect(outcome.passed, "signed seed \(configuration.seed) K=\(configuration.farms) hubs=\(configuration.hubs) with grants: \(outcome)")
    }
}
