import CarnetCore
import CarnetSync
import CarnetTestKit
import CarnetWire
import Testing

/// A replica of `count` nodes that each wrote one event (what a hostile bundle brings a
/// hub: issue 17, item 7), plus its own node's `own` events.
private func manyNodes(_ count: Int, own: Int, name: String) -> Replica {
    var hub = Replica(node: NodeID.derived(from: name))
    var events: [Event] = []
    events.reserveCapacity(count)
    for index in 0..<count {
        var one = Replica(node: NodeID.derived(from: "\(name)-node-\(index)"))
        events.append(one.assign(FieldKey("note", "n\(index)", "v"), .int(Int64(index)), wallMillis: 1_000))
    }
    hub.admit(contentsOf: events)
    for index in 0..<own { hub.assign(FieldKey("note", "\(name)-own", "v"), .int(Int64(index)), wallMillis: 2_000) }
    return hub
}

/// A summary larger than one frame travels in parts (SPEC 8.1): a hub of 70,000 nodes
/// syncs both ways with a small farm, as listener and as dialer. On main its summary
/// passed the 1 MiB frame and the 65,536-entry limit, and every session with it failed.
struct ManyNodesSessionTests {
    static let hub = manyNodes(70_000, own: 3, name: "hub")

    private func farm() -> Replica {
        var farm = Replica(node: NodeID.derived(from: "farm"))
        for index in 0..<5 { farm.assign(FieldKey("note", "farm", "v"), .int(Int64(index)), wallMillis: 3_000) }
        return farm
    }

    @Test(arguments: [SessionRole.listener, .dialer])
    func aHubOfSeventyThousandNodesSyncsBothWaysWithASmallFarm(hubRole: SessionRole) {
        let hub = Self.hub, farm = farm()
        let hubSide = Side(role: hubRole, replica: hub, secret: testSecret, nonceSeed: 1)
        let farmSide = Side(role: hubRole.peer, replica: farm, secret: testSecret, nonceSeed: 2)
        var pair = hubRole == .listener ? SessionPair(dialer: farmSide, listener: hubSide, seed: 17)
                                        : SessionPair(dialer: hubSide, listener: farmSide, seed: 17)
        pair.start()
        pair.run(maxSteps: 1_000_000)
        #expect(pair.dialer.end == SessionEnd(.completed), "\(String(describing: pair.dialer.end))")
        #expect(pair.listener.end == SessionEnd(.completed), "\(String(describing: pair.listener.end))")
        var merged = hub
        merged.merge(with: farm)
        // Compared as booleans: a failing comparison of 70,000-node summaries prints megabytes.
        let dialerConverged = pair.dialer.replica.summary == merged.summary
        let listenerConverged = pair.listener.replica.summary == merged.summary
        #expect(dialerConverged && listenerConverged)
        #expect(pair.dialer.replica.eventCount == 70_000 + 3 + 5)
        // Each event crossed once: the farm's 5 one way, the hub's 70,003 the other.
        let farmEnd = hubRole == .listener ? pair.dialer : pair.listener
        #expect(farmEnd.session.statistics.eventsSent == 5)
        #expect(farmEnd.session.statistics.eventsReceived == 70_003)
    }
}
