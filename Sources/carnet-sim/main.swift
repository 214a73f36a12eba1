// T1 and T2 from the command line, in whatever build this is compiled in: the merge laws
// over many random histories (`MergeLaws`), then the deterministic simulation over many
// seeds. CI runs 10,000 histories and 1,000 seeds of a hub and 5 farms in a release build
// (the debug build of `swift test` reaches ~2.7 seeds/s: its 75 seeds and 2,000
// histories prove the equipment; this proves the figures); `tools/soak-sim.sh` runs the
// simulation soak.
//
//   carnet-sim [--laws N] [--laws-from O] [--seeds N] [--first S] [--farms K|LO-HI] [--hubs H|LO-HI] [--signed yes|no] [--relay-bound yes|no] [--grants yes|no] [--progress N]
//
// Defaults: no law histories; 1,000 seeds from seed 1, K = 5, one hub (`--seeds 0`: none).
// `--hubs` takes 1 to 3 (a third hub dials both others). With two hubs or more every run
// also checks I7, each event reaching each hub at most once plus the batches cut in flight
// (issue 19, item 5), which grants (SPEC 8.3 rule 8) make hold; `--relay-bound no` skips
// it, and `--grants no` runs sessions without grants (I7 unchecked) to measure them; a
// signed ledger speaks them too, as `serve` does.
// The law histories are those of `swift test`'s base seed 42, from offset 2,000 on (the
// test covers offsets 0–1,999); `--laws-from O` starts at offset O instead, so that a
// soak can split disjoint ranges across cores. `CARNET_SEED=s` replays one simulation
// seed with its full report (and `CARNET_SIM_TRACE=1` its trace). Exit status 1 when a
// history breaks a law or a seed an invariant (each failure is printed with its seed), 2
// on bad usage.
import CarnetLedger
import CarnetSimulation
import CarnetTestKit
#if canImport(Glibc)
import Glibc
#endif

func usage(_ problem: String) -> Never {
    let text = Array("carnet-sim: \(problem)\nusage: carnet-sim [--laws N] [--laws-from O] [--seeds N] [--first S] [--farms K|LO-HI] [--hubs H|LO-HI] [--signed yes|no] [--relay-bound yes|no] [--grants yes|no] [--progress N]\n".utf8)
    _ = write(2, text, text.count)
    exit(2)
}

var campaign = SimCampaign.fromEnvironment(defaultSeeds: 1_000)
var lawHistories = 0
var lawFirstOffset: UInt64 = 2_000
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    guard let value = arguments.popFirst() else { usage("\(flag) needs a value") }
    switch flag {
    case "--laws":
        guard let count = Int(value), count >= 0 else { usage("--laws takes a number of histories, not \(value)") }
        lawHistories = count
    case "--laws-from":
        guard let offset = UInt64(value) else { usage("--laws-from takes a history offset, not \(value)") }
        lawFirstOffset = offset
    case "--seeds":
        guard let count = Int(value), count >= 0 else { usage("--seeds takes a number of seeds, not \(value)") }
        campaign.seeds = count
    case "--first":
        guard let first = UInt64(value) else { usage("--first takes a seed number, not \(value)") }
        campaign.firstSeed = first
    case "--farms":
        guard let range = SimCampaign.parseRange(value), range.lowerBound >= 1 else { usage("--farms takes K or LO-HI, not \(value)") }
        campaign.farms = range
    case "--hubs":
        guard let range = SimCampaign.parseRange(value), range.lowerBound >= 1, range.upperBound <= 3 else {
            usage("--hubs takes 1, 2, 3 or a range of them (1-2), not \(value)")
        }
        campaign.hubs = range
    case "--progress":
        guard let every = Int(value), every >= 0 else { usage("--progress takes a number of seeds, not \(value)") }
        campaign.progressEvery = every
    case "--relay-bound":
        guard value == "yes" || value == "no" else { usage("--relay-bound takes yes or no, not \(value)") }
        campaign.relayBound = value == "yes"
    case "--grants":
        guard value == "yes" || value == "no" else { usage("--grants takes yes or no, not \(value)") }
        campaign.grants = value == "yes"
    case "--signed":
        guard value == "yes" || value == "no" else { usage("--signed takes yes or no, not \(value)") }
        campaign.signedLedger = value == "yes"
    default:
        usage("unknown option \(flag)")
    }
}

var lawFailures = 0
if lawHistories > 0 {
    let clock = ContinuousClock(), started = clock.now
    var forked = 0, members = 0, adoptions = 0, kinds = Set<ConflictKind>()
    for index in 0..<lawHistories {
        let offset = lawFirstOffset &+ UInt64(index)
        let result = MergeLaws.check(seed: 42 &+ offset, offset: offset)
        for failure in result.failures { print("merge law broken: \(failure)") }
        lawFailures += result.failures.isEmpty ? 0 : 1
        if result.forked { forked += 1 }
        if result.members { members += 1 }
        if result.adoption { adoptions += 1 }
        kinds.formUnion(result.conflictKinds)
    }
    // The generator must exercise forks and every kind of conflict it makes, or the laws
    // were checked on histories too tame to break them.
    let expectedKinds: Set<ConflictKind> = [.field, .fork, .stockBelowZero, .doubleReversal, .unknownReference, .duplicateEntry,
                                            .pastRevocation, .outOfRole]
    if forked <= lawHistories / 400 || !kinds.isSuperset(of: expectedKinds) {
        print("merge laws: the histories were too tame: \(forked) forked, conflict kinds \(kinds.map(\.rawValue).sorted())")
        lawFailures += 1
    }
    print("merge laws: \(lawHistories) histories (offsets \(lawFirstOffset) on) × (order, duplication, grouping, exchange), \(lawFailures) failing, "
        + "\(forked) forked, \(members) with members (\(adoptions) adopting a format-1 writer), \(kinds.count) conflict kinds, \(clock.now - started)")
}

let summary = campaign.seeds == 0 ? nil : campaign.run(failed: { outcome in
    print("simulation failure: \(outcome)")
}, passed: { outcome in
    if campaign.isReplay { print(outcome) }
})
if let summary { print(summary) }
exit(lawFailures == 0 && (summary?.failures ?? 0) == 0 ? 0 : 1)
