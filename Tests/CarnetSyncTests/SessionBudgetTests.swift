import CarnetCore
import CarnetSync
import CarnetTestKit
import CarnetWire
import Testing

/// Sessions under a dialer's byte budget (SPEC 8.3.9), two real sessions in memory with
/// bytes delivered in seeded random chunks: within the budget both ways, the dialer's own
/// events first, a clean end at a batch boundary; a handshake past the budget stops there.
struct SessionBudgetTests {
    static func replica(_ name: String, entries: Int) -> Replica {
        var replica = Replica(node: NodeID.derived(from: name))
        for index in 0..<entries {
            replica.write(.append(Entry(id: "\(name)-\(index)", kind: "harvest", fields: [Field("qty", .int(Int64(100 + index)))])),
                          wallMillis: 1_000 + UInt64(index))
        }
        return replica
    }

    static func budgeted(_ bytes: UInt32) -> SessionSettings {
        var settings = SessionSettings()
        settings.budgetBytes = bytes
        return settings
    }

    /// The bytes of a whole session between the two, without a budget.
    static func unbudgetedBytes(_ farm: Replica, _ hub: Replica) -> Int {
        var pair = SessionPair(dialer: Side(role: .dialer, replica: farm, secret: testSecret, nonceSeed: 1),
                               listener: Side(role: .listener, replica: hub, secret: testSecret, nonceSeed: 2), seed: 1)
        pair.start()
        pair.run()
        return pair.dialer.session.statistics.bytesSent + pair.dialer.session.statistics.bytesReceived
    }

    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6])
    func bothSidesStayWithinTheBudgetAndTheDialersOwnGoFirst(seed: UInt64) {
        let farm = Self.replica("farm", entries: 6_000), hub = Self.replica("hub", entries: 6_000)
        // A third of the whole: some of the farm's own, none of the hub's.
        let budget = UInt32(Self.unbudgetedBytes(farm, hub) / 3)
        let dialer = Side(role: .dialer, replica: farm, secret: testSecret, nonceSeed: 1, settings: Self.budgeted(budget))
        let listener = Side(role: .listener, replica: hub, secret: testSecret, nonceSeed: 2)
        var pair = SessionPair(dialer: dialer, listener: listener, seed: seed)
        pair.start()
        pair.run()
        let sent = pair.dialer.session.statistics, served = pair.listener.session.statistics
        #expect(pair.dialer.end?.isSuccess == true && pair.listener.end?.isSuccess == true,
                "seed \(seed): \(String(describing: pair.dialer.end)) / \(String(describing: pair.listener.end))")
        #expect(sent.bytesSent + sent.bytesReceived <= Int(budget), "seed \(seed): \(sent.bytesSent) + \(sent.bytesReceived)")
        #expect(served.bytesSent + served.bytesReceived == sent.bytesSent + sent.bytesReceived, "both count the same bytes")
        #expect(sent.budgetBytes == Int(budget) && served.budgetBytes == Int(budget))
        let farmAtHub = pair.listener.replica.summary.versionVector[farm.node]
        let hubAtFarm = pair.dialer.replica.summary.versionVector[hub.node]
        #expect(farmAtHub > 0 && farmAtHub < 6_000 && sent.heldBackByBudget, "seed \(seed): the hub got \(farmAtHub) of the farm's (budget \(budget))")
        #expect(hubAtFarm == 0, "seed \(seed): nothing of the hub's before the farm's own are all sent: \(hubAtFarm)")
    }

    /// Once the dialer's own fit, the listener's follow within what remains.
    @Test func whatTheDialerLacksFollowsItsOwnWithinWhatRemains() {
        let farm = Self.replica("farm", entries: 200), hub = Self.replica("hub", entries: 6_000)
        let budget = UInt32(Self.unbudgetedBytes(farm, hub) / 2)
        var pair = SessionPair(dialer: Side(role: .dialer, replica: farm, secret: testSecret, nonceSeed: 1, settings: Self.budgeted(budget)),
                               listener: Side(role: .listener, replica: hub, secret: testSecret, nonceSeed: 2), seed: 7)
        pair.start()
        pair.run()
        let sent = pair.dialer.session.statistics
        #expect(pair.dialer.end?.isSuccess == true && sent.bytesSent + sent.bytesReceived <= Int(budget))
        #expect(pair.listener.replica.summary.versionVector[farm.node] == 200, "every own event first")
        let received = pair.dialer.replica.summary.versionVector[hub.node]
        #expect(received > 0 && received < 6_000 && pair.listener.session.statistics.heldBackByBudget, "then part of the hub's: \(received)")
    }

    @Test func aHandshakePastTheBudgetEndsTheSessionSayingSo() {
        // A hub of 2,000 nodes: its SUMMARY in message 2 alone is tens of kilobytes.
        var hub = Replica(node: NodeID.derived(from: "hub"))
        for index in 0..<2_000 {
            var writer = Replica(node: NodeID.derived(from: "farm \(index)"))
            hub.admit(writer.write(.append(Entry(id: "e\(index)", kind: "harvest", fields: [])), wallMillis: 1_000))
        }
        var pair = SessionPair(dialer: Side(role: .dialer, replica: Self.replica("farm", entries: 5), secret: testSecret, nonceSeed: 1,
                                            settings: Self.budgeted(1_000)),
                               listener: Side(role: .listener, replica: hub, secret: testSecret, nonceSeed: 2), seed: 3)
        pair.start()
        pair.run()
        guard case let .failed(code, message)? = pair.dialer.end?.outcome else {
            Issue.record("the dialer should stop: \(String(describing: pair.dialer.end))")
            return
        }
        #expect(code == .unexpectedMessage && message.contains("the handshake alone took"), "\(message)")
        #expect(pair.listener.replica.summary.versionVector[NodeID.derived(from: "farm")] == 0, "nothing was sent")
    }

    @Test func message1CarriesTheBudgetAtAFixedPlace() throws {
        let hello = DialerHello(flags: 0, wallMillis: 1, stateTag: 2, budgetBytes: 200_000)
        #expect(hello.encoded.count == DialerHello.length && DialerHello.length == 21)
        #expect(Array(hello.encoded.suffix(4)) == [0x00, 0x03, 0x0d, 0x40])
        #expect(try DialerHello.decode(hello.encoded) == hello)
        #expect(DialerHello(wallMillis: 1, stateTag: 2).encoded.count == 21, "the same size without a budget")
    }
}
