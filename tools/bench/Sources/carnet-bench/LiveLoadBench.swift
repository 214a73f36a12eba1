import CarnetCore
import CarnetNet
import CarnetNode
import CarnetStore
import CarnetSync
import Foundation

/// The hub's soak (RELIABILITY.md T7): N farms hold *live* sessions with a real
/// `carnet serve` for M minutes, each writing one event every 10 s, which the hub pushes
/// to every other farm; 50 unauthenticated sockets sit idle beside them the whole time.
/// Samples the hub's resident memory and descriptors every 30 s, then checks that every
/// farm holds every event and that the descriptors went back to the baseline.
///
///     carnet-bench --load 200 --minutes 10
enum LiveLoadBench {
    static let writeEvery: Duration = .seconds(10)
    static let idleSockets = 50

    static func report(farms count: Int, minutes: Double) {
        let binary = Machine.repoRoot + "/.build/release/carnet"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            fail("build the binary first: swift build -c release --product carnet (looked for \(binary))", code: 66)
        }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("carnet-bench-soak-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let secret = LedgerSecret.generate()
        let farms = (0..<count).map { root + "/farm-\($0)" }
        for (index, directory) in ([root + "/hub"] + farms).enumerated() {
            do {
                try NodeStore.create(directory: directory, ledger: "bench", label: index == 0 ? "hub" : "farm-\(index - 1)",
                                     node: NodeID.derived(from: "soak-\(index)"))
                try secret.save(directory: directory)
            } catch {
                fail("cannot create a node: \(error)", code: 73)
            }
        }
        let server = ServeProcess(binary: binary, directory: root + "/hub", extra: ["--max-sessions", String(count + idleSockets + 16)])
        let pid = server.pid, address = server.address
        let baseline = LoadBench.descriptors(pid)
        print("hub soak: \(count) farms in live sessions with a `carnet serve` process for \(Format.fixed(minutes, 1)) min, one event per farm every \(writeEvery), \(idleSockets) idle unauthenticated sockets beside them")
        print("  before       hub RSS \(LoadBench.residentKiB(pid)) KiB, \(baseline) open descriptors")

        let clock = ContinuousClock()
        let start = clock.now
        let stores: [SharedStore] = farms.map { directory in
            do { return try SharedStore(directory: directory, wallMillis: 0) } catch { fail("cannot open a farm: \(error)", code: 74) }
        }
        let runners = Runners()
        let group = DispatchGroup()
        for store in stores {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                guard let connection = try? TCPConnection.connect(to: address, timeout: .seconds(30)),
                      let runner = try? SessionRunner(connection: connection) else {
                    runners.finished(nil, failure: "cannot connect")
                    return
                }
                runners.add(runner)
                let report = runner.run(role: .dialer, store: store, secret: secret, live: true)
                runners.finished(report, failure: nil)
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        let idle = IdleSockets(address: address, count: idleSockets)

        // Writers: farm i writes at 10 s intervals, the farms spread over the interval.
        let end = start + .milliseconds(Int64(minutes * 60_000))
        var written = 0
        var samples: [(seconds: Double, kib: Int, descriptors: Int)] = []
        var nextSample = start
        var round = 0
        while clock.now < end {
            let roundStart = start + writeEvery * round
            for index in farms.indices {
                let due = roundStart + writeEvery * (Double(index) / Double(count))
                if due > clock.now { Thread.sleep(forTimeInterval: (due - clock.now).seconds) }
                if clock.now >= nextSample {
                    samples.append(((clock.now - start).seconds, LoadBench.residentKiB(pid), LoadBench.descriptors(pid)))
                    nextSample = nextSample + .seconds(30)
                }
                do {
                    // Written through the farm's shared store, which hands it to its live session.
                    let entry = Entry(id: "f\(index)-\(round)", kind: "harvest", fields: [Field("qty", .int(Int64(round)))])
                    try stores[index].write([.append(entry)], wallMillis: 1_790_000_000_000 + UInt64(round) * 10_000)
                    written += 1
                } catch {
                    fail("farm \(index) cannot write: \(error)", code: 74)
                }
            }
            round += 1
        }
        samples.append(((clock.now - start).seconds, LoadBench.residentKiB(pid), LoadBench.descriptors(pid)))

        // Quiesce: every farm must hold every event, then the sessions end.
        let quiesceStart = clock.now
        let target = written
        while clock.now - quiesceStart < .seconds(60), !stores.allSatisfy({ $0.summary.versionVector.total >= UInt64(target) }) {
            Thread.sleep(forTimeInterval: 0.5)
        }
        let quiesced = (clock.now - quiesceStart).seconds
        let held = stores.map { Int($0.summary.versionVector.total) }.sorted()
        let lagging = held.filter { $0 < target }.count
        runners.stopAll()
        group.wait()
        idle.stop()
        Thread.sleep(forTimeInterval: 2)  // the hub closes its side
        let after = LoadBench.descriptors(pid)
        let finalKiB = LoadBench.residentKiB(pid), peak = LoadBench.peakKiB(pid)
        server.stop()

        let summary = runners.summary
        print("  written      \(written) events by \(count) farms (\(round) rounds)")
        print("  caught up    all \(count) sessions authenticated and caught up within \(Format.fixed(summary.slowestCatchUp, 2)) s of their start")
        print("  sessions     \(summary.failures) ended with an error\(summary.firstFailure.map { " (first: \($0))" } ?? "") before the test stopped them")
        print("  converged    \(lagging == 0 ? "every farm holds all \(written) events" : "\(lagging) farms lack events (they hold \(held.first ?? 0)–\(held.last ?? 0), median \(held[held.count / 2]), of \(written))"), \(Format.fixed(quiesced, 1)) s after the last write")
        print("  idle sockets \(idle.opened) unauthenticated connections opened, each closed by the hub at its handshake timeout")
        print("  hub memory   (minute: RSS MiB, descriptors)")
        for sample in samples {
            print("               \(Format.fixed(sample.seconds / 60, 1)): \(Format.fixed(Double(sample.kib) / 1024, 1)), \(sample.descriptors)")
        }
        let secondHalf = samples.filter { $0.seconds >= minutes * 30 }
        if let first = secondHalf.first, let last = secondHalf.last {
            print("  growth       \(Format.fixed(Double(last.kib - first.kib) / 1024, 1)) MiB over the second half; peak \(Format.fixed(Double(peak) / 1024, 1)) MiB; at the end \(Format.fixed(Double(finalKiB) / 1024, 1)) MiB")
        }
        print("  descriptors  \(baseline) before, \(after) after every session closed")
    }

    /// The live sessions' runners and outcomes.
    final class Runners: @unchecked Sendable {
        // `@unchecked Sendable`: every field is only touched under `lock`.
        private let lock = NSLock()
        private var runners: [SessionRunner] = []
        private var stopping = false
        private var failures = 0
        private var first: String?
        private var slowest = 0.0

        func add(_ runner: SessionRunner) {
            let stopNow = lock.withLock { runners.append(runner); return stopping }
            if stopNow { runner.stop() }
        }

        func finished(_ report: SessionReport?, failure: String?) {
            lock.withLock {
                if let caught = report?.caughtUpAfter { slowest = max(slowest, caught.seconds) }
                // A session the test stopped ends with the node shutting down: not a failure.
                let problem = failure ?? (stopping ? nil : (report?.failure ?? "ended early"))
                if let problem {
                    failures += 1
                    if first == nil { first = problem }
                }
            }
        }

        func stopAll() {
            let all = lock.withLock { stopping = true; return runners }
            all.forEach { $0.stop() }
        }

        var summary: (failures: Int, firstFailure: String?, slowestCatchUp: Double) {
            lock.withLock { (failures, first, slowest) }
        }
    }

    /// Connections that never say HELLO, reopened whenever the hub closes them.
    final class IdleSockets: @unchecked Sendable {
        // `@unchecked Sendable`: `running` and `count` are only touched under `lock`.
        private let lock = NSLock()
        private var running = true
        private var openedCount = 0
        private let done = DispatchGroup()

        init(address: SocketAddress, count: Int) {
            for _ in 0..<count {
                done.enter()
                Thread { [self] in
                    defer { done.leave() }
                    while lock.withLock({ running }) {
                        guard let connection = try? TCPConnection.connect(to: address, timeout: .seconds(10)) else {
                            Thread.sleep(forTimeInterval: 1)
                            continue
                        }
                        lock.withLock { openedCount += 1 }
                        // Wait for the hub to give up on it (its handshake timeout).
                        while lock.withLock({ running }) {
                            do throws(NetError) {
                                if try connection.receive(maxBytes: 4096, timeout: .seconds(1)).isEmpty { break }
                            } catch {
                                if case .timedOut = error { continue }
                                break
                            }
                        }
                        connection.close()
                    }
                }.start()
            }
        }

        var opened: Int { lock.withLock { openedCount } }

        func stop() {
            lock.withLock { running = false }
            done.wait()
        }
    }
}
