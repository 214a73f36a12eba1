import CarnetCore
import CarnetWire
import Testing

/// OFFER and GRANT (SPEC 8.1, 8.3 rule 8), byte for byte, and what makes them malformed.
struct GrantRangesTests {
    static let ranges = [GrantRange(node: 0x0102_0304_0506_0708, first: 1, last: 40, lastHash: 0xA1),
                         GrantRange(node: 0x0102_0304_0506_0708, first: 3, last: 3, lastHash: 0xB2),
                         GrantRange(node: 0xFFFF_0000_0000_0001, first: 300, last: 301, lastHash: 0xC3)]

    @Test func anOfferIsItsRangesInOrderWithTheirLastHashes() throws {
        let message = SessionMessage.offer(Self.ranges)
        let expected: [UInt8] = [11, 3,
                                 1, 2, 3, 4, 5, 6, 7, 8, 1, 39, 0, 0, 0, 0, 0, 0, 0, 0xA1,
                                 1, 2, 3, 4, 5, 6, 7, 8, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0xB2,
                                 0xFF, 0xFF, 0, 0, 0, 0, 0, 1, 0xAC, 0x02, 1, 0, 0, 0, 0, 0, 0, 0, 0xC3]
        #expect(message.encoded == expected)
        #expect(try SessionMessage.decode(inner: expected) == message)
    }

    @Test func aGrantIsGrantedRangesThenHeldRangesWithTheirHashes() throws {
        let granted = GrantRange(node: 9, first: 300, last: 301), held = GrantRange(node: 9, first: 1, last: 40, lastHash: 0xD4)
        let message = SessionMessage.grant(granted: [granted], held: [held])
        #expect(message.encoded == [12, 1, 0, 0, 0, 0, 0, 0, 0, 9, 0xAC, 0x02, 1, 1, 0, 0, 0, 0, 0, 0, 0, 9, 1, 39,
                                    0, 0, 0, 0, 0, 0, 0, 0xD4])
        #expect(try SessionMessage.decode(inner: message.encoded) == message)
        let empty = SessionMessage.grant(granted: [], held: [])
        #expect(empty.encoded == [12, 0, 0])
        #expect(try SessionMessage.decode(inner: [12, 0, 0]) == empty)
    }

    @Test func badRangesAreMalformed() {
        let node: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8], hash = [UInt8](repeating: 7, count: 8)
        let cases: [(String, [UInt8])] = [
            ("seq 0", [11, 1] + node + [0, 0] + hash),
            ("out of order", [11, 2] + node + [4, 0] + hash + node + [2, 0] + hash),
            ("a count past the bytes", [11, 2] + node + [2, 0] + hash),
            ("a byte more", [11, 1] + node + [2, 0] + hash + [0]),
            ("an OFFER range without its hash", [11, 1] + node + [2, 0]),
            ("a GRANT without its held list", [12, 1] + node + [2, 0]),
            ("a GRANT's held range without its hash", [12, 0, 1] + node + [2, 0]),
            ("a span past 2^62", [11, 1] + node + [2] + [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F] + hash),
            ("too many ranges", [11, 0x81, 0x80, 0x01]),
        ]
        for (what, bytes) in cases {
            #expect(throws: WireError.self, "\(what)") { try SessionMessage.decode(inner: bytes) }
        }
    }

    @Test func message2CarriesTheGrantsBit() throws {
        let reply = ListenerReply(wallMillis: 5, message: nil, grants: true)
        #expect(reply.encoded.first == ListenerReply.summaryFollowsFlag | ListenerReply.grantsFlag)
        #expect(try ListenerReply.decode(reply.encoded) == reply)
        var bytes = reply.encoded
        bytes[0] |= 8
        #expect(throws: WireError.self) { try ListenerReply.decode(bytes) }
    }
}
