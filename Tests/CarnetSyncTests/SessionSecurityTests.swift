import CarnetCore
import CarnetSync
import CarnetTestKit
import CarnetWire
import Testing

private func sides(dialerSecret: [UInt8] = testSecret, listenerSecret: [UInt8] = testSecret,
                   dialerNonce: UInt8 = 1, listenerNonce: UInt8 = 2) -> (Side, Side) {
    let history = RandomHistory(seed: 5, nodes: 3, steps: 40)
    // Without grants: the dialer's first flight then carries its SUMMARY, batches and DONE,
    // the frames these tests tamper with (grants put an OFFER round trip before batches).
    var settings = SessionSettings()
    settings.grants = false
    return (Side(role: .dialer, replica: history.replicas[0], secret: dialerSecret, nonceSeed: dialerNonce, settings: settings),
            Side(role: .listener, replica: history.replicas[1], secret: listenerSecret, nonceSeed: listenerNonce, settings: settings))
}

/// The frames in `bytes`, as the wire shows them.
private func frames(_ bytes: [UInt8]) -> [Frame] {
    var decoder = FrameDecoder()
    decoder.feed(bytes)
    var frames: [Frame] = []
    while let frame = try? decoder.next() { frames.append(frame) }
    return frames
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

/// Runs two sides by whole flights, recording every byte each sent; a side that closed
/// hangs up, and its peer sees the EOF.
private func runRecorded(_ dialer: inout Side, _ listener: inout Side) -> (byDialer: [UInt8], byListener: [UInt8]) {
    var byDialer = dialer.start(now: .zero), byListener = listener.start(now: .zero)
    var toListener = byDialer, toDialer = byListener
    for _ in 0..<100 {
        if !toListener.isEmpty, !listener.session.isClosed {
            let out = listener.receive(toListener, now: .zero)
            byListener += out
            toDialer += out
            toListener = []
        } else if !toDialer.isEmpty, !dialer.session.isClosed {
            let out = dialer.receive(toDialer, now: .zero)
            byDialer += out
            toListener += out
            toDialer = []
        } else {
            break
        }
    }
    if listener.session.isClosed { _ = dialer.peerClosed(now: .zero) }
    if dialer.session.isClosed { _ = listener.peerClosed(now: .zero) }
    return (byDialer, byListener)
}

struct SessionConfidentialityTests {
    /// Every byte of a real two-way sync, both directions, holds none of the ledger's words:
    /// a note, a product's name, a party's name, the ledger's name, the sides' labels and
    /// node ids. (They did travel: the other side holds them after the session.)
    @Test func aSyncWritesNoneOfTheLedgerInClear() {
        let note = "the north field flooded after the storm of the ninth", product = "Zephyrine Heirloom Tomato"
        let party = "Quillfeather Market Co-op"
        var farm = Replica(node: NodeID.derived(from: "farm"))
        var hub = Replica(node: NodeID.derived(from: "hub"))
        farm.write(.append(Entry(id: "h-1", kind: "harvest", fields: [Field("qty", .int(120)), Field("note", .text(note))])),
                   wallMillis: 1_780_300_800_000)
        hub.assign(FieldKey("product", "P0001", "name"), .text(product), wallMillis: 1_780_300_800_100)
        hub.write(.append(Entry(id: "s-1", kind: "sale", fields: [Field("qty", .int(-3)), Field("to", .text(party))])),
                  wallMillis: 1_780_300_800_200)
        var dialer = Side(role: .dialer, replica: farm, secret: testSecret, nonceSeed: 1)
        var listener = Side(role: .listener, replica: hub, secret: testSecret, nonceSeed: 2)
        let (byDialer, byListener) = runRecorded(&dialer, &listener)
        #expect(dialer.end?.isSuccess == true && listener.end?.isSuccess == true, "\(String(describing: dialer.end))")
        #expect(dialer.replica.summary == listener.replica.summary, "both sides hold everything")
        let wire = byDialer + byListener
        for word in [note, product, party, "consortium", "dialer", "listener", "harvest", "P0001"] {
            #expect(!contains(wire, Array(word.utf8)), "the wire shows \"\(word)\"")
        }
        for node in [farm.node, hub.node] {
            #expect(!contains(wire, node.bytes) && !contains(wire, Array(node.bytes.prefix(8))), "the wire shows a node id")
        }
        // What the wire does show: two handshake messages, then SEALED frames only.
        let types = frames(byDialer).map(\.type) + frames(byListener).map(\.type)
        #expect(types.filter { $0 != .sealed } == [.handshake1, .handshake2], "\(types)")
    }
}

struct SessionAuthenticationTests {
    /// A stranger (another secret) gets nothing back, not a byte; the listener says why in
    /// its own report, and the dialer says what to check.
    @Test func aStrangerGetsNothingAndBothSidesSayWhy() {
        var (dialer, listener) = sides(dialerSecret: Array("another secret entirely, 32 byte".utf8))
        let (_, byListener) = runRecorded(&dialer, &listener)
        #expect(byListener.isEmpty, "the listener sent \(byListener.count) bytes to a stranger")
        guard case let .failed(code, reason)? = listener.end?.outcome else {
            Issue.record("the listener did not refuse: \(String(describing: listener.end))")
            return
        }
        #expect(code == .authenticationFailed && reason.contains("without this ledger's secret"), "\(reason)")
        #expect(dialer.end?.description.contains("closed the connection during the handshake") == true
                    && dialer.end?.description.contains("carnet secret install FILE") == true, "\(String(describing: dialer.end))")
        #expect(dialer.identifiedPeer == nil && listener.identifiedPeer == nil)
        #expect(dialer.persistedBatches == 0 && listener.persistedBatches == 0)
    }

    /// After `carnet secret rotate` on the listener: a dialer still on the old secret is
    /// told, under the old secret (so only its holders read it), how to rejoin.
    @Test func aDialerOnARetiredSecretIsToldHowToRejoin() {
        let oldSecret = testSecret, newSecret = Array("the ledger secret after rotation!".utf8.prefix(32))
        let retired = [RetiredSecret(secret: oldSecret, note: "replaced on 2026-11-29 (rotated by hub)")]
        let history = RandomHistory(seed: 5, nodes: 3, steps: 40)
        var dialer = Side(role: .dialer, replica: history.replicas[0], secret: oldSecret, nonceSeed: 1)
        var listener = Side(role: .listener, replica: history.replicas[1], secret: newSecret, nonceSeed: 2, retired: retired)
        let (_, byListener) = runRecorded(&dialer, &listener)
        guard case let .failed(code, message)? = listener.end?.outcome else {
            Issue.record("the rotated side did not refuse: \(String(describing: listener.end))")
            return
        }
        #expect(code == .secretRetired)
        #expect(message.contains("old secret") && message.contains("carnet secret install"), "\(message)")
        guard case let .closedByPeer(peerCode, peerMessage)? = dialer.end?.outcome else {
            Issue.record("the side behind was not told: \(String(describing: dialer.end))")
            return
        }
        #expect(peerCode == .secretRetired)
        #expect(!peerMessage.contains("unauthenticated"), "it came under the old secret")
        #expect(peerMessage.contains("no longer valid") && peerMessage.contains("replaced on 2026-11-29 (rotated by hub)")
                    && peerMessage.contains("carnet secret install FILE"), "\(peerMessage)")
        #expect(frames(byListener).map(\.type) == [.handshake2], "one message 2, nothing else")
        #expect(dialer.identifiedPeer == nil && listener.identifiedPeer == nil)
        #expect(dialer.persistedBatches == 0 && listener.persistedBatches == 0)
    }

    /// The other way round, a listener on the old secret cannot tell a rotated dialer
    /// anything (it holds no newer secret to say it under): it hears a stranger and says
    /// nothing; the dialer reports the hang-up.
    @Test func aListenerOnARetiredSecretHearsAStranger() {
        let newSecret = Array("the ledger secret after rotation!".utf8.prefix(32))
        let history = RandomHistory(seed: 5, nodes: 3, steps: 40)
        var dialer = Side(role: .dialer, replica: history.replicas[0], secret: newSecret, nonceSeed: 1,
                          retired: [RetiredSecret(secret: testSecret, note: "replaced")])
        var listener = Side(role: .listener, replica: history.replicas[1], secret: testSecret, nonceSeed: 2)
        let (_, byListener) = runRecorded(&dialer, &listener)
        #expect(byListener.isEmpty)
        #expect(failure(listener.end) == .authenticationFailed)
        #expect(dialer.end?.description.contains("closed the connection during the handshake") == true)
    }

    /// A retired list never admits anyone: a stranger still gets nothing.
    @Test func aStrangerIsStillRefusedWithRetiredSecretsAround() {
        let history = RandomHistory(seed: 5, nodes: 3, steps: 40)
        let retired = [RetiredSecret(secret: Array("some other old secret, 32 bytes!".utf8), note: "replaced")]
        var dialer = Side(role: .dialer, replica: history.replicas[0], secret: Array("a stranger's secret, 32 bytes...".utf8), nonceSeed: 1)
        var listener = Side(role: .listener, replica: history.replicas[1], secret: testSecret, nonceSeed: 2, retired: retired)
        let (_, byListener) = runRecorded(&dialer, &listener)
        #expect(byListener.isEmpty)
        #expect(failure(listener.end) == .authenticationFailed)
    }

    /// A recorded dialer (message 1 and its first flight) replayed to a listener: message 1
    /// still reads (the listener cannot tell a copy from message 1 alone, and answers
    /// with a message 2 only the real dialer can read), but the recorded SEALED frames were
    /// made under other keys and fail: nothing is stored, nobody is identified.
    @Test func aReplayedSessionStoresNothing() {
        var (dialer, listener) = sides()
        let message1 = dialer.start(now: .zero)
        _ = listener.start(now: .zero)
        let flight = dialer.receive(listener.receive(message1, now: .zero), now: .zero)
        #expect(dialer.session.isAuthenticated && !flight.isEmpty)

        var (_, victim) = sides(listenerNonce: 9)
        _ = victim.start(now: .zero)
        _ = victim.receive(message1, now: .zero)
        #expect(!victim.session.isAuthenticated, "message 1 alone proves nothing fresh")
        _ = victim.receive(flight, now: .zero)
        #expect(failure(victim.end) == .badMAC, "\(String(describing: victim.end))")
        #expect(victim.persistedBatches == 0 && victim.identifiedPeer == nil)
    }
}

/// What the wire can do to the frames after the handshake, each on the dialer's first
/// flight (its SUMMARY, its batches, its DONE): the listener closes with a clear reason
/// and stores nothing.
struct SessionTamperingTests {
    /// The dialer's flight after message 2 (and the messages inside, from the dialer's
    /// log), and the listener that awaits it.
    private func flight() -> (Side, [Frame], [FrameType]) {
        var (dialer, listener) = sides()
        let message1 = dialer.start(now: .zero)
        _ = listener.start(now: .zero)
        let flight = frames(dialer.receive(listener.receive(message1, now: .zero), now: .zero))
        #expect(flight.count >= 3 && flight.allSatisfy { $0.type == .sealed }, "\(flight.map(\.type))")
        let inside = dialer.session.sentLog.last(flight.count).map(\.messageType)
        #expect(inside.first == .summary && inside.contains(.events), "\(inside)")
        return (listener, flight, inside)
    }

    /// The listener refused the frame, and stored no batch from it on (`storedBefore`:
    /// the intact batches ahead of it, which it rightly stored).
    private func expectRefused(_ listener: Side, _ what: String, storedBefore: Int = 0) {
        #expect(failure(listener.end) == .badMAC, "\(what): \(String(describing: listener.end))")
        #expect(listener.end?.description.contains("did not decrypt") == true, "\(what): \(String(describing: listener.end))")
        #expect(listener.persistedBatches == storedBefore, "\(what): \(listener.persistedBatches) batches stored")
    }

    @Test func aFlippedByteInAnySealedFrameClosesTheSession() {
        let seed = testSeed(default: 0xB17F)
        var rng = SplitMix64(seed: seed)
        let count = flight().1.count
        for index in 0..<count {
            for _ in 0..<4 {
                var (listener, sent, inside) = flight()
                var frame = sent[index]
                frame.payload[Int.random(in: 0..<frame.payload.count, using: &rng)] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
                sent[index] = frame
                _ = listener.receive(sent.flatMap(\.encoded), now: .zero)
                expectRefused(listener, "seed \(seed), frame \(index) (\(inside[index])) altered",
                              storedBefore: inside.prefix(index).filter { $0 == .events }.count)
                if index == 0 { #expect(listener.identifiedPeer == nil) }
            }
        }
    }

    @Test func aReplayedFrameClosesTheSession() {
        var (listener, sent, _) = flight()
        _ = listener.receive((sent[0].encoded + sent[0].encoded) + sent.dropFirst().flatMap(\.encoded), now: .zero)
        expectRefused(listener, "the SUMMARY twice")
    }

    @Test func twoFramesSwappedCloseTheSession() {
        var (listener, sent, _) = flight()
        sent.swapAt(0, 1)
        _ = listener.receive(sent.flatMap(\.encoded), now: .zero)
        expectRefused(listener, "SUMMARY and first batch swapped")
        #expect(listener.identifiedPeer == nil)
    }

    @Test func aDroppedFrameClosesTheSession() {
        var (listener, sent, _) = flight()
        sent.remove(at: 0)
        _ = listener.receive(sent.flatMap(\.encoded), now: .zero)
        expectRefused(listener, "SUMMARY dropped")
    }

    @Test func aTruncatedFrameClosesTheSession() {
        var (listener, sent, _) = flight()
        sent[0].payload.removeLast(5)  // its length says so: the stream stays framed
        _ = listener.receive(sent.flatMap(\.encoded), now: .zero)
        expectRefused(listener, "SUMMARY cut short")
    }

    /// The listener's own frames sent back to it: the directions have different keys.
    @Test func reflectedFramesCloseTheSession() {
        var (dialer, listener) = sides()
        let message1 = dialer.start(now: .zero)
        _ = listener.start(now: .zero)
        let reply = frames(listener.receive(message1, now: .zero))
        let flight = frames(dialer.receive(reply.flatMap(\.encoded), now: .zero))
        // The listener's SEALED frames come after the dialer's flight: answer it, then reflect.
        let answer = frames(listener.receive(flight.flatMap(\.encoded), now: .zero)).filter { $0.type == .sealed }
        #expect(!answer.isEmpty)
        let stored = listener.persistedBatches
        _ = listener.receive(answer.flatMap(\.encoded), now: .zero)
        #expect(failure(listener.end) == .badMAC, "\(String(describing: listener.end))")
        #expect(listener.persistedBatches == stored, "nothing more stored")
    }

    /// A connection cut in the middle of a frame: what arrived of it is not used.
    @Test func aFrameCutByTheConnectionIsNotUsed() {
        var (listener, sent, _) = flight()
        let bytes = sent.flatMap(\.encoded)
        _ = listener.receive(Array(bytes.prefix(sent[0].encoded.count + 7)), now: .zero)
        _ = listener.peerClosed(now: .zero)
        guard case let .interrupted(reason)? = listener.end?.outcome else {
            Issue.record("\(String(describing: listener.end))")
            return
        }
        #expect(reason.contains("mid-frame"))
        #expect(listener.persistedBatches == 0)
    }
}

struct SessionStreamErrorTests {
    private func listenerAnswer(to bytes: [UInt8]) -> (SessionEnd?, [UInt8]) {
        var listener = sides().1
        _ = listener.start(now: .zero)
        let answer = listener.receive(bytes, now: .zero)
        return (listener.end, answer)
    }

    /// An HTTP request, a port scanner: refused on its first bytes, answered with nothing.
    @Test func somethingThatIsNotCarnetGetsNothing() {
        let (end, answer) = listenerAnswer(to: Array("GET / HTTP/1.1\r\nHost: hub\r\n\r\n".utf8))
        #expect(failure(end) == .notCarnet)
        #expect(answer.isEmpty)
    }

    /// A version-1 dialer sends its HELLO at once; a version-2 listener answers in words
    /// version-1 code reads (a HELLO stating version 2, which it checks first, then an ERROR
    /// `unsupported-version` naming both versions), and says what to do.
    @Test func aVersion1DialerIsToldBothVersions() {
        let v1Hello = Version1.helloPrefix + [0, 1, SessionRole.dialer.rawValue]
            + [UInt8](repeating: 0x33, count: 4 + Version1.helloFrameLength - Version1.helloPrefix.count - 3)
        let (end, answer) = listenerAnswer(to: v1Hello)
        guard case let .failed(code, message)? = end?.outcome else {
            Issue.record("\(String(describing: end))")
            return
        }
        #expect(code == .unsupportedVersion && message == "the peer runs an older Carnet (protocol 1): upgrade Carnet on it")
        // What a version-1 reader sees: its HELLO check passes type and magic, then stops at
        // version 2 (its `unsupported-version`); the ERROR after it names both versions.
        #expect(Array(answer.prefix(13)) == Version1.helloPrefix + [0, 2])
        let sent = frames(answer)
        #expect(sent.count == 2 && sent[0].encoded.count == 4 + Version1.helloFrameLength && sent[1].type == .error)
        if sent.count == 2, case let .error(error)? = try? SessionMessage.decode(type: .error, body: sent[1].payload) {
            #expect(error.code == .unsupportedVersion && error.message.contains("version 2") && error.message.contains("version 1"),
                    "\(error.message)")
        } else {
            Issue.record("no ERROR a version-1 node decodes")
        }
    }

    /// A version-1 listener sends its HELLO on connect: the version-2 dialer names it.
    @Test func aVersion1ListenerIsNamed() {
        var dialer = sides().0
        _ = dialer.start(now: .zero)
        let v1Hello = Version1.helloPrefix + [0, 1, SessionRole.listener.rawValue]
            + [UInt8](repeating: 0x44, count: 4 + Version1.helloFrameLength - Version1.helloPrefix.count - 3)
        let answer = dialer.receive(v1Hello, now: .zero)
        #expect(answer.isEmpty)
        guard case let .failed(code, message)? = dialer.end?.outcome else {
            Issue.record("\(String(describing: dialer.end))")
            return
        }
        #expect(code == .unsupportedVersion && message == "the peer runs an older Carnet (protocol 1): upgrade Carnet on it")
    }

    /// An ERROR in clear before the handshake (a busy node) is shown, marked
    /// unauthenticated: anyone on the path could have written it.
    @Test func anErrorInClearIsShownAsUnauthenticated() {
        var dialer = sides().0
        _ = dialer.start(now: .zero)
        let busy = Frame(type: .error, payload: SessionMessage.error(ErrorMessage(code: .busy, message: "try again later")).body)
        _ = dialer.receive(busy.encoded, now: .zero)
        guard case let .closedByPeer(code, message)? = dialer.end?.outcome else {
            Issue.record("\(String(describing: dialer.end))")
            return
        }
        #expect(code == .busy && message == "(unauthenticated) try again later")
    }

    @Test func anOversizedFrameIsRefusedBeforeItArrives() {
        var (dialer, listener) = sides()
        let message1 = dialer.start(now: .zero)
        _ = listener.start(now: .zero)
        _ = listener.receive(message1, now: .zero)
        _ = listener.receive([0x80, 0, 0, 0, 0x12], now: .zero)
        #expect(failure(listener.end) == .frameTooLarge)
    }

    @Test func aSilentPeerTimesOutDuringTheHandshake() {
        var listener = sides().1
        _ = listener.start(now: .zero)
        _ = listener.tick(now: .seconds(5))
        #expect(listener.end == nil)
        #expect(listener.tick(now: .seconds(16)).isEmpty, "nothing to a silent peer")
        #expect(failure(listener.end) == .timeout)
    }

    /// Two dialers on one connection: each reads the other's message 1 where it expects
    /// message 2, and refuses it as not a Carnet answer.
    @Test func twoDialersAreRefused() {
        var a = sides().0
        let message1 = a.start(now: .zero)
        var b = sides(dialerNonce: 8).0
        _ = b.start(now: .zero)
        _ = b.receive(message1, now: .zero)
        #expect(failure(b.end) == .notCarnet)
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
