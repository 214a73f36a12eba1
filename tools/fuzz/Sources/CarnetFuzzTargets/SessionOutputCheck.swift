import CarnetCore
import CarnetSync
import CarnetWire

/// Checks everything a session under test sent, as its peer would read it: a stream of
/// whole frames starting with this side's HELLO; a proof that the peer's handshake
/// accepts; every later frame under a MAC the peer's keys open (an ERROR may also be
/// plain, before authentication), whose body decodes, summaries deciphered, event batches
/// decoded (primed ones against the context the session holds).
///
/// The peer's nonce is read from the first frame the session was given, when that is a
/// HELLO: in raw mode too, a session that accepted a HELLO must speak under its keys.
struct SessionOutputCheck {
    static let name = "session"
    let role: SessionRole
    /// What the node held when the session ended: where its primed batches found their
    /// context (a node only ever adds events, so a context read during the session is there).
    let snapshot: Replica

    func check(output: [UInt8], input: [UInt8]) throws(FuzzViolation) {
        var decoder = FrameDecoder(expectingHello: true)
        decoder.feed(output)
        var frames: [Frame] = []
        do {
            while let frame = try decoder.next() { frames.append(frame) }
        } catch {
            throw FuzzViolation(Self.name, "the session's own output is not a frame stream: \(error)")
        }
        try require(decoder.bufferedBytes == 0, Self.name, "the session sent \(decoder.bufferedBytes) bytes of an incomplete frame")
        guard let hello = frames.first else { return }
        guard case let .hello(own)? = try? SessionMessage.decode(type: .hello, body: hello.payload), own.role == role,
              own.nonce == SessionFixtures.nonce(of: role) else {
            throw FuzzViolation(Self.name, "the session's first frame is not its HELLO")
        }
        guard let peerNonce = Self.peerNonce(in: input) else {
            for frame in frames.dropFirst() {
                try require(frame.type == .error && (try? SessionMessage.decode(type: .error, body: frame.payload)) != nil,
                            Self.name, "the session sent a \(frame.type) frame to a peer that sent no HELLO")
            }
            return
        }
        let handshake = HandshakeKeys(secret: SessionFixtures.secret, role: role.peer, ownNonce: peerNonce,
                                  peerNonce: SessionFixtures.nonce(of: role))
        var incoming = handshake.authenticators.incoming
        var summaries = handshake.summaryCiphers.incoming
        for (index, frame) in frames.enumerated().dropFirst() {
            switch frame.type {
            case .hello:
                throw FuzzViolation(Self.name, "the session sent a second HELLO (frame \(index))")
            case .proof:
                try require(handshake.verifyPeerProof(frame.payload), Self.name, "the session's proof does not verify")
            case .error:
                var attempt = incoming
                if let body = attempt.open(frame) {
                    incoming = attempt
                    try decodes(.error, body, index)
                } else {
                    try decodes(.error, frame.payload, index)
                }
            default:
                guard let body = incoming.open(frame) else {
                    throw FuzzViolation(Self.name, "frame \(index) (\(frame.type)) fails its MAC under the session's keys")
                }
                let message = try decodes(frame.type, frame.type == .summary ? summaries.apply(body) : body, index)
                if case let .events(events) = message { try batchDecodes(events, index) }
            }
        }
    }

    @discardableResult
    private func decodes(_ type: FrameType, _ body: [UInt8], _ index: Int) throws(FuzzViolation) -> SessionMessage {
        do {
            return try SessionMessage.decode(type: type, body: body)
        } catch {
            throw FuzzViolation(Self.name, "frame \(index): the session sent a \(type) body that does not decode: \(error)")
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

    /// The nonce of the HELLO the session was given first, if the input starts with one.
    static func peerNonce(in input: [UInt8]) -> [UInt8]? {
        var decoder = FrameDecoder(expectingHello: true)
        decoder.feed(input)
        guard let frame = try? decoder.next(),
              case let .hello(hello)? = try? SessionMessage.decode(type: .hello, body: frame.payload) else { return nil }
        return hello.nonce
    }
}
