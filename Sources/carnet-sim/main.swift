// T2 from the command line: the deterministic simulation (CarnetTestKit) over many seeds,
// in whatever build this is compiled in. CI runs 1,000 seeds of a hub and 5 farms in a
// release build (the debug build of `swift test` reaches ~1.4 seeds/s: its 75 seeds
// prove the equipment; this proves the figure); `tools/soak-sim.sh` runs the soak.
//
//   carnet-sim [--seeds N] [--first S] [--farms K|LO-HI] [--hubs H|LO-HI] [--progress N]
//
// Defaults: 1,000 seeds from seed 1, K = 5, one hub. `CARNET_SEED=s` replays one seed
// with its full report (and `CARNET_SIM_TRACE=1` its trace). Exit status 1 when any seed
// breaks an invariant (each failure is printed with its replay command), 2 on bad usage.
import CarnetTestKit
#if canImport(Glibc)
import Glibc
#endif

func usage(_ problem: String) -> Never {
    let text = Array("carnet-sim: \(problem)\nusage: carnet-sim [--seeds N] [--first S] [--farms K|LO-HI] [--hubs H|LO-HI] [--progress N]\n".utf8)
    _ = write(2, text, text.count)
    exit(2)
}

var campaign = SimCampaign.fromEnvironment(defaultSeeds: 1_000)
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    guard let value = arguments.popFirst() else { usage("\(flag) needs a value") }
    switch flag {
    case "--seeds":
        guard let count = Int(value), count > 0 else { usage("--seeds takes a positive number, not \(value)") }
        campaign.seeds = count
    case "--first":
        guard let first = UInt64(value) else { usage("--first takes a seed number, not \(value)") }
        campaign.firstSeed = first
    case "--farms":
        guard let range = SimCampaign.parseRange(value), range.lowerBound >= 1 else { usage("--farms takes K or LO-HI, not \(value)") }
        campaign.farms = range
    case "--hubs":
        guard let range = SimCampaign.parseRange(value), range.lowerBound >= 1, range.upperBound <= 2 else {
            usage("--hubs takes 1, 2 or 1-2, not \(value)")
        }
        campaign.hubs = range
    case "--progress":
        guard let every = Int(value), every >= 0 else { usage("--progress takes a number of seeds, not \(value)") }
        campaign.progressEvery = every
    default:
        usage("unknown option \(flag)")
    }
}

let summary = campaign.run(failed: { outcome in
    print("simulation failure: \(outcome)")
}, passed: { outcome in
    if campaign.isReplay { print(outcome) }
})
print(summary)
exit(summary.failures == 0 ? 0 : 1)
