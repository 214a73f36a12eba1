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
    static func report(replay: WorkloadReplay, runs: Int) {
        let hubEvents = replay.hub
        let farms = replay.meta.actors.filter { $0 != replay.meta.hub }
        // WORKLOAD.md: the median farm by entry count (ties by farm id).
        let counted = farms.map { farm -> (String, Int) in
            let node = WorkloadReplay.nodeID(forActor: farm)
            let entries = hubEvents.history.events(of: node).filter { if case .append = $0.operation { true } else { false } }
            return (farm, entries.count)
        }.sorted { ($0.1, $0.0) < ($1.1, $1.0) }
        let target = counted[counted.count / 2].0
        let node = WorkloadReplay.nodeID(forActor: target)
        let chain = hubEvents.history.events(of: node)
        let lastDay = hubEvents.history.nodeIDs.flatMap { hubEvents.history.events(of: $0) }.compactMap(day).max() ?? 0
        guard let firstOfDay = chain.firstIndex(where: { day(of: $0) == lastDay }) else {
            print("\nsync: the target farm wrote nothing on the last day; skipped")
            return
        }
        let delta = Array(chain[firstOfDay...])
        let deltaEntries = delta.filter { if case .append = $0.operation { true } else { false } }.count
        let deltaIDs = Set(delta.map(\.id))
        let hubHolds = hubEvents.allEvents.filter { !deltaIDs.contains($0.id) }

        print("\nsync over TCP (loopback, real stores, real sessions)")
        print("  delta        farm \(target), last day: \(deltaEntries) entries (\(delta.count) events); hub holds the other \(Format.grouped(hubHolds.count)) events, \(hubEvents.history.nodeIDs.count) nodes")
        var times: [Double] = [], perEntry: [Double] = [], inSyncLedger: [Double] = [], ruralTimes: [Double] = []
        var last: (delta: SessionReport, inSync: SessionReport)?
        for _ in 0..<runs {
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("carnet-bench-sync-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: root) }
            let secret = LedgerSecret.generate()
            let hub = makeNode(root + "/hub", actor: replay.meta.hub, events: hubHolds, secret: secret)
            let farm = makeNode(root + "/farm", actor: target, events: hubEvents.allEvents, secret: secret)
            var configuration = Server.Configuration()
            configuration.listen = SocketAddress(host: "127.0.0.1", port: 0)
            let server: Server
            do {
                server = try Server(store: hub, secret: secret, configuration: configuration) { _ in }
            } catch {
                fail("cannot start the hub: \(error)", code: 70)
            }
            let finished = DispatchSemaphore(value: 0)
            Thread { server.run(); finished.signal() }.start()
            defer {
                server.stop()
                finished.wait()
            }
            let address = SocketAddress(host: "127.0.0.1", port: server.port!)
            // The same delta over a simulated 64 kbit/s, 600 ms link, on a copy of the
            // farm's state: its own session, so it needs a hub that lacks the day too.
            let ruralHub = makeNode(root + "/rural-hub", actor: replay.meta.hub, events: hubHolds, secret: secret)
            var ruralConfiguration = Server.Configuration()
            ruralConfiguration.listen = SocketAddress(host: "127.0.0.1", port: 0)
            guard let ruralServer = try? Server(store: ruralHub, secret: secret, configuration: ruralConfiguration, log: { _ in }) else {
                fail("cannot start the second hub", code: 70)
            }
            let ruralFinished = DispatchSemaphore(value: 0)
            Thread { ruralServer.run(); ruralFinished.signal() }.start()
            guard let link = try? LinkSimulator(target: SocketAddress(host: "127.0.0.1", port: ruralServer.port!),
                                                profile: .rural(kilobits: 64, roundTripMilliseconds: 600)) else {
                fail("cannot start the link simulator", code: 70)
            }
            let ruralFarm = makeNode(root + "/rural-farm", actor: target, events: hubEvents.allEvents, secret: secret)
            let ruralStart = ContinuousClock().now
            guard let rural = try? SyncClient.sync(store: ruralFarm, secret: secret, address: link.address), rural.succeeded else {
                fail("the delta over the simulated link failed", code: 70)
            }
            ruralTimes.append((ContinuousClock().now - ruralStart).seconds)
            link.stop()
            ruralServer.stop()
            ruralFinished.wait()
            let start = ContinuousClock().now
            guard let first = try? SyncClient.sync(store: farm, secret: secret, address: address), first.succeeded else {
                fail("the delta sync failed", code: 70)
            }
            times.append((ContinuousClock().now - start).seconds)
            let bytes = first.statistics.bytesSent + first.statistics.bytesReceived
            perEntry.append(Double(bytes) / Double(deltaEntries))
            guard let second = try? SyncClient.sync(store: farm, secret: secret, address: address), second.succeeded else {
                fail("the in-sync session failed", code: 70)
            }
            inSyncLedger.append(Double(second.statistics.bytesSent + second.statistics.bytesReceived - handshakeBytes))
            last = (first, second)
        }
        guard let last else { return }
        let stats = last.delta.statistics
        print("  delta bytes  \(Format.grouped(stats.bytesSent)) sent + \(Format.grouped(stats.bytesReceived)) received = \(Format.fixed(Samples(values: perEntry).median, 2)) bytes/entry on the socket (median; framing, handshake, summaries, MACs included)")
        print("  delta events \(stats.eventsSentNew) new events sent, \(stats.eventsReceivedNew) received; protocol round trips (waits on the peer) \(stats.waits)")
        print("  delta time   \(Samples(values: times).timeSummary) on loopback (connect, handshake, persist with fsync, close)")
        print("  delta rural  \(Samples(values: ruralTimes).timeSummary) over a simulated 64 kbit/s, 600 ms RTT link (connect to close, in process; floor: 2 round trips = 1.2 s + \(Format.fixed(Double(stats.bytesSent) * 8 / 64_000, 2)) s of upload)")
        let inSync = last.inSync.statistics
        print("  in sync      \(inSync.bytesSent + inSync.bytesReceived) bytes in all: handshake \(handshakeBytes) + \(Format.fixed(Samples(values: inSyncLedger).median, 0)) after it (two SUMMARY 'same' + two DONE, frames and MACs included); round trips \(inSync.waits)")
    }

    /// HELLO both ways (54 bytes each) and PROOF both ways (37 each).
    static let handshakeBytes = 2 * 54 + 2 * 37

    private static func day(of event: Event) -> Int32? {
        guard case let .append(entry) = event.operation, case let .day(day)? = entry.fields["date"] else { return nil }
        return day
    }

    private static func makeNode(_ directory: String, actor: String, events: [Event], secret: LedgerSecret) -> SharedStore {
        do {
            try NodeStore.create(directory: directory, ledger: "bench", label: actor, node: WorkloadReplay.nodeID(forActor: actor))
            var store = try NodeStore(directory: directory, wallMillis: 0) { NodeID.derived(from: "bench-continuation") }
            var index = 0
            while index < events.count {
                try store.receive(Array(events[index..<min(events.count, index + 5_000)]))
                index += 5_000
            }
            try store.saveCheckpoint()
        } catch {
            fail("cannot build the store in \(directory): \(error)", code: 73)
        }
        do {
            return try SharedStore(directory: directory, wallMillis: 0)
        } catch {
            fail("cannot open \(directory): \(error)", code: 74)
        }
    }
}
