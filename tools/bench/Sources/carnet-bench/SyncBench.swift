import CarnetCore
import CarnetLinkSim
import CarnetNet
import CarnetNode
import CarnetStore
import CarnetWorkload
import Foundation

/// The sync protocol over real TCP on loopback between real stores: the farm-day delta of
/// WORKLOAD.md (a hub that holds everything but the target farm's last day) and an
/// in-sync session. Counts the bytes that crossed the socket (frames, MACs and all) and
/// the protocol round trips. No link simulation here: times are loopback times.
enum SyncBench {
    static func report(replay: WorkloadReplay, runs: Int, receipts: Bool = true) {
        // nil: ask as `carnet sync` does (the delta asks, the in-sync session does not).
        let receipt: Bool? = receipts ? nil : false
        let hubEvents = replay.hub
        let (target, delta, hubHolds) = deltaScenario(replay)
        guard !delta.isEmpty else {
            print("\nsync: the target farm wrote nothing on the last day; skipped")
            return
        }
        let deltaEntries = delta.filter { if case .append = $0.operation { true } else { false } }.count

        print("\nsync over TCP (loopback, real stores, real sessions)")
        print("  delta        farm \(target), last day: \(deltaEntries) entries (\(delta.count) events); hub holds the other \(Format.grouped(hubHolds.count)) events, \(hubEvents.history.nodeIDs.count) nodes")
        var times: [Double] = [], perEntry: [Double] = [], inSyncLedger: [Double] = [], ruralTimes: [Double] = []
        var last: (delta: SessionReport, inSync: SessionReport)?
        for _ in 0..<runs {
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("carnet-bench-sync-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: root) }
            let secret = LedgerSecret.generate()
            let hub = makeNode(root + "/hub", replay: replay, actor: replay.meta.hub, events: hubHolds, secret: secret)
            let farm = makeNode(root + "/farm", replay: replay, actor: target, events: hubEvents.allEvents, secret: secret)
            let server = HubServer(hub, secret: secret)
            defer { server.stop() }
            let address = server.address
            // The same delta over a simulated 64 kbit/s, 600 ms link, on a copy of the
            // farm's state: its own session, so it needs a hub that lacks the day too.
            let ruralHub = makeNode(root + "/rural-hub", replay: replay, actor: replay.meta.hub, events: hubHolds, secret: secret)
            let ruralServer = HubServer(ruralHub, secret: secret)
            guard let link = try? LinkSimulator(target: ruralServer.address,
                                                profile: .rural(kilobits: 64, roundTripMilliseconds: 600)) else {
                fail("cannot start the link simulator", code: 70)
            }
            let ruralFarm = makeNode(root + "/rural-farm", replay: replay, actor: target, events: hubEvents.allEvents, secret: secret)
            let ruralStart = ContinuousClock().now
            guard let rural = try? SyncClient.sync(store: ruralFarm, secret: secret, address: link.address, receipt: receipt),
                  rural.succeeded else {
                fail("the delta over the simulated link failed", code: 70)
            }
            ruralTimes.append((ContinuousClock().now - ruralStart).seconds)
            link.stop()
            ruralServer.stop()
            let start = ContinuousClock().now
            guard let first = try? SyncClient.sync(store: farm, secret: secret, address: address, receipt: receipt), first.succeeded else {
                fail("the delta sync failed", code: 70)
            }
            times.append((ContinuousClock().now - start).seconds)
            let bytes = first.statistics.bytesSent + first.statistics.bytesReceived
            perEntry.append(Double(bytes) / Double(deltaEntries))
            guard let second = try? SyncClient.sync(store: farm, secret: secret, address: address, receipt: receipt), second.succeeded else {
                fail("the in-sync session failed", code: 70)
            }
            inSyncLedger.append(Double(second.statistics.bytesSent + second.statistics.bytesReceived))
            last = (first, second)
        }
        guard let last else { return }
        let stats = last.delta.statistics
        print("  delta bytes  \(Format.grouped(stats.bytesSent)) sent + \(Format.grouped(stats.bytesReceived)) received = \(Format.fixed(Samples(values: perEntry).median, 2)) bytes/entry on the socket (median; framing, handshake, summaries, MACs included)")
        print("  delta events \(stats.eventsSentNew) new events sent, \(stats.eventsReceivedNew) received; protocol round trips (waits on the peer) \(stats.waits)")
        print("  receipts     delta: \(last.delta.receipt.map { "custody receipt kept (seq \($0.seq))" } ?? "none"); in sync: \(last.inSync.receipt == nil ? "none" : "one") (\(receipts ? "asked as `carnet sync` does" : "--no-receipts"))")
        print("  delta time   \(Samples(values: times).timeSummary) on loopback (connect, handshake, persist with fsync, close)")
        print("  delta rural  \(Samples(values: ruralTimes).timeSummary) over a simulated 64 kbit/s, 600 ms RTT link (connect to close, in process; floor: 3 round trips (TCP connect + 2) = 1.8 s + \(Format.fixed(Double(stats.bytesSent) * 8 / 64_000, 2)) s of upload)")
        let inSync = last.inSync.statistics
        print("  in sync      \(Format.fixed(Samples(values: inSyncLedger).median, 0)) bytes in all (dialer \(inSync.bytesSent), listener \(inSync.bytesReceived)): Noise message 1 (\(handshakeMessage1Bytes)), message 2 with the listener's SUMMARY 'same', then the dialer's SUMMARY and two DONE sealed; round trips \(inSync.waits)")
    }

    /// The delta with the real binaries: the hub's `carnet serve` process, the simulated
    /// 64 kbit/s, 600 ms link (connect costs a round trip, as TCP's handshake does), and
    /// `carnet sync` timed from process start to exit.
    static func reportBinaryDelta(replay: WorkloadReplay, runs: Int) {
        let binary = Machine.repoRoot + "/.build/release/carnet"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            print("\ndelta binary: skipped (build it first: swift build -c release --product carnet)")
            return
        }
        let (target, delta, hubHolds) = deltaScenario(replay)
        var times: [Double] = []
        var lastJSON = ""
        for _ in 0..<runs {
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("carnet-bench-bin-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: root) }
            let secret = LedgerSecret.generate()
            _ = makeNode(root + "/hub", replay: replay, actor: replay.meta.hub, events: hubHolds, secret: secret)
            _ = makeNode(root + "/farm", replay: replay, actor: target, events: replay.hub.allEvents, secret: secret)
            let serve = ServeProcess(binary: binary, directory: root + "/hub")
            guard let link = try? LinkSimulator(target: serve.address, profile: .rural(kilobits: 64, roundTripMilliseconds: 600)) else {
                fail("cannot start the link simulator", code: 70)
            }
            let sync = Process()
            sync.executableURL = URL(fileURLWithPath: binary)
            sync.arguments = ["--dir", root + "/farm", "sync", link.address.description, "--json"]
            let result = Pipe()
            sync.standardOutput = result
            let start = ContinuousClock().now
            guard (try? sync.run()) != nil else { fail("cannot start sync", code: 70) }
            let output = result.fileHandleForReading.readDataToEndOfFile()
            sync.waitUntilExit()
            times.append((ContinuousClock().now - start).seconds)
            lastJSON = String(decoding: output, as: UTF8.self)
            link.stop()
            serve.stop()
            guard sync.terminationStatus == 0 else { fail("carnet sync failed: \(lastJSON)", code: 70) }
        }
        let entries = delta.filter { if case .append = $0.operation { true } else { false } }.count
        print("\ndelta binary (`carnet sync` process, start to exit, over a simulated 64 kbit/s, 600 ms RTT link; connect costs one RTT)")
        print("  time         \(Samples(values: times).timeSummary) for \(entries) entries; target ≤ 2.5 s")
        if let data = lastJSON.data(using: .utf8), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let sent = object["sent"] as? [String: Any], let received = object["received"] as? [String: Any] {
            print("  last run     sent \(sent["bytes"] ?? "?") bytes, received \(received["bytes"] ?? "?"); round trips \(object["roundTrips"] ?? "?"); in-session \(object["elapsedMillis"] ?? "?") ms")
        }
    }

    /// The delta scenario's two stores, `runs` times, on disk for the real binaries.
    static func prepareDelta(replay: WorkloadReplay, into root: String, runs: Int) {
        let (target, delta, hubHolds) = deltaScenario(replay)
        let secret = LedgerSecret.generate()
        for run in 1...runs {
            let directory = root + "/run-\(run)"
            _ = makeNode(directory + "/hub", replay: replay, actor: replay.meta.hub, events: hubHolds, secret: secret)
            _ = makeNode(directory + "/farm", replay: replay, actor: target, events: replay.hub.allEvents, secret: secret)
        }
        let entries = delta.filter { if case .append = $0.operation { true } else { false } }.count
        print("prepared \(runs) delta pairs in \(root): farm \(target) holds everything, the hub lacks its last day (\(entries) entries)")
    }

    /// WORKLOAD.md's delta: the median farm, its events of the last day, and all the rest.
    static func deltaScenario(_ replay: WorkloadReplay) -> (target: String, delta: [Event], hubHolds: [Event]) {
        let hubEvents = replay.hub
        let farms = replay.meta.actors.filter { $0 != replay.meta.hub }
        let counted = farms.map { farm -> (String, Int) in
            let node = WorkloadReplay.nodeID(forActor: farm, signed: replay.signed)
            let entries = hubEvents.history.events(of: node).filter { if case .append = $0.operation { true } else { false } }
            return (farm, entries.count)
        }.sorted { ($0.1, $0.0) < ($1.1, $1.0) }
        let target = counted[counted.count / 2].0
        let chain = hubEvents.history.events(of: WorkloadReplay.nodeID(forActor: target, signed: replay.signed))
        let lastDay = hubEvents.history.nodeIDs.flatMap { hubEvents.history.events(of: $0) }.compactMap(day).max() ?? 0
        let delta = Array(chain[(chain.firstIndex { day(of: $0) == lastDay } ?? chain.count)...])
        let ids = Set(delta.map(\.id))
        return (target, delta, hubEvents.allEvents.filter { !ids.contains($0.id) })
    }

    /// A new farm pulls the whole hub over a simulated 1 Mbit/s, 300 ms link; then the same
    /// with the link cut every 5 seconds (the farm dials again at once until it is done).
    static func reportJoin(replay: WorkloadReplay, runs: Int) {
        let hubEvents = replay.hub
        print("\nnew farm joins (fresh node pulls the whole hub; simulated 1 Mbit/s each way, 300 ms RTT)")
        var plain: [(seconds: Double, bytes: Int)] = []
        var cut: [(seconds: Double, bytes: Int, cuts: Int, sessions: Int, resentEvents: UInt64)] = []
        for _ in 0..<runs {
            for cutting in [false, true] {
                let root = FileManager.default.temporaryDirectory.appendingPathComponent("carnet-bench-join-\(UUID().uuidString)").path
                defer { try? FileManager.default.removeItem(atPath: root) }
                let secret = LedgerSecret.generate()
                let hub = makeNode(root + "/hub", replay: replay, actor: replay.meta.hub, events: hubEvents.allEvents, secret: secret)
                let farm = makeNode(root + "/farm", replay: replay, actor: "new-farm", events: [], secret: secret)
                let server = HubServer(hub, secret: secret)
                var profile = LinkProfile.rural(kilobits: 1_000, roundTripMilliseconds: 300)
                if cutting { profile.cutEvery = .seconds(5) }
                guard let link = try? LinkSimulator(target: server.address, profile: profile) else {
                    fail("cannot start the link simulator", code: 70)
                }
                let start = ContinuousClock().now
                var sessions = 0, resent: UInt64 = 0
                var done = false
                while !done && sessions < 100 {
                    sessions += 1
                    guard let report = try? SyncClient.sync(store: farm, secret: secret, address: link.address) else { continue }
                    resent += report.statistics.eventsReceived - report.statistics.eventsReceivedNew
                    done = report.succeeded
                }
                let seconds = (ContinuousClock().now - start).seconds
                let counters = link.statistics
                link.stop()
                server.stop()
                guard done else { fail("the join did not finish in 100 sessions", code: 70) }
                let bytes = counters.bytesUp + counters.bytesDown
                if cutting {
                    cut.append((seconds, bytes, counters.cuts, sessions, resent))
                } else {
                    plain.append((seconds, bytes))
                }
            }
        }
        let entries = Double(replay.entries)
        let bytes = Samples(values: plain.map { Double($0.bytes) })
        let seconds = Samples(values: plain.map(\.seconds))
        let floor = bytes.median / 125_000
        print("  uncut        \(Format.grouped(Int(bytes.median))) bytes on the wire = \(Format.fixed(bytes.median / entries, 2)) bytes/entry; \(seconds.timeSummary)")
        print("               bytes ÷ bandwidth = \(Format.fixed(floor, 1)) s; measured / floor = \(Format.fixed(seconds.median / floor, 2))×")
        let cutBytes = Samples(values: cut.map { Double($0.bytes) })
        let cutSeconds = Samples(values: cut.map(\.seconds))
        let cuts = cut.map(\.cuts).max() ?? 0
        let resentBytes = cutBytes.median - bytes.median
        print("  cut every 5 s \(cutSeconds.timeSummary); \(cuts) cuts, \(cut.map(\.sessions).max() ?? 0) sessions; \(Format.grouped(Int(cutBytes.median))) bytes = \(Format.fixed(cutBytes.median / bytes.median, 3))× the uncut run")
        let resentEvents = Samples(values: cut.map { Double($0.resentEvents) }).median
        print("               events received twice: \(Int(resentEvents)) (\(Format.fixed(resentEvents / Double(max(cuts, 1)), 0)) per cut; a batch is up to 2,000 events or 32 KB); extra bytes \(Format.grouped(Int(resentBytes)))")
    }

    /// Noise message 1 on the stream (protocol/SPEC.md §8.2): frame header, ephemeral key,
    /// sealed payload and tag.
    static let handshakeMessage1Bytes = 70

    private static func day(of event: Event) -> Int32? {
        guard case let .append(entry) = event.operation, case let .day(day)? = entry.fields["date"] else { return nil }
        return day
    }

    private static func makeNode(_ directory: String, replay: WorkloadReplay, actor: String, events: [Event],
                                 secret: LedgerSecret) -> SharedStore {
        do {
            if replay.signed {
                // The same first event as the replay's actor wrote (same key, same clock).
                let device = WorkloadReplay.signer(forActor: actor)
                try NodeStore.create(directory: directory, ledger: "bench", label: actor, node: device.node,
                                     signed: (WorkloadReplay.signedLedger, device),
                                     wallMillis: WorkloadReplay.declarationMillis(replay.meta))
            } else {
                try NodeStore.create(directory: directory, ledger: "bench", label: actor, node: WorkloadReplay.nodeID(forActor: actor))
            }
            var store = try NodeStore(directory: directory, wallMillis: 0) { NodeID.derived(from: "bench-continuation") }
            var signers: [NodeID: DeviceSigner] = [:]
            if replay.signed {
                for actor in replay.meta.actors {
                    let signer = WorkloadReplay.signer(forActor: actor)
                    signers[signer.node] = signer
                }
            }
            var index = 0
            while index < events.count {
                let chunk = Array(events[index..<min(events.count, index + 5_000)])
                // Each chunk as its authors would have signed it: a head over each node's last
                // event in it (the replay's events come node by node, each chain in order).
                var last: [NodeID: Event] = [:]
                for event in chunk { last[event.dot.node] = event }
                let heads = last.values.compactMap { event in
                    signers[event.dot.node]?.signHead(seq: event.dot.seq, hash: event.hash, ledger: WorkloadReplay.signedLedger)
                }
                try store.persist(SignedEvents(events: chunk, heads: heads))
                index += 5_000
            }
            try store.saveCheckpoint()
        } catch {
            fail("cannot build the store in \(directory): \(error)", code: 73)
        }
        do {
            try secret.save(directory: directory)
        } catch {
            fail("cannot write the secret in \(directory): \(error)", code: 73)
        }
        do {
            return try SharedStore(directory: directory, wallMillis: 0)
        } catch {
            fail("cannot open \(directory): \(error)", code: 74)
        }
    }
}

/// A hub's `Server` on a loopback port of this process, running on its own thread.
final class HubServer: @unchecked Sendable {
    // `@unchecked Sendable`: both properties are immutable; `Server` is `Sendable`.
    private let server: Server
    private let finished = DispatchSemaphore(value: 0)
    let address: SocketAddress

    init(_ store: SharedStore, secret: LedgerSecret) {
        var configuration = Server.Configuration()
        configuration.listen = SocketAddress(host: "127.0.0.1", port: 0)
        configuration.session.grants = store.speaksGrants  // as `carnet serve` sets it
        do {
            server = try Server(store: store, secret: secret, configuration: configuration) { _ in }
        } catch {
            fail("cannot start the hub: \(error)", code: 70)
        }
        address = SocketAddress(host: "127.0.0.1", port: server.port!)
        Thread { [server, finished] in
            server.run()
            finished.signal()
        }.start()
    }

    /// Stops the server and waits until every session has ended.
    func stop() {
        server.stop()
        finished.wait()
    }
}
