@testable import CarnetCore
import CarnetTestKit
import Testing

/// SHA-256 by the processor's SHA extensions and by the rounds written here: the FIPS 180-4
/// vectors through the rounds alone (`SHA256Tests` takes whichever this processor uses),
/// and the two held to each other over random messages of every length up to 300 bytes and
/// of many blocks, fed whole and in pieces.
struct SHA256InstructionsTests {
    private static func byRounds(_ message: [UInt8]) -> SHA256Digest {
        var hasher = SHA256.byRounds()
        hasher.update(message)
        return hasher.finalize()
    }

    @Test func vectorsByTheRounds() {
        #expect(Self.byRounds([]).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Self.byRounds(Array("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Self.byRounds(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)).hex
                    == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(Self.byRounds([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)).hex
                    == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func instructionsAndRoundsAgree() {
        let seed: UInt64 = 0x5A25_6E71_2026_1207
        var rng = SplitMix64(seed: seed)
        let lengths = Array(0...300) + [447, 448, 511, 512, 513, 1_000, 4_096, 65_537]
        for length in lengths {
            let message = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            #expect(SHA256.hash(message) == Self.byRounds(message), "seed \(seed), length \(length)")
            var pieces = SHA256()
            var index = 0
            while index < message.count {
                let end = min(message.count, index + Int(rng.next() % 150))
                pieces.update(message[index..<end])
                index = end
            }
            #expect(pieces.finalize() == Self.byRounds(message), "seed \(seed), length \(length) in pieces")
        }
    }
}
