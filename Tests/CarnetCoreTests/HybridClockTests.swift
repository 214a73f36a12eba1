import CarnetCore
import CarnetTestKit
import Testing

struct HybridClockTests {
    @Test func followsTheWallClockWhenItMovesForward() {
        var clock = HybridClock()
        #expect(clock.tick(wallMillis: 1000) == HLCTimestamp(physical: 1000, logical: 0))
        #expect(clock.tick(wallMillis: 2000) == HLCTimestamp(physical: 2000, logical: 0))
    }

    @Test func staysMonotonicWhenTheWallClockJumpsBack() {
        var clock = HybridClock()
        let before = clock.tick(wallMillis: 10_000)
        let after = clock.tick(wallMillis: 3_000)  // wall clock set back 7 seconds
        #expect(after > before)
        #expect(after == HLCTimestamp(physical: 10_000, logical: 1))
        #expect(clock.largestSkewMillis == 7_000)
        let later = clock.tick(wallMillis: 11_000)
        #expect(later == HLCTimestamp(physical: 11_000, logical: 0))
    }

    @Test func manyEventsInOneMillisecondStayOrdered() {
        var clock = HybridClock()
        var last = clock.tick(wallMillis: 5)
        for _ in 0..<10_000 {
            let next = clock.tick(wallMillis: 5)
            #expect(next > last)
            last = next
        }
    }

    @Test func counterOverflowCarriesIntoPhysical() {
        var clock = HybridClock(last: HLCTimestamp(physical: 7, logical: .max))
        #expect(clock.tick(wallMillis: 1) == HLCTimestamp(physical: 8, logical: 0))
    }

    @Test func adoptsARemoteTimeWithinTheDriftBound() {
        var clock = HybridClock(maxForwardDriftMillis: 60_000)
        _ = clock.tick(wallMillis: 1_000)
        let observation = clock.observe(HLCTimestamp(physical: 30_000, logical: 4), wallMillis: 1_000)
        #expect(observation == ClockObservation(skewMillis: 29_000, adopted: true))
        #expect(clock.tick(wallMillis: 1_000) == HLCTimestamp(physical: 30_000, logical: 5))
    }

    @Test func reportsButDoesNotFollowAWildlyWrongRemoteClock() {
        var clock = HybridClock(maxForwardDriftMillis: 60_000)
        _ = clock.tick(wallMillis: 1_000)
        let year2099: UInt64 = 4_070_908_800_000
        let observation = clock.observe(HLCTimestamp(physical: year2099, logical: 0), wallMillis: 1_000)
        #expect(!observation.adopted)
        #expect(observation.skewMillis == Int64(year2099) - 1_000)
        #expect(clock.largestSkewMillis == Int64(year2099) - 1_000)
        #expect(clock.tick(wallMillis: 2_000) == HLCTimestamp(physical: 2_000, logical: 0))
    }

    @Test func monotonicUnderRandomWallClocksAndRemoteTimes() {
        var rng = SplitMix64(seed: 99)
        var clock = HybridClock(maxForwardDriftMillis: 1_000)
        var last = HLCTimestamp.zero
        for _ in 0..<20_000 {
            let wall = UInt64.random(in: 0...100_000, using: &rng)
            if Bool.random(using: &rng) {
                clock.observe(HLCTimestamp(physical: UInt64.random(in: 0...200_000, using: &rng), logical: 3), wallMillis: wall)
            }
            let next = clock.tick(wallMillis: wall)
            #expect(next > last, "seed 99")
            last = next
        }
    }
}

