import CarnetCore
import Foundation
import Testing

/// The Noise engine against cacophony's published vectors: the 59 of `cacophony.txt` for
/// the suite `25519_ChaChaPoly_SHA256` (every fundamental and deferred pattern, and the psk
/// variants the file has), kept in `Tests/Fixtures/vectors/noise/` (see SOURCE.md there).
struct NoiseVectorTests {
    static let vectorFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/vectors/noise/cacophony-25519-ChaChaPoly-SHA256.json")

    /// For each vector, both sides run from the vector's keys, prologue and PSKs. Each
    /// handshake message is written by its sender and must equal the vector's ciphertext
    /// byte for byte, then read by the other side and must give the payload; both sides
    /// must then hold the vector's handshake hash. The remaining messages are transport
    /// messages through the split cipher states: alternating initiator and responder by
    /// message index (even: initiator) for interactive patterns, all from the initiator for
    /// the one-way N, K and X. Every vector is counted, so one skipped fails the test.
    @Test("cacophony: all 59 25519_ChaChaPoly_SHA256 vectors, both sides, byte for byte")
    func cacophony() throws {
        let data = try Data(contentsOf: Self.vectorFile)
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let vectors = try #require(root["vectors"] as? [[String: Any]])
        var passed = 0, handshakeMessages = 0, transportMessages = 0
        var basePatterns: Set<String> = []
        var names: Set<String> = []
        for vector in vectors {
            let name = vector["protocol_name"] as? String ?? "?"
            names.insert(name)
            let result = run(vector, name: name)
            handshakeMessages += result.handshakeMessages
            transportMessages += result.transportMessages
            if result.passed {
                passed += 1
                let pattern = try NoiseProtocol(name: name).pattern.name
                basePatterns.insert(String(pattern.prefix { !$0.isLowercase }))
            }
        }
        print("Noise cacophony: \(vectors.count) vectors, \(passed) passed, \(handshakeMessages) handshake and \(transportMessages) transport messages checked, \(basePatterns.count) base patterns")
        #expect(vectors.count == 59)
        #expect(names.count == 59)
        #expect(passed == 59)
        #expect(handshakeMessages + transportMessages == 59 * 6)
        // Every base pattern of the table is exercised by at least one vector.
        #expect(basePatterns == Set(NoisePattern.baseNames))
    }

    struct Outcome {
        var passed = true
        var handshakeMessages = 0
        var transportMessages = 0
    }

    func run(_ vector: [String: Any], name: String) -> Outcome {
        var outcome = Outcome()
        func fail(_ message: String) {
            outcome.passed = false
            Issue.record(Comment(rawValue: "\(name): \(message)"))
        }
        func bytes(_ key: String) -> [UInt8]? { (vector[key] as? String).map(CryptoHex.bytes) }
        func privateKey(_ key: String) -> X25519.PrivateKey? { bytes(key).flatMap { X25519.PrivateKey(bytes: $0) } }
        func side(_ prefix: String, _ role: NoiseRole) throws -> NoiseHandshakeState {
            try NoiseHandshakeState(
                protocolName: name, role: role, prologue: bytes(prefix + "prologue") ?? [],
                localStatic: privateKey(prefix + "static"), localEphemeral: privateKey(prefix + "ephemeral"),
                remoteStatic: bytes(prefix + "remote_static"),
                presharedKeys: (vector[prefix + "psks"] as? [String] ?? []).map(CryptoHex.bytes))
        }
        guard let messages = vector["messages"] as? [[String: String]], let handshakeHash = bytes("handshake_hash") else {
            fail("malformed vector")
            return outcome
        }
        var initiator: NoiseHandshakeState, responder: NoiseHandshakeState
        do {
            initiator = try side("init_", .initiator)
            responder = try side("resp_", .responder)
        } catch {
            fail("initialize: \(error)")
            return outcome
        }
        let pattern = initiator.noiseProtocol.pattern
        var index = 0
        do {
            // The handshake.
            while index < pattern.messages.count, index < messages.count {
                let payload = CryptoHex.bytes(messages[index]["payload"] ?? "")
                let ciphertext = CryptoHex.bytes(messages[index]["ciphertext"] ?? "")
                let fromInitiator = index.isMultiple(of: 2)
                let written = fromInitiator
                    ? try initiator.writeMessage(payload: payload) : try responder.writeMessage(payload: payload)
                if written != ciphertext { fail("handshake message \(index): ciphertext differs") }
                let read = fromInitiator ? try responder.readMessage(written) : try initiator.readMessage(written)
                if read != payload { fail("handshake message \(index): payload differs") }
                outcome.handshakeMessages += 1
                index += 1
            }
            guard initiator.isFinished, responder.isFinished else {
                fail("handshake did not finish")
                return outcome
            }
            if initiator.handshakeHash != handshakeHash { fail("initiator's handshake hash differs") }
            if responder.handshakeHash != handshakeHash { fail("responder's handshake hash differs") }
            // Transport messages.
            var initiatorTransport = try initiator.split(), responderTransport = try responder.split()
            while index < messages.count {
                let payload = CryptoHex.bytes(messages[index]["payload"] ?? "")
                let ciphertext = CryptoHex.bytes(messages[index]["ciphertext"] ?? "")
                let fromInitiator = pattern.isOneWay || index.isMultiple(of: 2)
                let written = fromInitiator
                    ? try initiatorTransport.encrypt(payload) : try responderTransport.encrypt(payload)
                if written != ciphertext { fail("transport message \(index): ciphertext differs") }
                let read = fromInitiator
                    ? try responderTransport.decrypt(written) : try initiatorTransport.decrypt(written)
                if read != payload { fail("transport message \(index): payload differs") }
                outcome.transportMessages += 1
                index += 1
            }
        } catch {
            fail("message \(index): \(error)")
        }
        return outcome
    }
}
