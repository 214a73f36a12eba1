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
        var decoder = FrameDecoder()
        decoder.feed(stream)
        var frames: [Frame] = []
        while let frame = try? decoder.next() { frames.append(frame) }
        return frames
    }

    /// The messages `role` sent, each as its plain type and body, opened with the keys both
    /// fixture sides derive: the listener's first SUMMARY from its handshake message (when
    /// `handshake`), then every SEALED frame.
    func plainMessages(of role: SessionRole, handshake: Bool = true) -> [(type: FrameType, body: [UInt8])] {
        var tap = SessionFixtures.wiretap()
        var messages: [(FrameType, [UInt8])] = []
        for frame in Self.frames(stream(of: role)) {
            switch frame.type {
            case .sealed:
                guard let inner = tap.open(frame, from: role), let type = inner.first.flatMap(FrameType.init(rawValue:)) else { continue }
                messages.append((type, Array(inner.dropFirst())))
            case .handshake2 where handshake:
                guard let message1 = Self.frames(dialerStream).first?.payload,
                      let payload = tap.listenerReply(frame.payload, after: message1),
                      let message = try? ListenerReply.decode(payload).message else { continue }
                messages.append((message.frameType, message.body))
            default:
                continue
            }
        }
        return messages
    }

    /// The envelope-mode script that makes the harness peer say what `role` said.
    func script(of role: SessionRole) -> [UInt8] {
        var script: [UInt8] = []
        if role == .dialer {
            let tap = SessionFixtures.wiretap()
            let hello = Self.frames(dialerStream).first.flatMap { tap.dialerHello($0.payload) }.flatMap { try? DialerHello.decode($0) }
            var writer = ByteWriter(capacity: 9)
            writer.byte(0)
            writer.uint64BigEndian(hello?.stateTag ?? 0)  // the dialer's own state tag, as sent
            script += writer.bytes
        }
        // The harness's own handshake carries the listener's first SUMMARY.
        for message in plainMessages(of: role, handshake: false) {
            script += HonestPeer.sealedCommand(type: message.type, plainBody: message.body)
        }
        return script
    }
}
