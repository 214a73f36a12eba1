import CarnetCore
import CarnetSync
@testable import CarnetFuzzTargets
import CarnetWire
import Testing

/// The `session-signed` target stands in the signed golden vectors' world: their
/// transcripts replay as valid sessions (so they are seeds the fuzzer can mutate from a
/// working session), a dishonest proof is refused with nothing stored, and the target's
/// checks catch what a signed node must never hold or send.
struct SignedSessionTargetTests {
    @Test func theFixtureWorldsSessionsAreTheSignedVectorsByteForByte() throws {
        let vectors = VectorSeeds.signedStreams()
        try #require(vectors.count == 2, "protocol/vectors/session-v2-signed.txt holds two sessions")
        for (meeting, streams) in zip([SignedSessionWorld.Meeting.first, .inSync], vectors) {
            let transcript = SignedSessionTranscript(meeting, live: false)
            #expect(transcript.succeeded, "the \(meeting) meeting's session ends in success")
            #expect(transcript.dialerStream == streams.dialer, "the \(meeting) meeting's dialer side is the vector's")
            #expect(transcript.listenerStream == streams.listener, "the \(meeting) meeting's listener side is the vector's")
        }
    }

    /// Each side of each vector session, delivered write by write to a session under test
    /// of the other role, makes it write the vector's other side and end in success.
    @Test func theVectorWritesReplayAsValidSessions() throws {
        let sessions = VectorSeeds.signedWrites()
        try #require(sessions.count == 2)
        for (meeting, writes) in zip([SignedSessionWorld.Meeting.first, .inSync], sessions) {
            let world = SignedSessionWorld(meeting: meeting)
            for role in [SessionRole.dialer, .listener] {
                var driver = SessionDriver(target: "test", role: role, secret: SignedSessionWorld.secret, nonce: world.nonce(of: role),
                                           live: false, priming: true, store: world.store(of: role))
                try driver.start()
                for write in writes where write.dialer != (role == .dialer) { try driver.receive(write.bytes[...]) }
                #expect(driver.driver.report.end?.isSuccess == true, "\(meeting), \(role) under test: \(String(describing: driver.driver.report.end))")
                #expect(driver.output == writes.filter { $0.dialer == (role == .dialer) }.flatMap(\.bytes), "\(meeting), \(role) under test")
                try SignedStoreCheck(store: driver.store, peerDevice: driver.session.statistics.peerDevice).check()
            }
        }
    }

    /// The raw vector seeds (each side's whole stream, in the chunks the input derives)
    /// reach the stores: the peer's device verified, its events and head stored. (Given in
    /// one read, the listener under test of the first meeting meets the dialer's ACK of
    /// its batch before it sends the batch, which it rightly refuses: the session's
    /// directives are carried out after the read.)
    @Test func theRawVectorSeedsStoreSignedEvents() throws {
        let seeds = VectorSeeds.signedSeeds()
        try #require(seeds.count == 4)
        for seed in seeds {
            let outcome = try #require(try SignedSessionTarget.outcome(seed.bytes))
            #expect(outcome.peerDevice != nil, "\(seed.name): the peer's device was verified")
            // The first meeting brings each side the other's two events and its head.
            let first = seed.name.contains("first")
            #expect(outcome.eventsStored == (first ? 2 : 0), "\(seed.name)")
            #expect(outcome.headsKept == 1, "\(seed.name): the peer's head is kept")
        }
    }

    @Test func everyEnvelopeSeedIsAWorkingSession() throws {
        let envelopes = SeedCorpus.seeds(for: .sessionSigned).filter { $0.name.hasPrefix("envelope-") && !$0.name.contains("heads-") }
        #expect(envelopes.count == 9)
        for seed in envelopes {
            let outcome = try #require(try SignedSessionTarget.outcome(seed.bytes))
            // A live session stays open: its success is the peer's device verified.
            #expect(seed.name.contains("live") ? outcome.peerDevice != nil : outcome.succeeded, "\(seed.name) ends in success")
        }
    }

    /// Options bits 2, 3 and 4 of the envelope make the harness's proof dishonest: signed
    /// by the wrong device, for the wrong role, or carrying the wrong key.
    @Test(arguments: [4, 8, 17] as [UInt8])
    func aDishonestProofIsRefusedAndNothingIsStored(_ dishonesty: UInt8) throws {
        for seed in SeedCorpus.seeds(for: .sessionSigned) where seed.name.hasPrefix("envelope-") && seed.name.hasSuffix("first") {
            var input = seed.bytes
            input[1] |= dishonesty
            let outcome = try #require(try SignedSessionTarget.outcome(input))
            #expect(!outcome.succeeded && outcome.peerDevice == nil && outcome.eventsStored == 0, "\(seed.name) with options \(input[1])")
        }
    }

    /// A proved peer whose batches lack their heads, or carry forged ones: the node refuses
    /// them and stores nothing of them.
    @Test func batchesTheirHeadsDoNotVouchForAreRefused() throws {
        let dishonest = SeedCorpus.seeds(for: .sessionSigned).filter { $0.name.contains("-heads-") }
        try #require(dishonest.count == 2)
        for seed in dishonest {
            let outcome = try #require(try SignedSessionTarget.outcome(seed.bytes))
            #expect(outcome.peerDevice == SignedSessionWorld.farmDevice.node, "\(seed.name): the peer proved its device")
            #expect(outcome.eventsStored == 0 && outcome.headsKept == 0, "\(seed.name): nothing of its batch stored")
        }
    }

    @Test func theStoreCheckCatchesAnEventNoSignedHeadVouchesFor() throws {
        let world = SignedSessionWorld(meeting: .first)
        let store = world.store(of: .listener)
        let farmEvents = world.replica(of: .dialer).allEvents
        // Around the session's refusal: what a node that stored unsigned events would hold.
        _ = try store.base.persist(SignedEvents(events: farmEvents), fromSession: 0)
        #expect(throws: FuzzViolation.self) {
            try SignedStoreCheck(store: store, peerDevice: SignedSessionWorld.farmDevice.node).check()
        }
    }

    @Test func theStoreCheckCatchesABatchStoredFromAnUnverifiedPeer() throws {
        let world = SignedSessionWorld(meeting: .first)
        let store = world.store(of: .listener)
        let farm = world.replica(of: .dialer)
        let last = try #require(farm.history.chainHead(of: SignedSessionWorld.farmDevice.node))
        let head = SignedSessionWorld.farmDevice.signHead(seq: last.dot.seq, hash: last.hash, ledger: SignedSessionWorld.ledger)
        _ = try store.persist(SignedEvents(events: farm.allEvents, heads: [head]), fromSession: 0)
        try SignedStoreCheck(store: store, peerDevice: SignedSessionWorld.farmDevice.node).check()
        #expect(throws: FuzzViolation.self) { try SignedStoreCheck(store: store, peerDevice: nil).check() }
    }

    @Test func theStoreReportsABatchStoredThatItRefuses() throws {
        let world = SignedSessionWorld(meeting: .first)
        let store = world.store(of: .listener)
        let batch = SignedEvents(events: world.replica(of: .dialer).allEvents)
        #expect(store.refusal(of: batch) != nil)
        #expect(throws: (any Error).self) { _ = try store.persist(batch, fromSession: 0) }
        #expect(store.violations.count == 1)
        #expect(store.replica.eventCount == world.replica(of: .listener).eventCount, "nothing was stored")
    }
}
