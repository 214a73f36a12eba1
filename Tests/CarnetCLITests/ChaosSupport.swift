import CarnetTestKit
import Foundation
import Glibc

// Equipment for the T6 chaos run (ChaosTests.swift): real `carnet` processes on node
// directories, a hub `carnet serve` that can be SIGKILLed and started again on the same
// port, and a thread-safe book of what the farms wrote and what each sync reported.

/// One finished `carnet` process.
struct ChaosRun: Sendable {
    var status: Int32
    var stdout: String
    var stderr: String
    /// Ended by the SIGKILL the caller asked for.
    var killed: Bool

    /// stdout as a JSON object, when it is one.
    var object: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any]
    }
}

/// A node directory and the `carnet` runs against it.
struct ChaosNode: Sendable {
    let label: String
    let directory: String
    let executable: URL

    /// The environment of every run: the test's, without a `CARNET_DIR` that would
    /// override `--dir`, and without colour.
    static let environment: [String: String] = {
        var environment = ProcessInfo.processInfo.environment
        environment["CARNET_DIR"] = nil
        environment["NO_COLOR"] = "1"
        return environment
    }()

    /// Runs `carnet --dir <directory> arguments`; with `killAfter`, SIGKILLs it if it is
    /// still running then (a farm's sync cut short by a crash or a pulled plug).
    func run(_ arguments: [String], killAfter: Duration? = nil) throws -> ChaosRun {
        try Self.run(executable, ["--dir", directory] + arguments, killAfter: killAfter)
    }

    static func run(_ executable: URL, _ arguments: [String], killAfter: Duration? = nil) throws -> ChaosRun {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        if let killAfter {
            // Polls rather than sleeping the whole delay, so the pid killed is always this
            // running child (never a reused one).
            let deadline = ContinuousClock.now + killAfter
            while process.isRunning && ContinuousClock.now < deadline { usleep(5_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ChaosRun(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                        stderr: String(decoding: stderr, as: UTF8.self),
                        killed: process.terminationReason == .uncaughtSignal)
    }

    /// `carnet status --json`.
    func status() throws -> [String: Any] {
        let run = try run(["status", "--json"])
        guard run.status == 0, let object = run.object else { throw ChaosFailure("status of \(label): \(run.status) \(run.stderr)") }
        return object
    }

    /// Runs a command that must succeed.
    @discardableResult
    func ok(_ arguments: [String]) throws -> ChaosRun {
        let run = try run(arguments)
        guard run.status == 0 else {
            throw ChaosFailure("\(label): carnet \(arguments.joined(separator: " ")) → \(run.status): \(run.stderr)")
        }
        return run
    }

    /// Every entry id in the node's ledger, with repeats (from `export --csv`: the id is
    /// the first column, and ids never need quoting).
    func entryIDs() throws -> [String] {
        let file = directory + "-export.csv"
        try ok(["export", "--csv", file])
        defer { try? FileManager.default.removeItem(atPath: file) }
        let text = try String(contentsOfFile: file, encoding: .utf8)
        return text.components(separatedBy: "\r\n").dropFirst().filter { !$0.isEmpty }
            .map { String($0.prefix { $0 != "," }) }
    }
}

/// The hub's `carnet serve`, started on a port that stays the same across a SIGKILL and
/// a restart (the farms' link simulators keep pointing at it). Its stdout and stderr go
/// to a file per start, so a chatty server never blocks on a full pipe and its log is
/// there to read after a failure.
final class ChaosHub: @unchecked Sendable {
    // `@unchecked Sendable`: `process`, `port` and `starts` are only touched under `lock`.
    let node: ChaosNode
    private let lock = NSLock()
    private var process: Process?
    private var port = 0
    private var starts = 0

    init(node: ChaosNode) { self.node = node }

    var listeningPort: Int { lock.withLock { port } }
    var isRunning: Bool { lock.withLock { process?.isRunning ?? false } }
    var logFiles: [String] { lock.withLock { (0..<starts).map { node.directory + "-serve-\($0).log" } } }

    /// Starts `serve` on the port it had before (any free port the first time) and waits
    /// for its "listening on" line. A port just released can take a moment to bind again.
    func start() throws {
        let (wanted, index) = lock.withLock { () -> (Int, Int) in
            starts += 1
            return (port, starts - 1)
        }
        let log = node.directory + "-serve-\(index).log"
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            let process = Process()
            process.executableURL = node.executable
            process.arguments = ["--dir", node.directory, "serve", "--listen", "127.0.0.1:\(wanted)", "--interval", "3600"]
            process.environment = ChaosNode.environment
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            while process.isRunning, ContinuousClock.now < deadline, Self.listeningPort(in: log) == nil { usleep(20_000) }
            try handle.close()
            if let port = Self.listeningPort(in: log), process.isRunning {
                lock.withLock {
                    self.process = process
                    self.port = port
                }
                return
            }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            guard ContinuousClock.now < deadline else {
                throw ChaosFailure("serve did not listen on port \(wanted): \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            }
            usleep(200_000)
        }
    }

    private static func listeningPort(in log: String) -> Int? {
        guard let text = try? String(contentsOfFile: log, encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.contains("listening on") }),
              let colon = line.lastIndex(of: ":") else { return nil }
        return Int(line[line.index(after: colon)...].prefix { $0.isNumber })
    }

    /// Ends the server with `signal` and waits; returns its exit status.
    @discardableResult
    func end(_ signal: Int32) -> Int32 {
        guard let process = lock.withLock({ self.process }) else { return -1 }
        if process.isRunning { kill(process.processIdentifier, signal) }
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// The figures of `status --json`'s `server` object that the checks use.
struct ServerFigures: Sendable {
    var sessionsStarted = 0, sessionsCompleted = 0, sessionsFailed = 0
    var eventsReceived = 0, eventsReceivedNew = 0, eventsSent = 0
    var bytesReceived = 0, bytesSent = 0
    var failures: [String: Int] = [:]
    var rejected: [String: Int] = [:]
    var authenticationFailures = 0
    var running = false

    init() {}

    init(_ server: [String: Any]) {
        let sessions = server["sessions"] as? [String: Any] ?? [:]
        let events = server["events"] as? [String: Any] ?? [:]
        let bytes = server["bytes"] as? [String: Any] ?? [:]
        sessionsStarted = sessions["started"] as? Int ?? 0
        sessionsCompleted = sessions["completed"] as? Int ?? 0
        sessionsFailed = sessions["failed"] as? Int ?? 0
        eventsReceived = events["received"] as? Int ?? 0
        eventsReceivedNew = events["receivedNew"] as? Int ?? 0
        eventsSent = events["sent"] as? Int ?? 0
        bytesReceived = bytes["received"] as? Int ?? 0
        bytesSent = bytes["sent"] as? Int ?? 0
        failures = server["failures"] as? [String: Int] ?? [:]
        rejected = server["rejected"] as? [String: Int] ?? [:]
        authenticationFailures = server["authenticationFailures"] as? Int ?? 0
        running = server["running"] as? Bool ?? false
    }

    /// The figures of two server lifetimes together (the counters restart with `serve`).
    static func + (a: ServerFigures, b: ServerFigures) -> ServerFigures {
        var sum = ServerFigures()
        sum.sessionsStarted = a.sessionsStarted + b.sessionsStarted
        sum.sessionsCompleted = a.sessionsCompleted + b.sessionsCompleted
        sum.sessionsFailed = a.sessionsFailed + b.sessionsFailed
        sum.eventsReceived = a.eventsReceived + b.eventsReceived
        sum.eventsReceivedNew = a.eventsReceivedNew + b.eventsReceivedNew
        sum.eventsSent = a.eventsSent + b.eventsSent
        sum.bytesReceived = a.bytesReceived + b.bytesReceived
        sum.bytesSent = a.bytesSent + b.bytesSent
        sum.failures = a.failures.merging(b.failures, uniquingKeysWith: +)
        sum.rejected = a.rejected.merging(b.rejected, uniquingKeysWith: +)
        sum.authenticationFailures = a.authenticationFailures + b.authenticationFailures
        sum.running = b.running
        return sum
    }
}

/// What one `carnet sync --json` reported (nothing but its exit when it was killed).
struct SyncOutcome: Sendable {
    var farm: Int
    var succeeded: Bool
    var killed: Bool
    var error: String?
    var sentEvents = 0, sentNewEvents = 0, sentBatches = 0, sentBytes = 0
    var receivedEvents = 0, receivedNewEvents = 0, receivedBytes = 0
    /// Whether the report was there to read.
    var reported = false

    init(farm: Int, run: ChaosRun) {
        self.farm = farm
        killed = run.killed
        guard let object = run.object else {
            succeeded = false
            error = run.killed ? "killed" : "exit \(run.status): \(run.stderr.prefix(200))"
            return
        }
        reported = true
        succeeded = run.status == 0 && object["succeeded"] as? Bool == true
        error = object["error"] as? String
        let sent = object["sent"] as? [String: Any] ?? [:], received = object["received"] as? [String: Any] ?? [:]
        sentEvents = sent["events"] as? Int ?? 0
        sentNewEvents = sent["newEvents"] as? Int ?? 0
        sentBatches = sent["batches"] as? Int ?? 0
        sentBytes = sent["bytes"] as? Int ?? 0
        receivedEvents = received["events"] as? Int ?? 0
        receivedNewEvents = received["newEvents"] as? Int ?? 0
        receivedBytes = received["bytes"] as? Int ?? 0
    }

    /// Moved no event either way, and finished: the farm and the hub were in sync.
    var quiet: Bool { succeeded && sentEvents == 0 && receivedEvents == 0 }
}

/// What the farms wrote and how their syncs went during one schedule, filled by the farm
/// threads.
final class ChaosBook: @unchecked Sendable {
    // `@unchecked Sendable`: every property is only touched under `lock`.
    private let lock = NSLock()
    private var ids: Set<String> = []
    private var highWater: [Int: Int] = [:]
    private var counts = (records: 0, imports: 0, importedEntries: 0)
    private var failures: [String] = []
    private var outcomes: [SyncOutcome] = []

    /// A write command returned success: its entry ids are acknowledged, and the farm's
    /// own events up to `seq` must reach every node (I1).
    func acknowledge(farm: Int, ids newIDs: [String], seq: Int, imported: Bool) {
        lock.withLock {
            ids.formUnion(newIDs)
            highWater[farm] = max(highWater[farm] ?? 0, seq)
            if imported {
                counts.imports += 1
                counts.importedEntries += newIDs.count
            } else {
                counts.records += 1
            }
        }
    }

    func failedWrite(_ description: String) { lock.withLock { failures.append(description) } }
    func synced(_ outcome: SyncOutcome) { lock.withLock { outcomes.append(outcome) } }

    var acknowledged: Set<String> { lock.withLock { ids } }
    var acknowledgedSeq: [Int: Int] { lock.withLock { highWater } }
    var records: Int { lock.withLock { counts.records } }
    var imports: (count: Int, entries: Int) { lock.withLock { (counts.imports, counts.importedEntries) } }
    var failedWrites: [String] { lock.withLock { failures } }
    var syncs: [SyncOutcome] { lock.withLock { outcomes } }
}

/// Backlogs for `carnet import` (the `producer-ledger-workload/1` format): harvests of the
/// farm's own, each with a unique note of a few hundred random letters. Wide entries keep
/// the event count (what costs CPU in the debug build) low while the bytes on the wire
/// (what the links cut every 64 KiB) are high: ~280 bytes an entry.
enum ChaosBacklog {
    static let noteLength = 250

    /// Writes `count` harvests of `farm` with ids `<prefix>000001`… to `path`; returns the
    /// entry ids written.
    static func write(to path: String, farm: String, prefix: String, count: Int, random: inout SplitMix64) throws -> [String] {
        var text = #"{"t":"meta","schema":"producer-ledger-workload/1","seed":1,"farms":1,"days":1,"products":1,"#
            + #""entries":\#(count),"start":"2026-06-01","hub":"hub","actors":["hub","\#(farm)"]}"# + "\n"
        var ids: [String] = []
        let letters = Array("abcdefghijklmnopqrstuvwxyz ")
        for index in 1...count {
            let id = prefix + String(format: "%06d", index)
            let note = String((0..<noteLength).map { _ in letters[Int(random.next() % UInt64(letters.count))] })
            text += #"{"t":"entry","id":"\#(id)","farm":"\#(farm)","date":"2026-06-15","kind":"harvest","product":"tomme","#
                + #""qty":\#(random.pick(1...90) * 1_000),"unit":"g","lot":"\#(id)","note":"\#(note)"}"# + "\n"
            ids.append(id)
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return ids
    }
}

struct ChaosFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension SplitMix64 {
    /// A value in `range`, from this generator.
    mutating func pick(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
    mutating func fraction(_ range: ClosedRange<Double>) -> Double { Double.random(in: range, using: &self) }
}

extension Duration {
    var chaosSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
