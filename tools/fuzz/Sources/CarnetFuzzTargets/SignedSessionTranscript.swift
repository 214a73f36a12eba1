import CarnetCore
import CarnetSync
import CarnetWire

/// A real signed session between the fixture farm (dialer) and hub (listener) of one
/// meeting, run in memory on the target's own driver and stores: what each side sent,
/// from which the `session-signed` seeds are made. Not live and unprimed sessions with
/// whole deliveries in turn are the signed golden vectors' sessions, byte for byte (the
/// replay test checks it against protocol/vectors/session-v2-signed.txt).
struct SignedSessionTranscript {
    let world: SignedSessionWorld
    private(set) var dialerStream: [UInt8] = []
    private(set) var listenerStream: [UInt8] = []
    /// Whether both sides ended the session successfully.
    private(set) var succeeded = false

    init(_ meeting: SignedSessionWorld.Meeting, live: Bool) {
        world = SignedSessionWorld(meeting: meeting)
        var sides = [SessionRole.dialer, .listener].map { role in
            SessionDriver(target: SignedSessionTarget.name, role: role, secret: SignedSessionWorld.secret, nonce: world.nonce(of: role),
                          live: live, priming: true, store: world.store(of: role))
        }
        try? sides[0].start()
        try? sides[1].start()
        var sent = [0, 0]
        for _ in 0..<64 {
            let outgoing = [sides[0].output[sent[0]...], sides[1].output[sent[1]...]]
            if outgoing.allSatisfy(\.isEmpty) { break }
            sent = [sides[0].output.count, sides[1].output.count]
            // As the vectors: the listener reads what the dialer wrote, then the reverse.
            if !outgoing[0].isEmpty && !sides[1].closed { try? sides[1].receive(outgoing[0]) }
            if !outgoing[1].isEmpty && !sides[0].closed { try? sides[0].receive(outgoing[1]) }
        }
        dialerStream = sides[0].output
        listenerStream = sides[1].output
        succeeded = sides.allSatisfy { $0.driver.report.end?.isSuccess == true }
    }

    func stream(of role: SessionRole) -> [UInt8] {
        role == .dialer ? dialerStream : listenerStream
    }

    /// The messages `role` sent in SEALED frames, each as its plain type and body, with the
    /// device proof or key that starts the first one taken off (the harness adds its own).
    func plainMessages(of role: SessionRole) -> [(type: FrameType, body: [UInt8])] {
        var tap = world.wiretap()
        var messages: [(FrameType, [UInt8])] = []
        var prefixPending = role == .dialer || SignedHonestPeer.honestOptions(role: .listener, meeting: world.meeting) & 2 != 0
        for frame in SessionTranscript.frames(stream(of: role)) where frame.type == .sealed {
            guard var inner = tap.open(frame, from: role) else { continue }
            if prefixPending {
                var reader = ByteReader(inner)
                let parsed: Bool = role == .dialer ? (try? DeviceProof.decode(from: &reader)) != nil
                    : (try? DeviceProof.decodeKey(from: &reader)) != nil
                if parsed, FrameType(rawValue: inner[reader.offset]) != nil {
                    inner.removeFirst(reader.offset)
                    prefixPending = false
                }
            }
            guard let type = inner.first.flatMap(FrameType.init(rawValue:)) else { continue }
            messages.append((type, Array(inner.dropFirst())))
        }
        return messages
    }

    /// The envelope-mode script (options byte, the dialer's state tag, sealed messages)
    /// that makes the harness peer say what `role` said, proving its device as it did;
    /// each unprimed batch it sent changed by `rewrite` (a dishonest peer's seeds).
    func script(of role: SessionRole, rewritingBatches rewrite: ((SignedEvents) -> SignedEvents)? = nil) -> [UInt8] {
        var script: [UInt8] = [SignedHonestPeer.honestOptions(role: role, meeting: world.meeting)]
        if role == .dialer {
            let tap = world.wiretap()
            let hello = SessionTranscript.frames(dialerStream).first.flatMap { tap.dialerHello($0.payload) }
                .flatMap { try? DialerHello.decode($0) }
            var writer = ByteWriter(capacity: 9)
            writer.byte(0)
            writer.uint64BigEndian(hello?.stateTag ?? 0)
            script += writer.bytes
        }
        for message in plainMessages(of: role) {
            var body = message.body
            if let rewrite, case let .events(events)? = try? SessionMessage.decode(type: message.type, body: body), events.context == nil,
               let signed = try? EventBatch.decodeSigned(events.payload) {
                body = SessionMessage.events(EventsMessage(batch: events.batch, context: nil, payload: EventBatch.encode(rewrite(signed)))).body
            }
            script += HonestPeer.sealedCommand(type: message.type, plainBody: body)
        }
        return script
    }
}
