import CarnetWire
import Testing

/// The RECEIPT message (SPEC 8.1, 9.6) and message 1's bit 1, byte for byte.
struct ReceiptMessageTests {
    static let signature = (0..<64).map { UInt8($0) }

    @Test func aReceiptIsSeqTimeAndSignature() throws {
        let message = SessionMessage.receipt(ReceiptMessage(seq: 300, signed: (0x0102_0304_0506_0708, Self.signature)))
        let expected: [UInt8] = [10, 0xAC, 0x02, 1, 2, 3, 4, 5, 6, 7, 8] + Self.signature
        #expect(message.encoded == expected)
        #expect(try SessionMessage.decode(inner: expected) == message)
    }

    @Test func seqZeroCarriesNothingElse() throws {
        let empty = SessionMessage.receipt(ReceiptMessage(seq: 0, signed: nil))
        #expect(empty.encoded == [10, 0])
        #expect(try SessionMessage.decode(inner: [10, 0]) == empty)
        #expect(throws: WireError.self) { try SessionMessage.decode(inner: [10, 0, 1]) }
    }

    @Test func aShortOrLongReceiptIsMalformed() {
        let whole: [UInt8] = [10, 5, 0, 0, 0, 0, 0, 0, 0, 9] + Self.signature
        #expect(throws: WireError.self) { try SessionMessage.decode(inner: Array(whole.dropLast())) }
        #expect(throws: WireError.self) { try SessionMessage.decode(inner: whole + [0]) }
        #expect(throws: WireError.self) { try SessionMessage.decode(inner: [10]) }
    }

    @Test func message1TakesBitsZeroAndOneOnly() throws {
        for flags: UInt8 in [0, 1, 2, 3, 4, 7] {
            let hello = DialerHello(flags: flags, wallMillis: 7, stateTag: 9)
            #expect(try DialerHello.decode(hello.encoded) == hello)
        }
        for flags: UInt8 in [8, 9, 0x80] {
            var bytes = DialerHello(wallMillis: 7, stateTag: 9).encoded
            bytes[0] = flags
            #expect(throws: WireError.self) { try DialerHello.decode(bytes) }
        }
    }
}
