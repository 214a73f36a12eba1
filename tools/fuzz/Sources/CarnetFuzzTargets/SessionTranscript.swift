import CarnetCore
import CarnetSync
import CarnetWire

/// A real session between the fixture farm (dialer) and hub (listener), run in memory:
/// what each side sent, from which the seed corpora of the frame, session and codec
/// targets are made.
struct SessionTranscript {
    var dialerStream: [UInt8] = []
    var listenerStream: [UInt8] = []

    init(live: Bool) {
        var dialer = SessionDriver(role: .dialer, live: live, priming: true)
        var listener = SessionDriver(role: .listener, live: live, priming: true)
        try? dialer.start()
        try? listener.start()
        var sentByDialer = 0, sentByListener = 0
        for _ in 0..<64 {
            let toListener = dialer.output[sentByDialer...]
            let toDialer = listener.output[sentByListener...]
            if toListener.isEmpty && toDialer.isEmpty { break }
            sentByDialer = dialer.output.count
            sentByListener = listener.output.count
            if !toListener.isEmpty { try? listener.receive(toListener) }
            if !toDialer.isEmpty { try? dialer.receive(toDialer) }
        }
        dialerStream = dialer.output
        listenerStream = listener.output
    }

    func stream(of role: SessionRole) -> [UInt8] {
        role == .dialer ? dialerStream : listenerStream
    }

    static func frames(_ stream: [UInt8]) -> [Frame] {
        var decoder = FrameDecoder(expectingHello: true)
        decoder.feed(stream)
        var frames: [Frame] = []
        while let frame = try? decoder.next() { frames.append(frame) }
        return frames
    }

    /// The frames `role` sent after its handshake, each as its plain message body: MAC
    /// checked and removed, summaries deciphered, with the keys the sender holds.
    func plainMessages(of role: SessionRole) -> [(type: FrameType, body: [UInt8])] {
        let keys = HandshakeKeys(secret: SessionFixtures.secret, role: role, ownNonce: SessionFixtures.nonce(of: role),
                             peerNonce: SessionFixtures.nonce(of: role.peer))
        var opener = keys.authenticators.outgoing
        var summaries = keys.summaryCiphers.outgoing
        var messages: [(FrameType, [UInt8])] = []
        for frame in Self.frames(stream(of: role)) where frame.type != .hello && frame.type != .proof {
            guard let body = opener.open(frame) else { continue }
            messages.append((frame.type, frame.type == .summary ? summaries.apply(body) : body))
        }
        return messages
    }

    /// The envelope-mode script that makes the harness peer say what `role` said.
    func script(of role: SessionRole) -> [UInt8] {
        var script: [UInt8] = []
        if role == .dialer {
            let hello = Self.frames(dialerStream).first.map(\.payload) ?? []
            script += [0] + hello.suffix(8)  // the dialer's own state tag, as sent
        }
        for message in plainMessages(of: role) {
            script += HonestPeer.sealedCommand(type: message.type, plainBody: message.body)
        }
        return script
    }
}
