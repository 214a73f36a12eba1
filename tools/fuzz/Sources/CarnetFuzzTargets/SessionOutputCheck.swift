import CarnetCore
import CarnetSync
import CarnetWire

/// Checks everything a session under test sent, as its peer would read it: a stream of
/// whole frames; for a dialer, message 1 first, which the fixture listener reads; for a
/// listener, message 2 first (or the answer to a version-1 peer, and nothing else); every
/// later frame SEALED, opening under the session's keys in order, whose message decodes,
/// event batches decoded (primed ones against the context the session holds).
///
/// The keys are known when the peer's handshake message in the input carries the
/// fixture peer's ephemeral key (as every seed does); otherwise only the framing and the
/// frame types are checked.
struct SessionOutputCheck {
    static let name = "session"
    let role: SessionRole
    /// What the node held when the session ended: where its primed batches found their
    /// context (a node only ever adds events, so a context read during the session is there).
    let snapshot: Replica

    func check(output: [UInt8], input: [UInt8]) throws(FuzzViolation) {
        var decoder = FrameDecoder()
        decoder.feed(output)
        var frames: [Frame] = []
        do {
            while let frame = try decoder.next() { frames.append(frame) }
        } catch {
            throw FuzzViolation(Self.name, "the session's own output is not a frame stream: \(error)")
        }
        try require(decoder.bufferedBytes == 0, Self.name, "the session sent \(decoder.bufferedBytes) bytes of an incomplete frame")
        guard let first = frames.first else { return }
        var tap = SessionFixtures.wiretap()
        let keysKnown: Bool
        switch (role, first.type) {
        case (.dialer, .handshake1):
            try require(first.payload == SessionFixtures.dialerMessage1, Self.name, "the dialer's message 1 is not the fixture's")
            keysKnown = Self.peerEphemeral(in: input, opening: .handshake2) == Self.publicKey(of: .listener)
        case (.listener, .handshake2):
            keysKnown = Self.peerEphemeral(in: input, opening: .handshake1) == Self.publicKey(of: .dialer)
        case (.listener, .hello):
            try require(frames.count == 2 && frames[1].type == .error, Self.name, "the answer to a version-1 peer is not HELLO and ERROR")
            return
        default:
            throw FuzzViolation(Self.name, "the session's first frame is a \(first.type), not its handshake message")
        }
        for (index, frame) in frames.enumerated().dropFirst() {
            guard frame.type == .sealed else {
                throw FuzzViolation(Self.name, "frame \(index) is a \(frame.type) frame after the handshake, not SEALED")
            }
            guard keysKnown else { continue }
            guard let inner = tap.open(frame, from: role) else {
                throw FuzzViolation(Self.name, "frame \(index) does not open under the session's keys")
            }
            let message: SessionMessage
            do {
                message = try SessionMessage.decode(inner: inner)
            } catch {
                throw FuzzViolation(Self.name, "frame \(index): the session sealed a message that does not decode: \(error)")
            }
            if case let .events(events) = message { try batchDecodes(events, index) }
        }
    }

    private func batchDecodes(_ message: EventsMessage, _ index: Int) throws(FuzzViolation) {
        do {
            if let named = message.context {
                guard let context = snapshot.history.chainEvents(of: named.node, endingAt: named.endSeq, count: Int(named.count)) else {
                    throw FuzzViolation(Self.name, "frame \(index): the session primed a batch with a context it does not hold")
                }
                _ = try EventBatch.decode(message.payload, primedWith: context)
            } else {
                _ = try EventBatch.decode(message.payload)
            }
        } catch let violation as FuzzViolation {
            throw violation
        } catch {
            throw FuzzViolation(Self.name, "frame \(index): the session sent batch \(message.batch) that does not decode: \(error)")
        }
    }

    /// The fixture side's ephemeral public key.
    static func publicKey(of role: SessionRole) -> [UInt8]? {
        X25519.PrivateKey(bytes: SessionFixtures.nonce(of: role))?.publicKey
    }

    /// The ephemeral key at the start of the handshake message the session was given first.
    static func peerEphemeral(in input: [UInt8], opening: FrameType) -> [UInt8]? {
        var decoder = FrameDecoder(opening: [opening])
        decoder.feed(input)
        guard let frame = try? decoder.next(), frame.payload.count >= 32 else { return nil }
        return Array(frame.payload.prefix(32))
    }
}
