import CarnetCore
import CarnetSync
import CarnetWire

/// Checks everything a signed session under test sent, as its peer would read it: what
/// `SessionOutputCheck` checks of a format-1 session (whole frames; the fixture message 1
/// or a message 2 first; then SEALED frames that open in order under the session's keys
/// and hold messages that decode), and what a signed session adds (SPEC 8.2.7, 9):
///
/// - a listener's message 2 carries its device proof, which verifies under its device key
///   over the handshake hash before the payload (unless it refuses with an ERROR);
/// - a dialer's first SEALED frame starts with its device proof, which verifies over the
///   final handshake hash;
/// - a listener asked for its key sends it, its own, in front of one frame;
/// - batches decode as version 2, and every head in them verifies under the key its node
///   declared, for this ledger: a head that does not would make the peer refuse the batch.
///
/// The keys are known when the peer's handshake message in the input carries the fixture
/// peer's ephemeral key (as every seed does); otherwise only the framing is checked.
struct SignedSessionOutputCheck {
    static let name = SignedSessionTarget.name
    let role: SessionRole
    let world: SignedSessionWorld
    /// What the node held when the session ended (contexts of primed batches, keys).
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
        let keysKnown: Bool
        var keyAsked = false
        switch (role, first.type) {
        case (.dialer, .handshake1):
            try require(first.payload == world.dialerMessage1, Self.name, "the dialer's message 1 is not the fixture's")
            keysKnown = SessionOutputCheck.peerEphemeral(in: input, opening: .handshake2) == publicKey(of: .listener)
        case (.listener, .handshake2):
            keysKnown = SessionOutputCheck.peerEphemeral(in: input, opening: .handshake1) == publicKey(of: .dialer)
            if keysKnown {
                try listenerProofVerifies(first.payload, input: input)
                keyAsked = dialerAskedForKey(input)
            }
        case (.listener, .hello):
            try require(frames.count == 2 && frames[1].type == .error, Self.name, "the answer to a version-1 peer is not HELLO and ERROR")
            return
        default:
            throw FuzzViolation(Self.name, "the session's first frame is a \(first.type), not its handshake message")
        }
        var tap = world.wiretap()
        let ownKey = DeviceProof.encode(SignedSessionWorld.device(of: role).nodeKey)
        for (index, frame) in frames.enumerated().dropFirst() {
            guard frame.type == .sealed else {
                throw FuzzViolation(Self.name, "frame \(index) is a \(frame.type) frame after the handshake, not SEALED")
            }
            guard keysKnown else { continue }
            guard var inner = tap.open(frame, from: role) else {
                throw FuzzViolation(Self.name, "frame \(index) does not open under the session's keys")
            }
            if role == .dialer && index == 1 {
                inner = try dialerProofVerified(inner, input: input)
            } else if keyAsked && inner.starts(with: ownKey) {
                inner.removeFirst(ownKey.count)
                keyAsked = false
            }
            let message: SessionMessage
            do {
                message = try SessionMessage.decode(inner: inner)
            } catch {
                throw FuzzViolation(Self.name, "frame \(index): the session sealed a message that does not decode: \(error)")
            }
            if case let .events(events) = message { try batchVerifies(events, index) }
        }
    }

    private func publicKey(of role: SessionRole) -> [UInt8]? {
        X25519.PrivateKey(bytes: world.nonce(of: role))?.publicKey
    }

    private var psk: [UInt8] { HandshakeKeys.psk(secret: SignedSessionWorld.secret, ledgerID: SignedSessionWorld.ledger) }

    /// The first frame of `type` in the input, as the session read it.
    private static func firstFrame(in input: [UInt8], opening: FrameType) -> Frame? {
        var decoder = FrameDecoder(opening: [opening])
        decoder.feed(input)
        return try? decoder.next()
    }

    /// The listener's message 2 (`payload`): its proof, over the handshake hash before the
    /// payload, verifies under its own key, unless the reply is an ERROR.
    private func listenerProofVerifies(_ payload: [UInt8], input: [UInt8]) throws(FuzzViolation) {
        guard let message1 = Self.firstFrame(in: input, opening: .handshake1)?.payload,
              let plain = world.wiretap().listenerReply(payload, after: message1) else {
            throw FuzzViolation(Self.name, "the listener's message 2 does not open under the fixture keys")
        }
        let reply: ListenerReply
        do {
            reply = try ListenerReply.decode(plain)
        } catch {
            throw FuzzViolation(Self.name, "the listener's message 2 does not decode: \(error)")
        }
        if case .error? = reply.message { return }
        guard let proof = reply.identity else { throw FuzzViolation(Self.name, "the listener's message 2 carries no device proof") }
        var responder = HandshakeKeys.handshake(role: .listener, ephemeral: world.nonce(of: .listener), psk: psk)
        var hash: [UInt8] = []
        guard (try? responder.readMessage(message1)) != nil,
              (try? responder.writeMessage(payloadBoundTo: { bound in hash = bound; return plain })) == payload else {
            throw FuzzViolation(Self.name, "the listener's message 2 cannot be re-made from its payload")
        }
        try proofVerifies(proof, role: .listener, hash: hash, what: "the listener's proof in message 2")
    }

    /// The dialer's first SEALED frame's plaintext: its proof over the final handshake hash
    /// (of the message 2 it read) verifies; returns the message after it.
    private func dialerProofVerified(_ inner: [UInt8], input: [UInt8]) throws(FuzzViolation) -> [UInt8] {
        var reader = ByteReader(inner)
        let proof: DeviceProof
        do {
            proof = try DeviceProof.decode(from: &reader)
        } catch {
            throw FuzzViolation(Self.name, "the dialer's first SEALED frame does not start with a device proof: \(error)")
        }
        var initiator = HandshakeKeys.handshake(role: .dialer, ephemeral: world.nonce(of: .dialer), psk: psk)
        guard let message2 = Self.firstFrame(in: input, opening: .handshake2)?.payload,
              let hello = world.wiretap().dialerHello(world.dialerMessage1),
              (try? initiator.writeMessage(payload: hello)) != nil, (try? initiator.readMessage(message2)) != nil,
              let transport = try? initiator.split() else {
            throw FuzzViolation(Self.name, "the dialer sealed a frame after a message 2 that does not open")
        }
        try proofVerifies(proof, role: .dialer, hash: transport.handshakeHash, what: "the dialer's proof")
        return Array(inner[reader.offset...])
    }

    private func proofVerifies(_ proof: DeviceProof, role: SessionRole, hash: [UInt8], what: String) throws(FuzzViolation) {
        let key = SignedSessionWorld.device(of: role).nodeKey
        try require(proof.key == nil || proof.key == key, Self.name, "\(what) carries a key that is not the node's own")
        try require(key.publicKey.isValidSignature(proof.signature, for: DeviceProof.signedMessage(role: role, handshakeHash: hash)),
                    Self.name, "\(what) does not verify under its device key over the handshake hash")
    }

    /// Whether the dialer's first SEALED frame in the input opens, decodes, and asks for
    /// the listener's key (then the listener sends it, in front of its next frame).
    private func dialerAskedForKey(_ input: [UInt8]) -> Bool {
        var decoder = FrameDecoder(opening: [.handshake1])
        decoder.feed(input)
        var tap = world.wiretap()
        while let frame = try? decoder.next() {
            guard frame.type == .sealed else { continue }
            guard let inner = tap.open(frame, from: .dialer) else { return false }
            var reader = ByteReader(inner)
            guard let proof = try? DeviceProof.decode(from: &reader),
                  (try? SessionMessage.decode(inner: Array(inner[reader.offset...]))) != nil else { return false }
            return proof.asksForKey
        }
        return false
    }

    private func batchVerifies(_ message: EventsMessage, _ index: Int) throws(FuzzViolation) {
        let signed: SignedEvents
        do {
            if let named = message.context {
                guard let context = snapshot.history.chainEvents(of: named.node, endingAt: named.endSeq, count: Int(named.count)) else {
                    throw FuzzViolation(Self.name, "frame \(index): the session primed a batch with a context it does not hold")
                }
                signed = try EventBatch.decodeSigned(message.payload, primedWith: context)
            } else {
                signed = try EventBatch.decodeSigned(message.payload)
            }
        } catch let violation as FuzzViolation {
            throw violation
        } catch {
            throw FuzzViolation(Self.name, "frame \(index): the session sent batch \(message.batch) that does not decode: \(error)")
        }
        let keys = snapshot.heldChains.key
        for head in signed.heads {
            guard let key = keys(head.node) else {
                throw FuzzViolation(Self.name, "frame \(index): the session sent a head of \(head.node.short), whose key it does not hold")
            }
            try require(head.isValid(for: key, ledger: SignedSessionWorld.ledger), Self.name,
                        "frame \(index): the session sent a head at \(head.dot) whose signature does not verify")
        }
    }
}
