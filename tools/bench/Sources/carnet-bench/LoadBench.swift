import CarnetCore
import CarnetNet
import CarnetNode
import CarnetStore
import Foundation

/// The hub under load: a real `carnet serve` process and N farms syncing with it at the
/// same time (sessions on threads of this process). Reports wall time, errors, the hub's
/// resident memory and open descriptors, run after run.
///
///     carnet-bench --load 200 [--events 500]
enum LoadBench {
    static func report(farms count: Int, events perFarm: Int) {
        let binary = Machine.repoRoot + "/.build/release/carnet"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            fail("build the binary first: swift build -c release --product carnet (looked for \(binary))", code: 66)
        }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("carnet-bench-load-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let secret = LedgerSecret.generate()
        let hub = root + "/hub"
        do {
            try NodeStore.create(directory: hub, ledger: "bench", label: "hub", node: NodeID.derived(from: "load-hub"))
            try secret.save(directory: hub)
        } catch {
            fail("cannot create the hub: \(error)", code: 73)
        }
        print("hub under load: \(count) farms syncing at once with a `carnet serve` process, \(perFarm) new events each per round")
        let farms = (0..<count).map { index -> String in
            let directory = root + "/farm-\(index)"
            do {
                try NodeStore.create(directory: directory, ledger: "bench", label: "farm-\(index)", node: NodeID.derived(from: "load-farm-\(index)"))
                try secret.save(directory: directory)
            } catch {
                fail("cannot create a farm: \(error)", code: 73)
            }
            return directory
        }
        let server = ServeProcess(binary: binary, directory: hub, extra: ["--max-sessions", String(count + 16)])
        defer { server.stop() }
        let address = server.address
        let pid = server.pid
        print("  before       hub RSS \(residentKiB(pid)) KiB, \(descriptors(pid)) open descriptors")
        for round in 1...3 {
            // Round 2 brings nothing new (in-sync sessions); rounds 1 and 3 bring events.
            let fresh = round == 2 ? 0 : perFarm
            for (index, farm) in farms.enumerated() where fresh > 0 {
                do {
                    var store = try NodeStore(directory: farm, wallMillis: 0) { NodeID.derived(from: "x") }
                    let operations = (0..<fresh).map { n in
                        CarnetCore.Operation.append(Entry(id: "f\(index)-r\(round)-\(n)", kind: "harvest",
                                                          fields: [Field("qty", .int(Int64(n))), Field("lot", .text("L\(index)-\(round)"))]))
                    }
                    try store.writeBatch(operations, wallMillis: 1_790_000_000_000 + UInt64(round * 100_000))
                } catch {
                    fail("cannot write farm events: \(error)", code: 74)
                }
            }
            let results = Results()
            let group = DispatchGroup()
            let start = ContinuousClock().now
            for farm in farms {
                group.enter()
                let thread = Thread {
                    do {
                        let store = try SharedStore(directory: farm, wallMillis: 0)
                        let report = try SyncClient.sync(store: store, secret: secret, address: address, connectTimeout: .seconds(30))
                        results.add(report.succeeded ? nil : (report.failure ?? "?"), bytes: report.statistics.bytesSent + report.statistics.bytesReceived)
                    } catch {
                        results.add("\(error)", bytes: 0)
                    }
                    group.leave()
                }
                thread.stackSize = 1 << 20
                thread.start()
            }
            group.wait()
            let seconds = (ContinuousClock().now - start).seconds
            Thread.sleep(forTimeInterval: 0.5)  // sessions wind down on the hub
            let summary = results.summary
            print("  round \(round)      \(count) sessions in \(Format.fixed(seconds, 2)) s, \(summary.failures) failed\(summary.firstFailure.map { " (\($0))" } ?? ""); \(Format.grouped(summary.bytes)) bytes; hub RSS \(residentKiB(pid)) KiB (peak \(peakKiB(pid)) KiB), \(descriptors(pid)) open descriptors")
        }
    }

    /// Thread-safe tally of session outcomes.
    final class Results: @unchecked Sendable {
        // `@unchecked Sendable`: every field is only touched under `lock`.
        private let lock = NSLock()
        private var failures = 0, bytes = 0
        private var first: String?
        func add(_ failure: String?, bytes count: Int) {
            lock.withLock {
                bytes += count
                if let failure {
                    failures += 1
                    if first == nil { first = failure }
                }
            }
        }
        var summary: (failures: Int, bytes: Int, firstFailure: String?) { lock.withLock { (failures, bytes, first) } }
    }

    static func status(_ pid: Int32, _ key: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
        }
        return 0
    }

    static func residentKiB(_ pid: Int32) -> Int { status(pid, "VmRSS") }
    static func peakKiB(_ pid: Int32) -> Int { status(pid, "VmHWM") }
    static func descriptors(_ pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    }
}

/// A real `carnet serve` on a loopback port, started from the release binary.
final class ServeProcess {
    private let process = Process()
    let address: SocketAddress
    var pid: Int32 { process.processIdentifier }

    /// `log`: a file that takes what it writes to stderr (its log), else dropped.
    init(binary: String, directory: String, extra: [String] = [], log: String? = nil) {
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--dir", directory, "serve", "--listen", "127.0.0.1:0", "--interval", "3600"] + extra
        let out = Pipe()
        process.standardOutput = out
        if let log, FileManager.default.createFile(atPath: log, contents: nil), let file = FileHandle(forWritingAtPath: log) {
            process.standardError = file
        } else {
            process.standardError = FileHandle.nullDevice
        }
        do { try process.run() } catch { fail("cannot start serve: \(error)", code: 70) }
        // Its first line says where it listens.
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...].prefix { $0.isNumber }) else {
            fail("serve did not start: \(text)", code: 70)
        }
        address = SocketAddress(host: "127.0.0.1", port: port)
    }

    /// SIGTERM, then waits for it to end its sessions and exit.
    func stop() {
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
    }
}
