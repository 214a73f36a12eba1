import CarnetCore
import Testing

/// Records beyond Noise's message limit (`encryptRecord`, `decryptRecord`): what Carnet's
/// SEALED frames of up to 1 MiB use. Same keys and counter nonces as transport messages.
struct NoiseRecordTests {
    private func transports() throws -> (NoiseTransport, NoiseTransport) {
        var (initiator, responder) = try NoiseHandshakeTests.pair(NoiseHandshakeTests.nnpsk0)
        _ = try NoiseHandshakeTests.complete(&initiator, &responder)
        return (try initiator.split(), try responder.split())
    }

    @Test func aRecordAboveTheMessageLimitRoundTripsWhereAMessageIsRefused() throws {
        var (a, b) = try transports()
        let big = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        #expect(throws: NoiseError.messageTooLong(big.count + 16)) { try a.encrypt(big) }
        #expect(a.sendingNonce == 0, "a refused message consumes no nonce")
        let record = try a.encryptRecord(big)
        #expect(record.count == big.count + 16)
        #expect(try b.decryptRecord(record) == big)
        #expect(a.sendingNonce == 1 && b.receivingNonce == 1)
    }

    /// The counter nonce holds across both kinds: a record replayed, or reflected to its
    /// sender, does not open, and a failure leaves the counter where it was.
    @Test func aReplayedOrReflectedRecordFailsAndLeavesTheCounter() throws {
        var (a, b) = try transports()
        let first = try a.encryptRecord([1, 2, 3]), second = try a.encryptRecord([4, 5, 6])
        #expect(try b.decryptRecord(first) == [1, 2, 3])
        #expect(throws: NoiseError.decryptionFailed) { try b.decryptRecord(first) }
        #expect(b.receivingNonce == 1)
        #expect(throws: NoiseError.decryptionFailed) { try a.decryptRecord(second) }
        #expect(try b.decryptRecord(second) == [4, 5, 6])
    }
}
