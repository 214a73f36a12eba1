import CarnetCore
import CarnetSync
import CarnetTestKit
import CarnetWire
import Testing

/// The handshake's payloads (SPEC 8.2) as a listener reads and answers them.
struct SessionHandshakeTests {
    private static let dialerNonce = [UInt8](repeating: 1, count: 32), listenerNonce = [UInt8](repeating: 2, count: 32)
    private static let tap = SessionWiretap(secret: testSecret, dialerNonce: dialerNonce, listenerNonce: listenerNonce)

    private func frames(_ bytes: [UInt8]) -> [Frame] {
        var decoder = FrameDecoder()
        decoder.feed(bytes)
        var frames: [Frame] = []
        while let frame = try? decoder.next() { frames.append(frame) }
        return frames
    }

    /// A listener whose SUMMARY would make message 2 longer than Noise allows (a hub of
    /// 4,000 nodes meeting a new farm) sends message 2 with the "SUMMARY follows" flag and
    /// the SUMMARY as its first SEALED frame; the sync completes.
    @Test func aSummaryTooLongForMessage2FollowsAsTheFirstSealedFrame() {
        var hub = Replica(node: NodeID.derived(from: "hub"))
        for index in 0..<4_000 {
            var writer = Replica(node: NodeID.derived(from: "farm \(index)"))
            hub.admit(writer.write(.append(Entry(id: "e\(index)", kind: "harvest", fields: [])), wallMillis: 1_000 + UInt64(index)))
        }
        var settings = SessionSettings()
        settings.grants = false  // message 2's flags as before grants: bit 0 alone
        var dialer = Side(role: .dialer, replica: Replica(node: NodeID.derived(from: "new farm")), secret: testSecret, nonceSeed: 1,
                          settings: settings)
        var listener = Side(role: .listener, replica: hub, secret: testSecret, nonceSeed: 2, settings: settings)
        let message1 = dialer.start(now: .zero)
        _ = listener.start(now: .zero)
        let reply = listener.receive(message1, now: .zero)
        let sent = frames(reply)
        #expect(sent.map(\.type) == [.handshake2, .sealed], "\(sent.map(\.type))")
        #expect(sent.first?.payload.count == 32 + ListenerReply.fixedLength + 16, "message 2 holds the flags and the clock alone")
        if let message2 = sent.first?.payload, let first = frames(message1).first?.payload,
           let payload = Self.tap.listenerReply(message2, after: first) {
            #expect(payload == [ListenerReply.summaryFollowsFlag] + [UInt8](repeating: 0, count: 8), "flags, then the clock (0 here)")
        } else {
            Issue.record("message 2 does not read")
        }
        #expect(listener.session.sentLog.last(2).map(\.messageType) == [.summary, .summary])
        var pair = SessionPair(dialer: dialer, listener: listener, seed: 9)
        pair.toListener = pair.dialer.receive(reply, now: .zero)
        pair.run()
        #expect(pair.dialer.end?.isSuccess == true && pair.listener.end?.isSuccess == true, "\(String(describing: pair.dialer.end))")
        #expect(pair.dialer.replica.summary == hub.summary)
    }

    /// A message 1 that reads but sets a flag this version does not define, or the
    /// identity bit or the receipt bit (SPEC 9.6) in a ledger without device keys, is
    /// answered, under the channel being made, with `malformed`.
    @Test(arguments: [(UInt8(8), "flags"), (DialerHello.identityFlag, "device proof"), (DialerHello.receiptFlag, "custody receipt")])
    func aMessage1WithAFlagItCannotHonourIsToldMalformed(flags: UInt8, words: String) {
        let history = RandomHistory(seed: 5, nodes: 3, steps: 40)
        var listener = Side(role: .listener, replica: history.replicas[1], secret: testSecret, nonceSeed: 2)
        _ = listener.start(now: .zero)
        var payload = DialerHello(wallMillis: 0, stateTag: 0).encoded
        payload[0] = flags
        let message1 = Self.tap.message1(payload: payload)
        let reply = frames(listener.receive(Frame(type: .handshake1, payload: message1).encoded, now: .zero))
        #expect(reply.map(\.type) == [.handshake2])
        guard let message2 = reply.first?.payload, let answer = Self.tap.listenerReply(message2, after: message1),
              case let .error(error)? = try? ListenerReply.decode(answer).message else {
            Issue.record("no ERROR in message 2")
            return
        }
        #expect(error.code == .malformed && error.message.contains(words), "\(error.message)")
        guard case let .failed(code, _)? = listener.end?.outcome else {
            Issue.record("\(String(describing: listener.end))")
            return
        }
        #expect(code == .malformed)
    }

    /// Message 1 is the same 70 bytes whatever the dialer holds: its length says nothing.
    @Test func message1HasOneSize() {
        for seed in [UInt64(1), 2, 3] {
            let history = RandomHistory(seed: seed, nodes: Int(seed) * 5, steps: 100)
            var dialer = Side(role: .dialer, replica: history.replicas[0], secret: testSecret, nonceSeed: 1)
            #expect(dialer.start(now: .zero).count == 4 + 1 + 32 + DialerHello.length + 16)
        }
    }
}
