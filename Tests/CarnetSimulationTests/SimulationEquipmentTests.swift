import CarnetSimulation
import CarnetTestKit
import Testing

/// The simulator's own parts: if these lie, every T2 result does.
struct SimulationEquipmentTests {
    @Test func schedulerRunsByTimeThenByOrderOfScheduling() {
        var scheduler = SimScheduler<Int>()
        scheduler.schedule(3, at: .seconds(2))
        scheduler.schedule(1, at: .seconds(1))
        scheduler.schedule(2, at: .seconds(1))
        scheduler.schedule(4, at: .seconds(2))
        var taken: [Int] = []
        while let action = scheduler.next() { taken.append(action) }
        #expect(taken == [1, 2, 3, 4])
        #expect(scheduler.now == .seconds(2))
    }

    @Test func partitionShapesCutWhatTheySay() {
        let ring = PartitionShape.ring([0, 1, 2, 3]).blockedLinks(nodeCount: 4)
        #expect(ring == [DirectedLink(from: 0, to: 2), DirectedLink(from: 1, to: 3), DirectedLink(from: 2, to: 0), DirectedLink(from: 3, to: 1)])
        let hub = PartitionShape.isolate([0]).blockedLinks(nodeCount: 3)
        #expect(hub.count == 4 && hub.allSatisfy { $0.from == 0 || $0.to == 0 })
        let oneWay = PartitionShape.oneWay(from: [1], to: [0]).blockedLinks(nodeCount: 3)
        #expect(oneWay == [DirectedLink(from: 1, to: 0)])
        let halves = PartitionShape.split([[0, 1]]).blockedLinks(nodeCount: 4)
        #expect(halves.count == 8 && !halves.contains(DirectedLink(from: 0, to: 1)) && !halves.contains(DirectedLink(from: 2, to: 3)))
    }

    @Test func aConnectionDeliversInOrderDespiteDelayAndLoss() {
        var conditions = LinkConditions(meanDelay: .seconds(1))
        conditions.loss = 0.3
        let line = AccessLine(uplinkBitsPerSecond: 64_000, downlinkBitsPerSecond: nil)
        var network = SimNetwork(links: [LinkConditions](repeating: conditions, count: 4), lines: [line, line], seed: testSeed(default: 11))
        let connection = network.connect(from: 0, to: 1, listenerUp: true, now: .zero)
        for index in 0..<50 { network.send([UInt8(index)], on: connection, from: .dialer, now: .milliseconds(Int64(index))) }
        var arrivals: [(SimTime, UInt8)] = []
        for (time, event) in network.outbox {
            if case let .data(_, to, bytes) = event, to == .listener { arrivals.append((time, bytes[0])) }
        }
        #expect(arrivals.map(\.1) == (0..<50).map(UInt8.init))
        #expect(zip(arrivals, arrivals.dropFirst()).allSatisfy { $0.0 <= $1.0 }, "TCP delivers in order")
        #expect(network.counters.lostSegments > 0)
    }

    @Test func aCutLinkStallsAndDeliversAfterItHeals() {
        let conditions = LinkConditions(meanDelay: .milliseconds(500))
        let line = AccessLine(uplinkBitsPerSecond: nil, downlinkBitsPerSecond: nil)
        var network = SimNetwork(links: [LinkConditions](repeating: conditions, count: 4), lines: [line, line], seed: 5)
        let connection = network.connect(from: 0, to: 1, listenerUp: true, now: .zero)
        network.outbox = []
        let cut = [DirectedLink(from: 0, to: 1)]
        network.cut(cut, by: 1, now: .seconds(10))
        network.send([1, 2, 3], on: connection, from: .dialer, now: .seconds(11))
        #expect(network.outbox.isEmpty)
        network.cut(cut, by: -1, now: .seconds(100))
        let delivered = network.outbox.compactMap { time, event -> SimTime? in
            if case .data = event { return time }
            return nil
        }
        #expect(delivered.count == 1 && delivered[0] > .seconds(100))
    }
}
