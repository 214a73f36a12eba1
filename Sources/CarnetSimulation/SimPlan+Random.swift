import CarnetSync
import CarnetTestKit

extension SimPlan {
    /// A plan drawn from the configuration's seed with no fault: the network, disks,
    /// clocks and writes of a consortium. Scenario tests add their own episodes.
    public static func calm(_ configuration: SimConfiguration, mode: Mode = .oneShot,
                            faultPhase: SimTime = .minutes(30)) -> SimPlan {
        var rng = SplitMix64.stream(configuration.seed, 1)
        let count = configuration.nodeCount
        let hubs = configuration.hubs
        var links: [LinkConditions] = []
        for _ in 0..<(count * count) {
            links.append(LinkConditions(meanDelay: rng.uniform(.milliseconds(300)...(.seconds(2)))))
        }
        let lines = (0..<count).map { index -> AccessLine in
            index < hubs
                ? AccessLine(uplinkBitsPerSecond: 20_000_000, downlinkBitsPerSecond: 20_000_000)
                : AccessLine(uplinkBitsPerSecond: Int64(rng.int(64...512)) * 1_000,
                             downlinkBitsPerSecond: Int64(rng.int(256...2_048)) * 1_000)
        }
        let fsyncTimes = (0..<count).map { index in
            index < hubs ? rng.uniform(.milliseconds(1)...(.milliseconds(10))) : rng.uniform(.milliseconds(2)...(.milliseconds(80)))
        }
        let skews = (0..<count).map { _ -> Int64 in
            let hour: Int64 = 3_600_000
            if rng.chance(0.1) {
                // A device whose clock is wrong by years: the HLC must not be dragged along.
                let years = Int64(rng.int(1...3)) * 365 * 24 * hour
                return rng.chance(0.5) ? years : -years
            }
            return Int64.random(in: -hour...hour, using: &rng)
        }
        var settings = SessionSettings()
        if rng.chance(0.3) {
            settings.batchBytes = [4 << 10, 8 << 10, 16 << 10, 32 << 10][rng.int(0...3)]
            settings.window = rng.int(1...8)
        }
        let writes = randomWrites(configuration, phase: faultPhase, rng: &rng)
        var backups: [SimBackup] = []
        for node in 0..<count {
            for _ in 0..<rng.int(0...3) {
                backups.append(SimBackup(time: rng.uniform(.zero...faultPhase), node: node))
            }
        }
        let poll = mode == .live ? SimTime.seconds(30)
            : min(.hours(12), max(.minutes(2), SimTime(micros: faultPhase.micros / Int64(rng.int(6...15)))))
        return SimPlan(mode: mode, faultPhase: faultPhase, pollInterval: poll,
                       quiescePollInterval: mode == .live ? .seconds(30) : rng.uniform(.minutes(2)...(.minutes(10))),
                       quiesceLimit: mode == .live ? .minutes(30) : .hours(3), farmToFarm: false, settings: settings, links: links, lines: lines,
                       fsyncTimes: fsyncTimes, clockSkewsMillis: skews, episodes: [], writes: writes, backups: backups)
    }

    /// About `configuration.events` writes in bursts of 1–6, at random nodes (farms twice
    /// as often as hubs) and times in the fault phase.
    static func randomWrites(_ configuration: SimConfiguration, phase: SimTime, rng: inout SplitMix64) -> [SimWrite] {
        var writes: [SimWrite] = []
        var total = 0
        let weights = (0..<configuration.nodeCount).map { $0 < configuration.hubs ? 1 : 2 }
        let weightSum = weights.reduce(0, +)
        while total < configuration.events {
            var pick = rng.int(0...(weightSum - 1))
            var node = 0
            while pick >= weights[node] {
                pick -= weights[node]
                node += 1
            }
            let count = min(rng.int(1...6), configuration.events - total)
            total += count
            writes.append(SimWrite(time: rng.uniform(.zero...SimTime(micros: phase.micros * 95 / 100)), node: node, count: count))
        }
        return writes.sorted { $0.time < $1.time }
    }

    /// A plan with random faults of every kind in the fault model (RELIABILITY.md 3.1,
    /// T2's schedule alphabet), all from the configuration's seed.
    public static func random(_ configuration: SimConfiguration) -> SimPlan {
        var rng = SplitMix64.stream(configuration.seed, 2)
        let count = configuration.nodeCount
        let hubs = configuration.hubs
        let farms = Array(hubs..<count)
        let mode: Mode = rng.chance(0.2) ? .live : .oneShot
        // Sometimes a farm goes offline for days (one-shot only: a farm that is away for a
        // week runs `carnet sync` when it can, and live pings over days of simulated time
        // would only cost time).
        var offline: SimEpisode?
        var phase: SimTime
        if mode == .oneShot && rng.chance(0.1) {
            let start = rng.uniform(.zero...(.minutes(30)))
            let end = start + rng.uniform(.days(1)...(.days(7)))
            offline = SimEpisode(start: start, end: end, fault: .partition(.isolate([farms[rng.int(0...(farms.count - 1))]])))
            phase = end + rng.uniform(.minutes(10)...(.hours(3)))
        } else {
            phase = mode == .live ? rng.uniform(.minutes(10)...(.minutes(20))) : rng.uniform(.minutes(20)...(.minutes(60)))
        }
        var plan = calm(configuration, mode: mode, faultPhase: phase)
        plan.farmToFarm = farms.count > 1 && rng.chance(0.3)
        if let offline { plan.episodes.append(offline) }
        for _ in 0..<rng.int(2...8) {
            let start = rng.uniform(.zero...SimTime(micros: phase.micros * 9 / 10))
            let roll = rng.int(0...99)
            switch roll {
            case 0..<30:
                let shape = randomShape(hubs: hubs, count: count, rng: &rng)
                plan.episodes.append(SimEpisode(start: start, end: start + rng.uniform(.seconds(5)...(.minutes(10))), fault: .partition(shape)))
            case 30..<40:
                plan.episodes += swizzleClog(count: count, start: start, rng: &rng)
            case 40..<65:
                var links: [DirectedLink] = []
                if rng.chance(0.5) {
                    let node = rng.int(0...(count - 1))
                    for other in 0..<count where other != node {
                        links += [DirectedLink(from: node, to: other), DirectedLink(from: other, to: node)]
                    }
                } else {
                    let share = 0.3 + 0.7 * rng.unit()
                    for from in 0..<count {
                        for to in 0..<count where from != to && rng.chance(share) { links.append(DirectedLink(from: from, to: to)) }
                    }
                }
                let fault = SimFault.linkFaults(links, loss: 0.3 * rng.unit(), resetPerLoss: 0.1 * rng.unit(),
                                                duplicate: 0.05 * rng.unit(), reorder: 0.05 * rng.unit())
                plan.episodes.append(SimEpisode(start: start, end: start + rng.uniform(.seconds(30)...(.minutes(15))), fault: fault))
            case 65..<85:
                let node = rng.int(0...(count - 1))
                plan.episodes.append(SimEpisode(start: start, end: start + rng.uniform(.seconds(1)...(.minutes(10))),
                                                fault: .crash(node: node, keepInFlight: rng.chance(0.5) ? 1 : 0)))
            default:
                let node = rng.chance(0.2) ? rng.int(0...(hubs - 1)) : farms[rng.int(0...(farms.count - 1))]
                let end = start + rng.uniform(.seconds(5)...(.minutes(5)))
                plan.episodes.append(SimEpisode(start: start, end: end, fault: .restore(node: node, backup: rng.int(0...2))))
                if rng.chance(0.6) {
                    // The restored node records at once, before any sync tells it of its
                    // old branch: the seqs it reuses fork (I4).
                    plan.writes.append(SimWrite(time: end + rng.uniform(.zero...(.milliseconds(500))), node: node, count: rng.int(1...4)))
                }
            }
        }
        return plan
    }

    /// One of Jepsen's shapes, or the hub's isolation, or an asymmetric cut.
    static func randomShape(hubs: Int, count: Int, rng: inout SplitMix64) -> PartitionShape {
        var nodes = Array(0..<count)
        nodes.shuffle(using: &rng)
        switch rng.int(0...5) {
        case 0:
            return .isolate([rng.int(hubs...(count - 1))])
        case 1:
            return .isolate([rng.int(0...(hubs - 1))])
        case 2:
            return .split([Array(nodes.prefix(max(1, (count - 1) / 2)))])
        case 3:
            return .split([Array(nodes.prefix(count / 2))])
        case 4:
            return .ring(nodes)
        default:
            let cut = rng.int(1...(count - 1))
            return .oneWay(from: Array(nodes.prefix(cut)), to: Array(nodes.suffix(count - cut)))
        }
    }

    /// FoundationDB's swizzle-clog: clog a random subset of nodes one by one, then unclog
    /// them one by one in another random order.
    static func swizzleClog(count: Int, start: SimTime, rng: inout SplitMix64) -> [SimEpisode] {
        var nodes = Array(0..<count)
        nodes.shuffle(using: &rng)
        let chosen = Array(nodes.prefix(rng.int(min(2, count)...count)))
        let step = rng.uniform(.seconds(1)...(.seconds(20)))
        var order = Array(chosen.indices)
        order.shuffle(using: &rng)
        return chosen.indices.map { index in
            let clog = start + step * Int64(index)
            let unclog = start + step * Int64(chosen.count + order[index])
            return SimEpisode(start: clog, end: unclog, fault: .partition(.isolate([chosen[index]])))
        }
    }
}
