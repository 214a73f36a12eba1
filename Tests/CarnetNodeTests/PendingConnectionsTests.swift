@testable import CarnetNode
import CarnetNet
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

/// IPv6 addresses share a budget per /64, IPv4 ones (however spelled) per address.
struct AddressGroupTests {
    @Test func ipv6AddressesOfOneSlash64ShareAGroup() {
        let a = AddressGroup.key(forHost: "2001:db8:1:2::1")
        #expect(a == "2001:db8:1:2::/64")
        #expect(AddressGroup.key(forHost: "2001:0db8:0001:0002:ffff:ffff:ffff:ffff") == a)
        #expect(AddressGroup.key(forHost: "2001:db8:1:3::1") != a, "the next /64 is another group")
        #expect(AddressGroup.key(forHost: "fe80::1%eth0") == "fe80:0:0:0::/64%eth0")
        #expect(AddressGroup.key(forHost: "fe80::1%eth1") != AddressGroup.key(forHost: "fe80::1%eth0"))
    }

    @Test func ipv4AndIPv4MappedAddressesCountOneByOne() {
        #expect(AddressGroup.key(forHost: "10.0.0.7") == "10.0.0.7")
        #expect(AddressGroup.key(forHost: "::ffff:10.0.0.7") == "10.0.0.7")
        #expect(AddressGroup.key(forHost: "::ffff:10.0.0.8") == "10.0.0.8")
        #expect(AddressGroup.key(forHost: "::1") == "0:0:0:0::/64")
        #expect(AddressGroup.key(forHost: "not an address") == "not an address")
    }

    @Test func aFloodFromOneSlash64LosesItsOldestNotTheFarms() {
        final class Connection {
            let name: String
            init(_ name: String) { self.name = name }
        }
        var pending = PendingConnections<Connection>(perAddress: 2, total: 4)
        let farm = Connection("farm")
        #expect(pending.admit(ObjectIdentifier(farm), host: "2001:db8:aa::5", farm) == nil)
        let flood = (0..<3).map { Connection("flood \($0)") }
        #expect(pending.admit(ObjectIdentifier(flood[0]), host: "2001:db8:bb::1", flood[0]) == nil)
        #expect(pending.admit(ObjectIdentifier(flood[1]), host: "2001:db8:bb::2", flood[1]) == nil)
        #expect(pending.admit(ObjectIdentifier(flood[2]), host: "2001:db8:bb:0:ffff::3", flood[2])?.name == "flood 0",
                "another address of the same /64 counts against that /64")
        let four = Connection("ipv4")
        #expect(pending.admit(ObjectIdentifier(four), host: "10.0.0.1", four) == nil)
        let mapped = Connection("mapped")
        #expect(pending.admit(ObjectIdentifier(mapped), host: "::ffff:10.0.0.2", mapped)?.name == "farm",
                "the global bound: the oldest of all")
    }
}
