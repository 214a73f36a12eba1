import CarnetCore
import CarnetNet
import CarnetNode
import CarnetStore
import Foundation
import Testing

/// RELIABILITY.md T7, the PR version: 20 farms hold live sessions with one hub's server
/// and write as they go; every event reaches every farm through the hub, no session ends
/// in error, and the hub's counters show every session closed. (Descriptors are checked
/// where they can be: on the `carnet serve` process of the 200-peer, 10-minute soak,
/// `carnet-bench --load 200 --minutes 10`, and of HostileTableTests; in this process other
/// suites open and close files at the same time.)
@Suite(.serialized)
struct HubLoadTests {
    /// Live sessions' outcomes, from their threads.
    final class Outcomes: @unchecked Sendable {
        // `@unchecked Sendable`: every property is only touched under `lock`.
        private let lock = NSLock()
        private var runners: [SessionRunner] = []
        private var failures: [String] = []
        private var stopping = false
        func add(_ runner: SessionRunner) { lock.withLock { runners.append(runner) } }
        func ended(_ failure: String?) {
            lock.withLock { if let failure, !stopping { failures.append(failure) } }
        }
        /// Stops every session and lets go of the runners (each holds a wakeup's descriptors).
        func stopAll() {
            let all = lock.withLock {
                stopping = true
                defer { runners = [] }
                return runners
            }
            all.forEach { $0.stop() }
        }
        var failed: [String] { lock.withLock { failures } }
    }

    @Test func twentyLivePeersWritingAtOnceAllConverge() throws {
        let secret = LedgerSecret.generate()
        let hub = try TestNode(label: "hub", secret: secret)
        let farms = try (0..<20).map { try TestNode(label: "farm-\($0)", secret: secret) }
        defer { ([hub] + farms).forEach { $0.cleanUp() } }
        var configuration = Server.Configuration()
        configuration.listen = SocketAddress(host: "127.0.0.1", port: 0)
        let server = RunningServer(try Server(store: try hub.open(), secret: secret, configuration: configuration) { _ in })
        let address = server.address

        let stores = try farms.map { try $0.open() }
        let outcomes = Outcomes()
        let group = DispatchGroup()
        for store in stores {
            group.enter()
            Thread {
                defer { group.leave() }
                do {
                    let runner = try SessionRunner(connection: try TCPConnection.connect(to: address, timeout: .seconds(10)))
                    outcomes.add(runner)
                    let report = runner.run(role: .dialer, store: store, secret: secret, live: true)
                    outcomes.ended(report.failure)
                } catch {
                    outcomes.ended("\(error)")
                }
            }.start()
        }
        // Five rounds: every farm writes one event, the farms spread over half a second.
        for round in 0..<5 {
            for (index, store) in stores.enumerated() {
                try store.write([.append(Entry(id: "f\(index)-\(round)", kind: "harvest", fields: [Field("qty", .int(Int64(round)))]))],
                                wallMillis: 1_790_000_000_000 + UInt64(round * 1_000 + index))
                Thread.sleep(forTimeInterval: 0.025)
            }
        }
        let target: UInt64 = 5 * 20
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, !stores.allSatisfy({ $0.summary.versionVector.total >= target }) {
            Thread.sleep(forTimeInterval: 0.1)
        }
        let held = stores.map { $0.summary.versionVector.total }
        outcomes.stopAll()
        group.wait()
        server.stop()

        #expect(held.allSatisfy { $0 == target }, "every farm holds all \(target) events: \(held)")
        #expect(outcomes.failed.isEmpty, "no live session failed: \(outcomes.failed)")
        let counters = try #require(ServerCounters.load(directory: hub.directory))
        #expect(counters.sessionsStarted == 20 && counters.openSessions == 0 && counters.eventsReceivedNew == target,
                "\(counters)")
    }
}
