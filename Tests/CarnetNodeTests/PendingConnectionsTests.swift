@testable import CarnetNode
import Testing

/// The budget of connections that have not authenticated: the flooder's oldest makes room,
/// so a newcomer (the honest farm) always gets in.
struct PendingConnectionsTests {
    final class Connection {
        let name: String
        init(_ name: String) { self.name = name }
    }

    @Test func aFloodedAddressLosesItsOldestAndTheNewcomerGetsIn() {
        var pending = PendingConnections<Connection>(perAddress: 2, total: 3)
        let flood = (0..<3).map { Connection("flood \($0)") }
        #expect(pending.admit(ObjectIdentifier(flood[0]), host: "10.0.0.9", flood[0]) == nil)
        #expect(pending.admit(ObjectIdentifier(flood[1]), host: "10.0.0.9", flood[1]) == nil)
        #expect(pending.admit(ObjectIdentifier(flood[2]), host: "10.0.0.9", flood[2])?.name == "flood 0")
        let farm = Connection("farm")
        #expect(pending.admit(ObjectIdentifier(farm), host: "10.0.0.9", farm)?.name == "flood 1", "same address: the oldest goes")
        #expect(pending.count == 2)
    }

    @Test func aFullBudgetLosesTheOldestOfAllAndAuthenticatedOnesLeaveIt() {
        var pending = PendingConnections<Connection>(perAddress: 2, total: 3)
        let connections = (0..<4).map { Connection("c\($0)") }
        for (index, connection) in connections.prefix(3).enumerated() {
            #expect(pending.admit(ObjectIdentifier(connection), host: "10.0.0.\(index)", connection) == nil)
        }
        #expect(pending.admit(ObjectIdentifier(connections[3]), host: "10.0.0.7", connections[3])?.name == "c0")
        pending.remove(ObjectIdentifier(connections[1]))
        let next = Connection("next")
        #expect(pending.admit(ObjectIdentifier(next), host: "10.0.0.8", next) == nil, "an authenticated one freed its place")
        #expect(pending.count == 3)
    }
}
