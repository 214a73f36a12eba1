import CarnetCore
import CarnetReplicaNode
import CarnetSync
import CarnetWire
import Testing

/// The device proofs of a signed ledger's handshake (SPEC 8.2.7) where the listener's
/// SUMMARY does not fit message 2: the proof still rides in message 2, and the dialer
/// checks it against the SUMMARY that follows as the first SEALED frame.
struct SignedHandshakeTests {
    static let ledger = LedgerID(bytes: [UInt8](repeating: 0x33, count: 16))!

    static func device(_ seed: UInt8) -> DeviceSigner {
        DeviceSigner(privateKey: Ed25519.PrivateKey(seed: [UInt8](repeating: seed, count: 32))!,
                     salt: [UInt8](repeating: seed, count: NodeKey.saltByteCount))
    }

    private func frames(_ bytes: [UInt8]) -> [Frame] {
        var decoder = FrameDecoder()
        decoder.feed(bytes)
        var frames: [Frame] = []
        while let frame = try? decoder.next() { frames.append(frame) }
        return frames
    }

    @Test func aProofInMessage2IsCheckedAgainstTheSummaryThatFollows() {
        let hubDevice = Self.device(0x4B), farmDevice = Self.device(0xFA)
        let hub = SignedReplicaStore(device: hubDevice, ledger: Self.ledger, label: "hub", operations: [], wallMillis: 1_000)
        var others: [Event] = []
        for index in 0..<4_000 {
            var writer = Replica(node: NodeID.derived(from: "farm \(index)"))
            others.append(writer.write(.append(Entry(id: "e\(index)", kind: "harvest", fields: [])), wallMillis: 2_000 + UInt64(index)))
        }
        _ = hub.base.learn(others)
        let farm = SignedReplicaStore(device: farmDevice, ledger: Self.ledger, label: "farm", operations: [], wallMillis: 1_000)
        let secret = [UInt8](repeating: 9, count: 32)
        var dialer = PeerDriver(role: .dialer, secret: secret, nonce: [UInt8](repeating: 1, count: 32), live: false, store: farm)
        var listener = PeerDriver(role: .listener, secret: secret, nonce: [UInt8](repeating: 2, count: 32), live: false, store: hub)
        var toListener = OutgoingBytes(), toDialer = OutgoingBytes()
        dialer.start(store: farm, transport: &toListener, now: .zero)
        listener.start(store: hub, transport: &toDialer, now: .zero)
        listener.received(toListener.take(), store: hub, transport: &toDialer, now: .zero)
        let reply = toDialer.take()
        let sent = frames(reply)
        #expect(sent.map(\.type) == [.handshake2, .sealed], "\(sent.map(\.type))")
        // The flags and a proof with the key (the farm is new to the hub): nothing else.
        #expect(sent.first?.payload.count == 32 + ListenerReply.fixedLength + DeviceProof.length(withKey: true) + 16)
        dialer.received(reply, store: farm, transport: &toListener, now: .zero)
        #expect(dialer.session.statistics.peerDevice == hubDevice.node, "checked once the SUMMARY arrived")
        listener.received(toListener.take(), store: hub, transport: &toDialer, now: .zero)
        #expect(listener.session.statistics.peerDevice == farmDevice.node)
        #expect(listener.session.isAuthenticated)
        dialer.finish(store: farm)
        listener.finish(store: hub)
    }

    /// A member's dialer that does not offer a device proof in a signed ledger is told so
    /// (under the channel being made) and admitted to nothing.
    @Test func aSignedListenerRefusesADialerWithoutAProof() {
        let hub = SignedReplicaStore(device: Self.device(0x4B), ledger: Self.ledger, label: "hub", operations: [], wallMillis: 1_000)
        let secret = [UInt8](repeating: 9, count: 32)
        let tap = SessionWiretap(secret: secret, ledgerID: Self.ledger, dialerNonce: [UInt8](repeating: 1, count: 32),
                                 listenerNonce: [UInt8](repeating: 2, count: 32))
        let message1 = tap.message1(payload: DialerHello(flags: 0, wallMillis: 0, stateTag: 0).encoded)
        var listener = PeerDriver(role: .listener, secret: secret, nonce: [UInt8](repeating: 2, count: 32), live: false, store: hub)
        var toDialer = OutgoingBytes()
        listener.start(store: hub, transport: &toDialer, now: .zero)
        listener.received(Frame(type: .handshake1, payload: message1).encoded, store: hub, transport: &toDialer, now: .zero)
        let sent = frames(toDialer.take())
        #expect(sent.map(\.type) == [.handshake2])
        guard let message2 = sent.first?.payload, let payload = tap.listenerReply(message2, after: message1),
              case let .error(error)? = try? ListenerReply.decode(payload).message else {
            Issue.record("no ERROR in message 2")
            return
        }
        #expect(error.code == .authenticationFailed && error.message.contains("prove its device"), "\(error.message)")
        #expect(!listener.session.isAuthenticated && listener.isFinished)
        listener.finish(store: hub)
    }
}
