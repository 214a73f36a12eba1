import CarnetCore
import CarnetSync
import CarnetTestKit
import CarnetWire
import Testing

private func sides(dialerSecret: [UInt8] = testSecret, listenerSecret: [UInt8] = testSecret,
                   dialerNonce: UInt8 = 1, listenerNonce: UInt8 = 2) -> (Side, Side) {
    let history = RandomHistory(seed: 5, nodes: 3, steps: 40)
    return (Side(role: .dialer, replica: history.replicas[0], secret: dialerSecret, nonceSeed: dialerNonce),
            Side(role: .listener, replica: history.replicas[1], secret: listenerSecret, nonceSeed: listenerNonce))
}

/// The frame types in `bytes`, read as a stream that starts after the HELLO exchange.
private func frameTypes(_ bytes: [UInt8]) -> [FrameType] {
    var decoder = FrameDecoder()
    decoder.feed(bytes)
    var types: [FrameType] = []
    while let frame = try? decoder.next() { types.append(frame.type) }
    return types
}

private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard needle.count <= haystack.count else { return false }
    return (0...(haystack.count - needle.count)).contains { Array(haystack[$0..<($0 + needle.count)]) == needle }
}

private func failure(_ end: SessionEnd?) -> SessionErrorCode? {
    switch end?.outcome {
    case let .failed(code, _)?, let .closedByPeer(code, _)?: code
    default: nil
    }
}

struct SessionAuthenticationTests {
    @Test func aWrongSecretFailsOnBothSidesAndNoLedgerDataFlows() {
        let (dialer, listener) = sides(dialerSecret: Array("another secret entirely, 32 byte".utf8))
        var pair = SessionPair(dialer: dialer, listener: listener, seed: 1)
        var listenerSent: [UInt8] = []
        pair.start()
        listenerSent += pair.toDialer
        // Run by hand so that every byte the listener sends is recorded.
        while !pair.toListener.isEmpty || !pair.toDialer.isEmpty {
            if !pair.toListener.isEmpty, !pair.listener.session.isClosed {
                let bytes = pair.toListener
                pair.toListener = []
                let out = pair.listener.receive(bytes, now: .zero)
                listenerSent += out
                pair.toDialer += out
            } else if !pair.toDialer.isEmpty, !pair.dialer.session.isClosed {
                let bytes = pair.toDialer
                pair.toDialer = []
                pair.toListener += pair.dialer.receive(bytes, now: .zero)
            } else {
                break
            }
        }
        #expect(failure(pair.dialer.end) == .authenticationFailed, "\(String(describing: pair.dialer.end))")
        #expect(pair.dialer.end?.description.contains("secret") == true)
        #expect(failure(pair.listener.end) == .authenticationFailed, "\(String(describing: pair.listener.end))")
        // The listener sent its HELLO, its proof and its summary, encrypted: nothing of the
        // ledger a stranger can read (no ledger name, no node id, no label).
        #expect(frameTypes(listenerSent).allSatisfy { [.hello, .proof, .summary, .error].contains($0) }, "\(frameTypes(listenerSent))")
        for secretThing in [Array("consortium".utf8), Array("listener".utf8), pair.listener.replica.node.bytes] {
            #expect(!contains(listenerSent, secretThing), "the listener's bytes reveal \(secretThing)")
        }
        #expect(pair.dialer.identifiedPeer == nil && pair.listener.identifiedPeer == nil)
        #expect(pair.dialer.persistedBatches == 0 && pair.listener.persistedBatches == 0)
    }

    /// After `carnet secret rotate`: a node still on the old secret is refused whichever
    /// side dials, and it is the one told how to rejoin; nothing of the ledger flows.
    @Test(arguments: [SessionRole.dialer, .listener])
    func aPeerOnARetiredSecretIsToldHowToRejoin(rotatedSide: SessionRole) {
        let oldSecret = testSecret, newSecret = Array("the ledger secret after rotation!".utf8.prefix(32))
        let history = RandomHistory(seed: 5, nodes: 3, steps: 40)
        let retired = [RetiredSecret(secret: oldSecret, note: "replaced on 2026-11-29 (rotated by hub)")]
        let dialer = Side(role: .dialer, replica: history.replicas[0], secret: rotatedSide == .dialer ? newSecret : oldSecret,
                          nonceSeed: 1, retired: rotatedSide == .dialer ? retired : [])
        let listener = Side(role: .listener, replica: history.replicas[1], secret: rotatedSide == .listener ? newSecret : oldSecret,
                            nonceSeed: 2, retired: rotatedSide == .listener ? retired : [])
        var pair = SessionPair(dialer: dialer, listener: listener, seed: 1)
        pair.start()
        pair.run()
        let (rotated, behind) = rotatedSide == .dialer ? (pair.dialer, pair.listener) : (pair.listener, pair.dialer)
        guard case let .failed(code, message)? = rotated.end?.outcome else {
            Issue.record("the rotated side did not refuse: \(String(describing: rotated.end))")
            return
        }
        #expect(code == .secretRetired)
        #expect(message.contains("old secret") && message.contains("carnet secret install"), "\(message)")
        guard case let .closedByPeer(peerCode, peerMessage)? = behind.end?.outcome else {
            Issue.record("the side behind was not told: \(String(describing: behind.end))")
            return
        }
        #expect(peerCode == .secretRetired)
        #expect(peerMessage.contains("no longer valid") && peerMessage.contains("replaced on 2026-11-29 (rotated by hub)")
                    && peerMessage.contains("carnet secret install FILE"), "\(peerMessage)")
        #expect(pair.dialer.identifiedPeer == nil && pair.listener.identifiedPeer == nil)
        #expect(pair.dialer.persistedBatches == 0 && pair.listener.persistedBatches == 0)
    }

    /// A retired list never admits anyone: a stranger still fails on its proof.
    @Test func aStrangerIsStillRefusedAsAWrongSecret() {
        let history = RandomHistory(seed: 5, nodes: 3, steps: 40)
        let retired = [RetiredSecret(secret: Array("some other old secret, 32 bytes!".utf8), note: "replaced")]
        let dialer = Side(role: .dialer, replica: history.replicas[0], secret: Array("a stranger's secret, 32 bytes...".utf8), nonceSeed: 1)
        let listener = Side(role: .listener, replica: history.replicas[1], secret: testSecret, nonceSeed: 2, retired: retired)
        var pair = SessionPair(dialer: dialer, listener: listener, seed: 1)
        pair.start()
        pair.run()
        #expect(failure(pair.dialer.end) == .authenticationFailed)
        #expect(failure(pair.listener.end) == .authenticationFailed)
    }

    @Test func aReplayedHandshakeFails() {
        // Record an honest dialer's bytes, then replay them to a listener with a fresh nonce.
        let (dialer, listener) = sides()
        var honest = SessionPair(dialer: dialer, listener: listener, seed: 2)
        honest.start()
        var recorded = honest.toListener
        let toDialer = honest.toDialer
        honest.toListener = []
        let listenerReply = honest.listener.receive(recorded, now: .zero)
        recorded += honest.dialer.receive(toDialer + listenerReply, now: .zero)
        #expect(honest.dialer.session.isAuthenticated)

        let (_, fresh) = sides(listenerNonce: 9)
        var victim = fresh
        _ = victim.start(now: .zero)
        _ = victim.receive(recorded, now: .zero)
        #expect(failure(victim.end) == .authenticationFailed, "\(String(describing: victim.end))")
        #expect(victim.persistedBatches == 0 && victim.identifiedPeer == nil)
    }

    @Test func aReflectedProofFails() {
        // An attacker dials a listener and sends the listener's own HELLO nonce and proof back.
        var listener = sides().1
        let hello = listener.start(now: .zero)
        let attackerHello = Frame(type: .hello, payload: SessionMessage.hello(HelloMessage(role: .dialer, nonce: [UInt8](repeating: 7, count: 32))).body).encoded
        let proof = listener.receive(attackerHello, now: .zero)
        #expect(!hello.isEmpty && !proof.isEmpty)
        _ = listener.receive(proof, now: .zero)
        #expect(failure(listener.end) == .authenticationFailed)
    }

    @Test func alteredOrInjectedBytesAfterTheHandshakeCloseTheSession() {
        let seed = testSeed(default: 0xB17F)
        var rng = SplitMix64(seed: seed)
        for round in 0..<30 {
            let (dialer, listener) = sides()
            var pair = SessionPair(dialer: dialer, listener: listener, seed: seed &+ UInt64(round))
            pair.start()
            // Let the handshake finish (two deliveries each way), then flip one bit in the
            // next bytes the dialer sends.
            pair.toDialer += pair.listener.receive(pair.toListener, now: .zero)
            pair.toListener = []
            let flight = pair.dialer.receive(pair.toDialer, now: .zero)
            pair.toDialer = []
            #expect(pair.dialer.session.isAuthenticated)
            let proofLength = 4 + 1 + 32
            var altered = flight
            let bit = proofLength * 8 + Int.random(in: 0..<((altered.count - proofLength) * 8), using: &rng)
            altered[bit / 8] ^= UInt8(1 << (bit % 8))
            _ = pair.listener.receive(altered, now: .zero)
            let code = failure(pair.listener.end)
            #expect(code == .badMAC || code == .frameTooLarge || code == .malformed,
                    "seed \(seed) round \(round): \(String(describing: pair.listener.end))")
            #expect(pair.listener.identifiedPeer == nil || pair.listener.persistedBatches == 0 || code != nil)
        }
    }
}

struct SessionStreamErrorTests {
    private func listenerAnswer(to bytes: [UInt8]) -> (SessionEnd?, [FrameType]) {
        var listener = sides().1
        _ = listener.start(now: .zero)
        let answer = listener.receive(bytes, now: .zero)
        return (listener.end, frameTypes(answer))
    }

    @Test func somethingThatIsNotCarnetGetsAClearErrorAndAClose() {
        let (end, types) = listenerAnswer(to: Array("GET / HTTP/1.1\r\nHost: hub\r\n\r\n".utf8))
        #expect(failure(end) == .notCarnet)
        #expect(types == [], "the answer is an ERROR frame; the stream reader expects a HELLO first")
    }

    @Test func anotherProtocolVersionIsNamed() {
        var hello = Frame(type: .hello, payload: SessionMessage.hello(HelloMessage(role: .dialer, nonce: [UInt8](repeating: 3, count: 32))).body).encoded
        hello[4 + 1 + 6 + 1] = 7  // version 7
        let (end, _) = listenerAnswer(to: hello)
        #expect(failure(end) == .unsupportedVersion)
        #expect(end?.description.contains("version 7") == true, "\(String(describing: end))")
    }

    @Test func anOversizedFrameIsRefusedBeforeItArrives() {
        let (dialer, listener) = sides()
        var pair = SessionPair(dialer: dialer, listener: listener, seed: 3)
        pair.start()
        pair.run()  // completes; now start another listener and send HELLO + a 2 GiB frame header
        var fresh = sides(listenerNonce: 5).1
        _ = fresh.start(now: .zero)
        let hello = Frame(type: .hello, payload: SessionMessage.hello(HelloMessage(role: .dialer, nonce: [UInt8](repeating: 4, count: 32))).body).encoded
        _ = fresh.receive(hello + [0x80, 0, 0, 0, 0x02], now: .zero)
        #expect(failure(fresh.end) == .frameTooLarge)
    }

    @Test func aSilentPeerTimesOutDuringTheHandshake() {
        var listener = sides().1
        _ = listener.start(now: .zero)
        _ = listener.tick(now: .seconds(5))
        #expect(listener.end == nil)
        _ = listener.tick(now: .seconds(16))
        #expect(failure(listener.end) == .timeout)
    }

    @Test func twoDialersOrAnEchoedNonceAreRefused() {
        var a = sides().0
        let helloA = a.start(now: .zero)
        var b = sides(dialerNonce: 8).0
        _ = b.start(now: .zero)
        _ = b.receive(helloA, now: .zero)
        #expect(failure(b.end) == .unexpectedMessage)
        var listener = sides().1
        _ = listener.start(now: .zero)
        let echo = Frame(type: .hello, payload: SessionMessage.hello(HelloMessage(role: .dialer, nonce: [UInt8](repeating: 2, count: 32))).body).encoded
        _ = listener.receive(echo, now: .zero)
        #expect(failure(listener.end) == .unexpectedMessage)
    }

    @Test func anotherLedgerIsRefusedAfterAuthentication() {
        let history = RandomHistory(seed: 5, nodes: 3, steps: 40)
        let dialer = Side(role: .dialer, replica: history.replicas[0], secret: testSecret, nonceSeed: 1, ledger: "other")
        let listener = Side(role: .listener, replica: history.replicas[1], secret: testSecret, nonceSeed: 2)
        var pair = SessionPair(dialer: dialer, listener: listener, seed: 4)
        pair.start()
        pair.run()
        #expect(failure(pair.listener.end) == .ledgerMismatch || failure(pair.dialer.end) == .ledgerMismatch)
        #expect(pair.listener.persistedBatches == 0 && pair.dialer.persistedBatches == 0)
    }
}
