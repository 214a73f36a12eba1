import CarnetCore
import CarnetStore
import CarnetSync
import CarnetSystem
import CarnetWire

/// Valid inputs for each target, made by the code itself: the starting corpora, written
/// to Tests/Fixtures/fuzz/<target>/ by the replay test (CARNET_WRITE_FUZZ_SEEDS=1) and
/// then minimized by `tools/fuzz.sh merge`. Each seed states its selector byte (see each
/// target's documentation) and comes in both modes.
public enum SeedCorpus {
    public static func seeds(for target: FuzzTarget) -> [(name: String, bytes: [UInt8])] {
        switch target {
        case .frame: frameSeeds()
        case .session: sessionSeeds()
        case .sessionSigned: signedSessionSeeds()
        case .codec: codecSeeds()
        case .store: storeSeeds()
        case .bundle: bundleSeeds()
        }
    }

    /// A stream as the frame target's envelope mode writes it: message 1's payload (when
    /// an opening is expected), then `type length() payload` per frame.
    public static func frameEnvelope(_ stream: [UInt8], hello: Bool) -> [UInt8] {
        var decoder = FrameDecoder()
        decoder.feed(stream)
        var script: [UInt8] = []
        var first = hello
        while let frame = try? decoder.next() {
            if first {
                script += frame.payload.prefix(FrameTarget.handshake1Length)
                first = false
            } else if frame.payload.count < 0x8000, let index = FrameType.allCases.firstIndex(of: frame.type) {
                script += [UInt8(index)] + FuzzInput.lengthPrefix(frame.payload.count) + frame.payload
            }
        }
        return script
    }

    static func frameSeeds() -> [(name: String, bytes: [UInt8])] {
        var seeds: [(String, [UInt8])] = []
        for live in [false, true] {
            let transcript = SessionTranscript(live: live)
            for role in [SessionRole.dialer, .listener] {
                let stream = transcript.stream(of: role)
                let tag = "\(role)\(live ? "-live" : "")"
                seeds.append(("raw-\(tag)", [0] + stream))
                seeds.append(("envelope-\(tag)", [1] + frameEnvelope(stream, hello: true)))
                let afterHello = Array(stream.dropFirst(SessionTranscript.frames(stream).first.map { $0.encoded.count } ?? 0))
                seeds.append(("raw-nohello-\(tag)", [2] + afterHello))
                seeds.append(("envelope-nohello-\(tag)", [3] + frameEnvelope(afterHello, hello: false)))
            }
        }
        return seeds
    }

    static func sessionSeeds() -> [(name: String, bytes: [UInt8])] {
        var seeds: [(String, [UInt8])] = []
        for live in [false, true] {
            let transcript = SessionTranscript(live: live)
            let liveBit: UInt8 = live ? 4 : 0
            let tag = live ? "-live" : ""
            // The session under test is the listener (bit 1 clear) fed the dialer's side, or the reverse.
            seeds.append(("raw-listener\(tag)", [liveBit] + transcript.dialerStream))
            seeds.append(("raw-dialer\(tag)", [2 | liveBit] + transcript.listenerStream))
            seeds.append(("envelope-listener\(tag)", [1 | liveBit] + transcript.script(of: .dialer)))
            seeds.append(("envelope-dialer\(tag)", [3 | liveBit] + transcript.script(of: .listener)))
        }
        let transcript = SessionTranscript(live: false)
        seeds.append(("raw-listener-hangup-ticks", [16 | 32] + transcript.dialerStream))
        seeds.append(("envelope-dialer-unprimed", [3 | 8] + transcript.script(of: .listener)))
        return seeds
    }

    static func codecSeeds() -> [(name: String, bytes: [UInt8])] {
        let farm = SessionFixtures.farm.allEvents, hub = SessionFixtures.hub.allEvents
        var seeds: [(String, [UInt8])] = []
        for (name, events) in [("farm", farm), ("hub", hub), ("mixed", hub + farm)] {
            let batch = EventBatch.encode(events)
            seeds.append(("batch-\(name)", [0] + batch))
            seeds.append(("batch-envelope-\(name)", [1] + batch.dropFirst(3)))
            let hashes = events.flatMap(\.hash.bytes)
            seeds.append(("trusted-\(name)", [4] + FuzzInput.lengthPrefix(batch.count) + batch + hashes))
            seeds.append(("trusted-envelope-\(name)", [5] + FuzzInput.lengthPrefix(batch.count - 3) + batch.dropFirst(3) + hashes))
        }
        let context = Array(farm.prefix(4)), rest = Array(farm.dropFirst(4))
        let contextBatch = EventBatch.encode(context), primed = EventBatch.encode(rest, primedWith: context)
        seeds.append(("primed", [2] + FuzzInput.lengthPrefix(contextBatch.count) + contextBatch + primed))
        seeds.append(("primed-envelope", [3] + FuzzInput.lengthPrefix(contextBatch.count - 3) + contextBatch.dropFirst(3)
                      + primed.dropFirst(3)))
        var messages = SessionTranscript(live: false).plainMessages(of: .dialer)
        messages += SessionTranscript(live: true).plainMessages(of: .listener)
        messages.append((.ping, SessionMessage.ping(42).body))
        messages.append((.pong, SessionMessage.pong(42).body))
        messages.append((.error, SessionMessage.error(ErrorMessage(code: .busy, message: "busy")).body))
        for (index, message) in messages.enumerated() {
            seeds.append(("message-\(index)-\(message.type)", [6, message.type.rawValue] + message.body))
            seeds.append(("message-envelope-\(index)-\(message.type)", [7, UInt8(FrameType.allCases.firstIndex(of: message.type) ?? 0)] + message.body))
        }
        seeds.append(("summary-hub", [8] + SummaryCoding.encode(SessionFixtures.hub.summary)))
        seeds.append(("compact-hub", [10] + SessionFixtures.hub.compactSummary.encoded))
        return seeds
    }

    static func storeSeeds() -> [(name: String, bytes: [UInt8])] {
        var seeds: [(String, [UInt8])] = []
        let events = SessionFixtures.farm.allEvents
        let batches = [EventBatch.encode(events.prefix(5)), EventBatch.encode(events.dropFirst(5))]
        let logScript: [UInt8] = [0] + batches.flatMap { batch -> [UInt8] in FuzzInput.lengthPrefix(batch.count - 3) + batch.dropFirst(3) }
        seeds.append(("log", [0] + StoreFixtures.log))
        seeds.append(("log-envelope", [1] + logScript))
        seeds.append(("log-envelope-torn", [1 | 16] + logScript))
        let checkpointFile = checkpointBytes(events)
        let checkpointScript: [UInt8] = [0] + FuzzInput.lengthPrefix(batches[0].count - 3) + batches[0].dropFirst(3)
            + events.prefix(5).flatMap(\.hash.bytes) + FuzzInput.lengthPrefix(batches[1].count - 3) + batches[1].dropFirst(3)
            + events.dropFirst(5).flatMap(\.hash.bytes)
        seeds.append(("checkpoint", [2] + checkpointFile))
        seeds.append(("checkpoint-envelope", [3] + checkpointScript))
        let summary = StoreStatus(stamp: StoreFixtures.emptyLogStamp, eventCount: events.count, digest: SHA256.hash([1, 2, 3]),
                                   forkCount: 1, pendingCount: 2, derived: ["conflicts": 3, "lots": -1],
                                   history: SessionFixtures.hub.summary)
        let status = StoreFiles.status(summary)
        seeds.append(("status", [4] + status))
        seeds.append(("status-envelope", [5] + Array(status.dropFirst(16 + 20).dropLast(4))))
        let identity = Array("carnet-node 1\nnode \(SessionFixtures.farmNode.hex)\nledger consortium\nlabel farm one\nhome 2049:131075\n".utf8)
        seeds.append(("node", [6] + identity))
        seeds.append(("node-envelope", [7] + Array(identity.dropFirst("carnet-node 1\n".utf8.count))))
        seeds.append(("store", [8] + FuzzInput.lengthPrefix(checkpointFile.count) + checkpointFile + StoreFixtures.log))
        seeds.append(("store-envelope", [9] + FuzzInput.lengthPrefix(checkpointScript.count) + checkpointScript + logScript))
        seeds.append(("store-no-checkpoint", [8, 0] + StoreFixtures.log))
        return seeds
    }

    /// The fixture log's checkpoint, as the store writes it.
    static func checkpointBytes(_ events: [Event]) -> [UInt8] {
        guard let scratch = ScratchDirectory() else { return [] }
        guard (try? Checkpoint.write(events, stamp: StoreFixtures.logStamp, directory: scratch.path)) != nil,
              let bytes = try? File(path: scratch.path + "/" + Checkpoint.fileName).readAll() else { return [] }
        return bytes
    }

    static func bundleSeeds() -> [(name: String, bytes: [UInt8])] {
        let events = SessionFixtures.farm.allEvents + SessionFixtures.hub.allEvents
        let bundle = BundleFormat(ledger: SessionFixtures.ledger, creator: SessionFixtures.farmNode, creatorLabel: "farm",
                                  createdMillis: SessionFixtures.t0, recipient: SessionFixtures.hubNode, events: events)
        let file = bundle.encode()
        var seeds: [(String, [UInt8])] = [("bundle", [0] + file), ("bundle-envelope", [1] + file.dropFirst(16).dropLast(32))]
        var chunked: [UInt8] = [3, UInt8(SessionFixtures.ledger.utf8.count)] + Array(SessionFixtures.ledger.utf8)
        chunked += SessionFixtures.farmNode.bytes + [4] + Array("farm".utf8)
        chunked += StoreFiles.bigEndian64(SessionFixtures.t0) + [1] + SessionFixtures.hubNode.bytes
        for part in [events.prefix(6), events.dropFirst(6)] {
            let batch = EventBatch.encode(part)
            chunked += FuzzInput.lengthPrefix(batch.count - 3) + batch.dropFirst(3)
        }
        seeds.append(("bundle-envelope-chunks", chunked))
        let anonymous = BundleFormat(ledger: "l", creator: SessionFixtures.hubNode, creatorLabel: "", createdMillis: 0,
                                     recipient: nil, events: [])
        seeds.append(("bundle-empty", [0] + anonymous.encode()))
        // Format 2: a sealed file as `bundle create` writes it, and the two harness-sealed forms.
        let sealed = BundleSeal.seal(bundle, ledgerID: nil, secret: BundleTarget.secret, salt: BundleTarget.salt)
        seeds += [("bundle-sealed", [4] + sealed), ("bundle-sealed-envelope", [5] + file.dropFirst(16).dropLast(32)),
                  ("bundle-sealed-chunks", [7] + chunked.dropFirst())]
        return seeds
    }
}
