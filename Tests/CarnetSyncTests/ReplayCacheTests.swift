import CarnetCore
import CarnetSync
import CarnetWire
import Testing

/// The listener's replay cache (SPEC 8.2.6): a recorded message 1 played again to the same
/// process gets nothing, however its state changed meanwhile; the cache stays bounded.
struct ReplayCacheTests {
    final class SharedCache: @unchecked Sendable {
        // `@unchecked Sendable` is sound: the tests drive sessions on one thread only.
        var answered = AnsweredHandshakes()
        var check: ReplayCheck { { [self] in answered.firstAnswer(to: $0) } }
    }

    private func bytes(_ directives: [SessionDirective]) -> [UInt8] {
        directives.flatMap { directive -> [UInt8] in
            if case let .send(bytes) = directive { return bytes }
            return []
        }
    }

    private func local(_ name: String) -> SummaryMessage {
        SummaryMessage(live: false, node: NodeID.derived(from: name), ledger: "consortium", label: name,
                       summary: CompactSummary(entries: []))
    }

    @Test func aReplayedMessage1GetsNothingFromTheSameProcess() {
        let cache = SharedCache()
        var dialer = Session(role: .dialer, secret: testSecret, nonce: [UInt8](repeating: 1, count: 32), local: local("farm"))
        let message1 = bytes(dialer.start(now: .zero))
        var first = Session(role: .listener, secret: testSecret, nonce: [UInt8](repeating: 2, count: 32), local: local("hub"),
                            replays: cache.check)
        _ = first.start(now: .zero)
        #expect(!bytes(first.receive(message1, now: .zero)).isEmpty, "the first message 1 is answered")
        var second = Session(role: .listener, secret: testSecret, nonce: [UInt8](repeating: 3, count: 32), local: local("hub"),
                             replays: cache.check)
        _ = second.start(now: .zero)
        let directives = second.receive(message1, now: .zero)
        #expect(bytes(directives).isEmpty, "the replay gets zero bytes")
        #expect(second.isClosed)
        guard case let .close(end)? = directives.last, case let .failed(code, reason) = end.outcome else {
            Issue.record("the replay did not close the session: \(directives)")
            return
        }
        #expect(code == .authenticationFailed)
        #expect(reason.contains("already answered"), "\(reason)")
    }

    @Test func aStrangersMessage1DoesNotEnterTheCache() {
        let cache = SharedCache()
        var stranger = Session(role: .dialer, secret: [UInt8](repeating: 7, count: 32), nonce: [UInt8](repeating: 1, count: 32),
                               local: local("stranger"))
        let message1 = bytes(stranger.start(now: .zero))
        var listener = Session(role: .listener, secret: testSecret, nonce: [UInt8](repeating: 2, count: 32), local: local("hub"),
                               replays: cache.check)
        _ = listener.start(now: .zero)
        #expect(bytes(listener.receive(message1, now: .zero)).isEmpty)
        #expect(cache.answered.count == 0, "only a message 1 that decrypts is remembered")
    }

    @Test func theCacheKeepsTheLatestKeysOnly() {
        var answered = AnsweredHandshakes(capacity: 3)
        let keys = (0..<5).map { [UInt8](repeating: UInt8($0), count: 32) }
        // Each answer in order: the first three are new; key 0 again is a replay; key 3
        // pushes key 0 out, which is then new again (and pushes key 1 out).
        let order = [0, 1, 2, 0, 3, 0, 3, 2, 1]
        var answers: [Bool] = []
        for index in order { answers.append(answered.firstAnswer(to: keys[index])) }
        #expect(answers == [true, true, true, false, true, true, false, false, true])
        #expect(answered.count == 3)
    }
}
