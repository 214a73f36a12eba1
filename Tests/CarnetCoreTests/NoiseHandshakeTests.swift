import CarnetCore
import Testing

/// The handshake engine beyond the vectors: protocol names, set-up checks, misuse, and
/// what happens to altered, replayed, truncated and oversized messages. Deterministic:
/// every key is a fixed byte pattern.
struct NoiseHandshakeTests {
    static let nnpsk0 = "Noise_NNpsk0_25519_ChaChaPoly_SHA256"

    /// A fixed private key per seed (any 32 bytes are a key; they are clamped on use).
    static func key(_ seed: UInt8) -> X25519.PrivateKey {
        X25519.PrivateKey(bytes: (0..<32).map { UInt8($0) &* 13 &+ seed })!
    }

    static let psk = [UInt8](repeating: 0x5a, count: 32)

    /// Both sides of `name` with fixed keys: the initiator's static 1 and ephemeral 2, the
    /// responder's static 3 and ephemeral 4; each is given the peer's static key when its
    /// pattern has it as a pre-message, and one PSK per `psk` token.
    static func pair(_ name: String, psk: [UInt8] = psk, responderPSK: [UInt8]? = nil,
                     responderEphemeral: UInt8 = 4) throws -> (NoiseHandshakeState, NoiseHandshakeState) {
        let pattern = try NoiseProtocol(name: name).pattern
        let psks = [[UInt8]](repeating: psk, count: pattern.pskCount)
        let responderPSKs = [[UInt8]](repeating: responderPSK ?? psk, count: pattern.pskCount)
        let initiator = try NoiseHandshakeState(
            protocolName: name, role: .initiator, prologue: Array("carnet v2".utf8),
            localStatic: key(1), localEphemeral: key(2),
            remoteStatic: pattern.responderPreMessage.contains(.s) ? key(3).publicKey : nil, presharedKeys: psks)
        let responder = try NoiseHandshakeState(
            protocolName: name, role: .responder, prologue: Array("carnet v2".utf8),
            localStatic: key(3), localEphemeral: key(responderEphemeral),
            remoteStatic: pattern.initiatorPreMessage.contains(.s) ? key(1).publicKey : nil, presharedKeys: responderPSKs)
        return (initiator, responder)
    }

    /// Runs the handshake to the end, returning its messages and both transports.
    static func complete(_ initiator: inout NoiseHandshakeState, _ responder: inout NoiseHandshakeState)
        throws -> [[UInt8]] {
        var messages: [[UInt8]] = []
        while !initiator.isFinished {
            let payload = Array("message \(messages.count)".utf8)
            if initiator.isMyTurn {
                messages.append(try initiator.writeMessage(payload: payload))
                #expect(try responder.readMessage(messages.last!) == payload)
            } else {
                messages.append(try responder.writeMessage(payload: payload))
                #expect(try initiator.readMessage(messages.last!) == payload)
            }
        }
        #expect(responder.isFinished)
        return messages
    }

    // MARK: Names and patterns

    @Test("protocol names: the suite, the pattern and the modifiers are checked")
    func protocolNames() throws {
        #expect(try NoiseProtocol(name: Self.nnpsk0).pattern.messages == [[.psk, .e], [.e, .ee]])
        #expect(try NoiseProtocol(name: "Noise_XXpsk3_25519_ChaChaPoly_SHA256").pattern.messages
            == [[.e], [.e, .ee, .s, .es], [.s, .se, .psk]])
        let two = try NoiseProtocol(name: "Noise_NNpsk0+psk2_25519_ChaChaPoly_SHA256").pattern
        #expect(two.messages == [[.psk, .e], [.e, .ee, .psk]])
        #expect(two.pskCount == 2)
        #expect(try NoiseProtocol(name: "Noise_IK_25519_ChaChaPoly_SHA256").pattern.responderPreMessage == [.s])
        #expect(try NoiseProtocol(name: "Noise_K_25519_ChaChaPoly_SHA256").pattern.isOneWay)
        #expect(try !NoiseProtocol(name: "Noise_NN_25519_ChaChaPoly_SHA256").pattern.isOneWay)
        #expect(NoisePattern.baseNames.count == 38)

        let refused: [(String, NoiseError)] = [
            ("Noise_NN_25519_AESGCM_SHA256", .unsupportedSuite("Noise_NN_25519_AESGCM_SHA256")),
            ("Noise_NN_448_ChaChaPoly_SHA256", .unsupportedSuite("Noise_NN_448_ChaChaPoly_SHA256")),
            ("Noise_NN_25519_ChaChaPoly_BLAKE2s", .unsupportedSuite("Noise_NN_25519_ChaChaPoly_BLAKE2s")),
            ("Noise_QQ_25519_ChaChaPoly_SHA256", .unknownPattern("QQ")),
            ("Noise_XXfallback_25519_ChaChaPoly_SHA256", .unsupportedModifier("fallback")),
            ("Noise_NNhfs_25519_ChaChaPoly_SHA256", .unsupportedModifier("hfs")),
            ("Noise_NNpsk3_25519_ChaChaPoly_SHA256", .unsupportedModifier("psk3")),
            ("Noise_NNpsk_25519_ChaChaPoly_SHA256", .unsupportedModifier("psk")),
            ("Noise_NNpsk+1_25519_ChaChaPoly_SHA256", .unsupportedModifier("psk")),
            ("Noise_NN_25519_ChaChaPoly", .malformedProtocolName("Noise_NN_25519_ChaChaPoly")),
            ("Noise__25519_ChaChaPoly_SHA256", .malformedProtocolName("Noise__25519_ChaChaPoly_SHA256")),
            ("Nois_NN_25519_ChaChaPoly_SHA256", .malformedProtocolName("Nois_NN_25519_ChaChaPoly_SHA256")),
            ("NN", .malformedProtocolName("NN")),
        ]
        for (name, error) in refused {
            #expect(throws: error, "\(name)") { try NoiseProtocol(name: name) }
        }
    }

    @Test("Initialize refuses missing keys, wrong PSK counts and lengths")
    func initializeChecks() {
        let xx = "Noise_XX_25519_ChaChaPoly_SHA256"
        #expect(throws: NoiseError.missingKey(.localStatic)) {
            try NoiseHandshakeState(protocolName: xx, role: .initiator, localEphemeral: Self.key(2))
        }
        #expect(throws: NoiseError.missingKey(.localEphemeral)) {
            try NoiseHandshakeState(protocolName: xx, role: .responder, localStatic: Self.key(3))
        }
        #expect(throws: NoiseError.missingKey(.remoteStatic)) {
            try NoiseHandshakeState(protocolName: "Noise_NK_25519_ChaChaPoly_SHA256", role: .initiator, localEphemeral: Self.key(2))
        }
        #expect(throws: NoiseError.invalidKeyLength(.remoteStatic)) {
            try NoiseHandshakeState(protocolName: "Noise_NK_25519_ChaChaPoly_SHA256", role: .initiator,
                                    localEphemeral: Self.key(2), remoteStatic: [1, 2, 3])
        }
        #expect(throws: NoiseError.wrongPSKCount(expected: 1, given: 0)) {
            try NoiseHandshakeState(protocolName: Self.nnpsk0, role: .initiator, localEphemeral: Self.key(2))
        }
        #expect(throws: NoiseError.wrongPSKCount(expected: 1, given: 2)) {
            try NoiseHandshakeState(protocolName: Self.nnpsk0, role: .initiator, localEphemeral: Self.key(2),
                                    presharedKeys: [Self.psk, Self.psk])
        }
        #expect(throws: NoiseError.invalidKeyLength(.presharedKey)) {
            try NoiseHandshakeState(protocolName: Self.nnpsk0, role: .initiator, localEphemeral: Self.key(2),
                                    presharedKeys: [[UInt8](repeating: 1, count: 31)])
        }
    }

    // MARK: Carnet's pattern end to end

    /// NNpsk0 as Carnet will run it: same handshake hash on both sides (what the devices
    /// will sign), transport both ways, rekey in step.
    @Test("NNpsk0: handshake, transport both ways, rekey")
    func nnpsk0RoundTrip() throws {
        var (initiator, responder) = try Self.pair(Self.nnpsk0)
        #expect(initiator.isMyTurn && !responder.isMyTurn)
        #expect(throws: NoiseError.handshakeNotFinished) { try initiator.split() }
        let messages = try Self.complete(&initiator, &responder)
        #expect(messages.map(\.count) == [32 + 9 + 16, 32 + 9 + 16])
        #expect(initiator.handshakeHash == responder.handshakeHash)
        #expect(initiator.remoteEphemeralKey == Self.key(4).publicKey)
        #expect(responder.remoteEphemeralKey == Self.key(2).publicKey)
        #expect(initiator.remoteStaticKey == nil)
        var a = try initiator.split(), b = try responder.split()
        #expect(a.handshakeHash == initiator.handshakeHash)
        #expect(b.handshakeHash == initiator.handshakeHash)
        #expect(throws: NoiseError.alreadySplit) { try initiator.split() }
        #expect(throws: NoiseError.handshakeFinished) { try initiator.writeMessage() }
        for round in 0..<3 {
            let ping = Array("ping \(round)".utf8), pong = Array("pong \(round)".utf8)
            #expect(try b.decrypt(a.encrypt(ping)) == ping)
            #expect(try a.decrypt(b.encrypt(pong)) == pong)
        }
        #expect(a.sendingNonce == 3 && a.receivingNonce == 3)
        a.rekeySending()
        b.rekeyReceiving()
        #expect(try b.decrypt(a.encrypt([1, 2, 3])) == [1, 2, 3])
        // One side rekeyed, the other not: the next message fails, and is not consumed.
        b.rekeySending()
        let stale = try b.encrypt([4])
        #expect(throws: NoiseError.decryptionFailed) { try a.decrypt(stale) }
        #expect(a.receivingNonce == 3)
        // Misuse after the end.
        #expect(throws: NoiseError.handshakeFinished) { try initiator.writeMessage() }
        #expect(throws: NoiseError.handshakeFinished) { try responder.readMessage(messages[0]) }
    }

    @Test("wrong turn: each side may only write when the pattern says so")
    func wrongTurn() throws {
        var (initiator, responder) = try Self.pair("Noise_XX_25519_ChaChaPoly_SHA256")
        #expect(throws: NoiseError.wrongTurn) { try responder.writeMessage() }
        #expect(throws: NoiseError.wrongTurn) { try initiator.readMessage([UInt8](repeating: 0, count: 32)) }
        let first = try initiator.writeMessage()
        #expect(throws: NoiseError.wrongTurn) { try initiator.writeMessage() }
        _ = try responder.readMessage(first)
        // A refused turn is not a failure of the handshake: it goes on.
        let second = try responder.writeMessage()
        _ = try initiator.readMessage(second)
        _ = try responder.readMessage(try initiator.writeMessage())
        #expect(initiator.isFinished && responder.isFinished)
        #expect(initiator.remoteStaticKey == Self.key(3).publicKey)
        #expect(responder.remoteStaticKey == Self.key(1).publicKey)
    }

    @Test("one-way patterns: after N, K or X only the initiator sends")
    func oneWay() throws {
        for name in ["Noise_N_25519_ChaChaPoly_SHA256", "Noise_K_25519_ChaChaPoly_SHA256", "Noise_X_25519_ChaChaPoly_SHA256"] {
            var (initiator, responder) = try Self.pair(name)
            _ = try Self.complete(&initiator, &responder)
            var a = try initiator.split(), b = try responder.split()
            #expect(try b.decrypt(a.encrypt([1])) == [1], "\(name)")
            #expect(throws: NoiseError.wrongTurn, "\(name)") { try b.encrypt([2]) }
            #expect(throws: NoiseError.wrongTurn, "\(name)") { try a.decrypt([UInt8](repeating: 0, count: 17)) }
            #expect(a.receivingNonce == nil && b.sendingNonce == nil)
        }
    }

    // MARK: Altered messages

    /// Patterns in which every handshake message carries a tag: flipping the low bit of any
    /// byte of any message fails that very read with
    /// `decryptionFailed`, and the failed state is dead: it refuses the genuine message,
    /// writing, and the transport with `handshakeAborted`. NNpsk2 is here although its
    /// first message is `-> e` alone: in a PSK handshake `e` also calls MixKey, so that
    /// message's payload has a tag. The tag catches alteration, not forgery: its key comes
    /// from public values only, until the PSK enters at message 2.
    @Test("a flipped byte in any handshake message fails decryption and aborts the handshake",
          arguments: [nnpsk0, "Noise_NNpsk2_25519_ChaChaPoly_SHA256", "Noise_IK_25519_ChaChaPoly_SHA256",
                      "Noise_KK_25519_ChaChaPoly_SHA256", "Noise_NK_25519_ChaChaPoly_SHA256",
                      "Noise_IKpsk2_25519_ChaChaPoly_SHA256"])
    func flippedByte(name: String) throws {
        var (initiator, responder) = try Self.pair(name)
        var flips = 0
        while !initiator.isFinished {
            let initiatorSends = initiator.isMyTurn
            let message = initiatorSends ? try initiator.writeMessage(payload: [7, 7, 7]) : try responder.writeMessage(payload: [8])
            let receiver = initiatorSends ? responder : initiator
            for index in message.indices {
                var altered = message
                altered[index] ^= 0x01
                var copy = receiver
                do {
                    _ = try copy.readMessage(altered)
                    Issue.record("\(name): flip at byte \(index) of a \(message.count)-byte message was accepted")
                } catch {
                    #expect(error == .decryptionFailed, "\(name): byte \(index)")
                }
                #expect(throws: NoiseError.handshakeAborted) { try copy.readMessage(message) }
                #expect(throws: NoiseError.handshakeAborted) { try copy.writeMessage() }
                #expect(throws: NoiseError.handshakeAborted) { try copy.split() }
                #expect(!copy.isFinished && !copy.isMyTurn)
                flips += 1
            }
            if initiatorSends { _ = try responder.readMessage(message) } else { _ = try initiator.readMessage(message) }
        }
        #expect(flips > 0)
    }

    /// Where the first message carries no tag (NN, XX: `-> e` alone), Noise cannot
    /// notice a change to it on arrival: the responder accepts it. The change still reaches
    /// `h` (and, through `re`, the keys), so the initiator fails the responder's reply with
    /// `decryptionFailed`. This asserts that actual behaviour for every byte.
    @Test("an unauthenticated first message: the flip is caught at the reply",
          arguments: ["Noise_NN_25519_ChaChaPoly_SHA256", "Noise_XX_25519_ChaChaPoly_SHA256"])
    func flippedUnauthenticatedFirst(name: String) throws {
        let (start, responderStart) = try Self.pair(name)
        var initiator = start
        let first = try initiator.writeMessage(payload: [1, 2, 3])
        for index in first.indices {
            var altered = first
            altered[index] ^= 0x01
            var responder = responderStart
            var sender = initiator
            let payload = try responder.readMessage(altered)
            #expect(payload == (index < 32 ? [1, 2, 3] : Array(altered[32...])), "\(name): byte \(index)")
            let reply = try responder.writeMessage(payload: [4])
            #expect(throws: NoiseError.decryptionFailed, "\(name): byte \(index)") { try sender.readMessage(reply) }
            #expect(throws: NoiseError.handshakeAborted) { try sender.writeMessage() }
        }
    }

    // MARK: PSKs, replay, sizes, keys

    @Test("a wrong PSK fails the first authenticated message")
    func wrongPSK() throws {
        let other = [UInt8](repeating: 0x5b, count: 32)
        // NNpsk0: the responder fails the first message.
        var (initiator, responder) = try Self.pair(Self.nnpsk0, responderPSK: other)
        let first = try initiator.writeMessage(payload: [1])
        #expect(throws: NoiseError.decryptionFailed) { try responder.readMessage(first) }
        #expect(throws: NoiseError.handshakeAborted) { try responder.writeMessage() }
        // NNpsk2: the PSK enters at the end of the reply, so the initiator fails that.
        (initiator, responder) = try Self.pair("Noise_NNpsk2_25519_ChaChaPoly_SHA256", responderPSK: other)
        _ = try responder.readMessage(try initiator.writeMessage())
        let reply = try responder.writeMessage(payload: [2])
        #expect(throws: NoiseError.decryptionFailed) { try initiator.readMessage(reply) }
    }

    /// Noise alone does not stop the replay of a first message: NNpsk0's message 1 holds
    /// only the initiator's ephemeral key and a payload under keys from the PSK and that
    /// key, so a fresh responder (any responder holding the PSK) accepts a recorded copy
    /// and returns the same payload. The replayer cannot finish the handshake (it lacks the
    /// initiator's ephemeral private key, so it cannot read the reply or derive the
    /// transport keys), but the responder has done the work and seen the payload again.
    /// Carnet v2 will put a timestamp in that payload and refuse stale or repeated ones.
    @Test("NNpsk0: a replayed first message decrypts at a fresh responder")
    func replay() throws {
        var (initiator, responder) = try Self.pair(Self.nnpsk0)
        let payload = Array("hello at t0".utf8)
        let first = try initiator.writeMessage(payload: payload)
        #expect(try responder.readMessage(first) == payload)
        // A second responder, with its own fresh ephemeral key, given the recorded message.
        var (_, fresh) = try Self.pair(Self.nnpsk0, responderEphemeral: 9)
        #expect(try fresh.readMessage(first) == payload)
        // Each responder answers with its own ephemeral key, so the two sessions differ;
        // only the holder of the initiator's ephemeral key can read either reply.
        let reply = try responder.writeMessage()
        let replayedReply = try fresh.writeMessage()
        #expect(reply != replayedReply)
        #expect(responder.handshakeHash != fresh.handshakeHash)
        #expect(try initiator.readMessage(reply) == [])
        #expect(initiator.handshakeHash == responder.handshakeHash)
    }

    /// §3: no Noise message exceeds 65,535 bytes. A write whose message would, or a read of
    /// a longer input, is refused before anything changes, so the handshake can go on; the
    /// transport refuses payloads over 65,519 bytes (65,535 less the tag).
    @Test("messages over 65,535 bytes are refused, and the state is kept")
    func tooLong() throws {
        var (initiator, responder) = try Self.pair(Self.nnpsk0)
        // 32 (e) + 65,488 + 16 (tag) = 65,536.
        #expect(throws: NoiseError.messageTooLong(65_536)) { try initiator.writeMessage(payload: [UInt8](repeating: 1, count: 65_488)) }
        let largest = try initiator.writeMessage(payload: [UInt8](repeating: 1, count: 65_487))
        #expect(largest.count == 65_535)
        #expect(throws: NoiseError.messageTooLong(65_536)) { try responder.readMessage(largest + [0]) }
        #expect(try responder.readMessage(largest).count == 65_487)
        _ = try initiator.readMessage(try responder.writeMessage())
        var a = try initiator.split(), b = try responder.split()
        #expect(throws: NoiseError.messageTooLong(65_536)) { try a.encrypt([UInt8](repeating: 2, count: 65_520)) }
        #expect(a.sendingNonce == 0)
        let full = try a.encrypt([UInt8](repeating: 2, count: NoiseTransport.maximumPayloadLength))
        #expect(full.count == 65_535)
        #expect(throws: NoiseError.messageTooLong(65_536)) { try b.decrypt(full + [0]) }
        #expect(try b.decrypt(full).count == 65_519)
    }

    @Test("truncated handshake messages are refused as too short")
    func tooShort() throws {
        let (initiator, responder) = try Self.pair("Noise_XX_25519_ChaChaPoly_SHA256")
        var i = initiator, r = responder
        let first = try i.writeMessage()
        // Fewer than 32 bytes: no room for e.
        var copy = r
        #expect(throws: NoiseError.messageTooShort) { try copy.readMessage(Array(first.prefix(31))) }
        #expect(throws: NoiseError.handshakeAborted) { try copy.readMessage(first) }
        _ = try r.readMessage(first)
        let second = try r.writeMessage()  // e, ee, s (48), es, payload tag (16): 96 bytes
        #expect(second.count == 96)
        // Short of e, of the encrypted s, or of the payload's tag: all refused.
        for length in [0, 31, 32, 79, 80, 95] {
            var reader = i
            #expect(throws: NoiseError.messageTooShort, "length \(length)") { try reader.readMessage(Array(second.prefix(length))) }
        }
        #expect(try i.readMessage(second) == [])
    }

    /// A peer key of small order gives an all-zero DH result, which X25519 reports as nil;
    /// the handshake fails with `invalidPublicKey` whichever side computes it.
    @Test("a small-order peer key fails the handshake")
    func smallOrderKey() throws {
        let zero = [UInt8](repeating: 0, count: 32)
        // NN: the responder takes `e` = 0 (no tag yet), then cannot compute ee for its reply.
        var responder = try Self.pair("Noise_NN_25519_ChaChaPoly_SHA256").1
        #expect(try responder.readMessage(zero) == [])
        #expect(throws: NoiseError.invalidPublicKey) { try responder.writeMessage() }
        #expect(throws: NoiseError.handshakeAborted) { try responder.writeMessage() }
        // NK: the responder computes es while reading the message.
        var nk = try Self.pair("Noise_NK_25519_ChaChaPoly_SHA256").1
        #expect(throws: NoiseError.invalidPublicKey) { try nk.readMessage(zero + [UInt8](repeating: 0, count: 16)) }
        // A pre-message static key of small order fails at the first DH that uses it.
        var ik = try NoiseHandshakeState(
            protocolName: "Noise_IK_25519_ChaChaPoly_SHA256", role: .initiator,
            localStatic: Self.key(1), localEphemeral: Self.key(2), remoteStatic: [1] + zero.dropFirst())
        #expect(throws: NoiseError.invalidPublicKey) { try ik.writeMessage() }
    }
}
