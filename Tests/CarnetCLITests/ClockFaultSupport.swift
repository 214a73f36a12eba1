import CarnetTestKit
import Foundation
import Glibc
import Testing

/// How every process of one node sees the wall clock (see `ClockFaultTests` for why it
/// goes through the `faketime` wrapper and never through `LD_PRELOAD` directly).
enum FakeClock: CustomStringConvertible {
    case real
    /// A fixed libfaketime offset such as "-1h" or "+3y" (a year is 365 days).
    case offset(String)
    /// An offset read from this file at every clock call (`FAKETIME_TIMESTAMP_FILE` with
    /// `FAKETIME_NO_CACHE=1`): rewriting the file moves the clock of running processes too.
    case file(String)

    var description: String {
        switch self {
        case .real: "real"
        case let .offset(spec): spec
        case let .file(path): "file \((try? String(contentsOfFile: path, encoding: .utf8).trimmedLine) ?? "?")"
        }
    }

    /// The offset from real time this clock applies now, in milliseconds.
    func offsetMillis() throws -> Int64 {
        switch self {
        case .real: return 0
        case let .offset(spec): return try Self.millis(spec)
        case let .file(path): return try Self.millis(String(contentsOfFile: path, encoding: .utf8).trimmedLine)
        }
    }

    /// libfaketime's relative form: a sign, a number, and s, m, h, d or y (365 days).
    static func millis(_ spec: String) throws -> Int64 {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400, "y": 365 * 86_400]
        let unit = spec.last.flatMap { units[$0] }
        guard let amount = Int64(unit == nil ? spec : String(spec.dropLast())) else { throw ClockFaultFailure("not an offset: \(spec)") }
        return amount * (unit ?? 1) * 1000
    }

    /// A process that runs `carnet arguments` under this clock. Faked clocks go through
    /// the `faketime` wrapper, with the monotonic clock left alone.
    func process(carnet: URL, arguments: [String], home: String) throws -> Process {
        let process = Process()
        var environment = ["NO_COLOR": "1", "HOME": home, "PATH": "/usr/bin:/bin", "TZ": "UTC"]
        switch self {
        case .real:
            process.executableURL = carnet
            process.arguments = arguments
        case let .offset(spec):
            process.executableURL = try Faketime.wrapperURL()
            process.arguments = ["-m", "-f", spec, carnet.path] + arguments
        case let .file(path):
            // The wrapper always sets FAKETIME, which would win over the file: `env` drops
            // it before starting carnet (same process, so its pid is the wrapper's child).
            process.executableURL = try Faketime.wrapperURL()
            process.arguments = ["-m", "-f", "+0", "/usr/bin/env", "-u", "FAKETIME", carnet.path] + arguments
            environment["FAKETIME_TIMESTAMP_FILE"] = path
            environment["FAKETIME_NO_CACHE"] = "1"
        }
        if case .real = self {} else {
            // Without it the monotonic clock moves with the fake wall clock (+3y included).
            environment["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"
        }
        process.environment = environment
        return process
    }
}

/// Where `faketime` is, and whether its absence fails the run (CI) or skips it.
enum Faketime {
    static let wrapper = ["/usr/bin/faketime", "/usr/local/bin/faketime"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let required = ProcessInfo.processInfo.environment["CARNET_REQUIRE_FAKETIME"] == "1"
    /// Run the tests when faketime is there, or when it must be (then they fail saying so).
    static let shouldRun = wrapper != nil || required

    static func wrapperURL() throws -> URL {
        guard let wrapper else {
            throw ClockFaultFailure("faketime is not installed; install it with `apt-get install -y faketime` (CARNET_REQUIRE_FAKETIME=1 makes this a failure)")
        }
        return URL(fileURLWithPath: wrapper)
    }
}

struct ClockFaultFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// One node directory whose every `carnet` process runs under the node's clock.
final class ClockNode {
    let label: String
    let directory: String
    let clock: FakeClock
    private let home: String
    private var server: Process?
    private let serverErrors = Pipe()
    private(set) var port = 0

    init(label: String, root: String, clock: FakeClock) {
        self.label = label
        directory = root + "/" + label
        self.clock = clock
        home = root
    }

    func run(_ arguments: [String]) throws -> CommandLineTests.Run {
        let process = try clock.process(carnet: CommandLineTests.executable(), arguments: ["--dir", directory] + arguments, home: home)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandLineTests.Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                                    stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Runs carnet and requires exit 0; returns stdout.
    @discardableResult
    func ok(_ arguments: [String]) throws -> String {
        let run = try run(arguments)
        guard run.status == 0 else {
            throw ClockFaultFailure("\(label) [\(clock)]: carnet \(arguments.joined(separator: " ")) → \(run.status): \(run.stderr)\(run.stdout.prefix(300))")
        }
        return run.stdout
    }

    func json(_ arguments: [String]) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(ok(arguments + ["--json"]).utf8))
    }

    func status() throws -> [String: Any] {
        try json(["status"]) as? [String: Any] ?? [:]
    }

    /// Starts `carnet serve` on a free loopback port, under the node's clock.
    func serve() throws {
        let process = try clock.process(carnet: CommandLineTests.executable(),
                                        arguments: ["--dir", directory, "serve", "--listen", "127.0.0.1:0", "--interval", "3600"], home: home)
        let out = Pipe()
        process.standardOutput = out
        process.standardError = serverErrors
        try process.run()
        server = process
        var buffer = Data()
        while !buffer.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
        }
        let line = String(decoding: buffer, as: UTF8.self)
        guard let colon = line.lastIndex(of: ":"), let port = Int(line[line.index(after: colon)...].prefix { $0.isNumber }) else {
            throw ClockFaultFailure("serve on \(label) did not say where it listens: \(line)")
        }
        self.port = port
    }

    /// SIGTERM to `carnet serve` itself: the `faketime` wrapper does not pass signals on,
    /// so under a faked clock the signal goes to the wrapper's child. Returns the exit
    /// status and the serve log.
    func stopServing() -> (status: Int32, log: String) {
        guard let server else { return (-1, "") }
        self.server = nil
        let wrapper = server.processIdentifier
        let children = (try? String(contentsOfFile: "/proc/\(wrapper)/task/\(wrapper)/children", encoding: .utf8)) ?? ""
        var target = wrapper
        if case .real = clock {} else if let child = children.split(separator: " ").first.flatMap({ Int32($0) }) { target = child }
        kill(target, SIGTERM)
        server.waitUntilExit()
        return (server.terminationStatus, String(decoding: serverErrors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }
}

/// One event as `carnet log --json` and `log --changes --json` show it.
struct StampedEvent {
    var node: String
    var seq: Int
    var physical: UInt64
    var logical: Int
    /// What it wrote: `<kind> <lot>` for an entry, `<subject>=<value>` for a field.
    var what: String

    /// Reads `{node, event: "<node>:<seq>#<hash>", clock: "… hh:mm:ss[+logical]", clockMillis}`.
    init?(_ object: [String: Any], what: String) {
        guard let node = object["node"] as? String, let event = object["event"] as? String,
              let clock = object["clock"] as? String, let physical = object["clockMillis"] as? Int,
              let colon = event.firstIndex(of: ":"), let hash = event.firstIndex(of: "#"),
              let seq = Int(event[event.index(after: colon)..<hash]) else { return nil }
        let parts = clock.split(separator: "+")
        self.node = node
        self.seq = seq
        self.physical = UInt64(physical)
        logical = parts.count == 2 ? Int(parts[1]) ?? -1 : 0
        self.what = what
    }

    var stamp: String { "\(physical).\(logical)" }
}

/// What a scenario run left behind, read once every node has synced.
struct ClockRunOutcome {
    var nodes: [ClockNode]
    var status: [String: [String: Any]] = [:]
    var conflictsJSON: [String: String] = [:]
    /// Every event, as the hub lists them.
    var events: [StampedEvent] = []
    /// Per label: the lot of its write after the syncs, and the window in which it was made
    /// (test process's wall clock, milliseconds) shifted by that node's clock offset.
    var afterSync: [String: (lot: String, expected: ClosedRange<UInt64>)] = [:]
    /// Per sync: who, measured wall time here (ms), and the elapsedMillis carnet reported.
    var syncs: [(label: String, wallMillis: Int, reportedMillis: Int)] = []
    var serveStatus: Int32 = -1
    var serveLog = ""

    var labels: [String] { nodes.map(\.label) }

    /// node id (hex) → label, from each node's status.
    var names: [String: String] {
        Dictionary(uniqueKeysWithValues: labels.compactMap { label in (status[label]?["node"] as? String).map { ($0, label) } })
    }
}

/// A hub and two farms, each node's processes under its own clock, doing what a week of
/// farm work does: a catalog from the hub, concurrent offline edits of the same fields on
/// every node, two sales that together overdraw one lot, syncs through the hub's
/// `serve`, and one more write per node after it has seen everybody's timestamps.
struct ClockScenario {
    var hub: FakeClock
    var farmA: FakeClock
    var farmB: FakeClock
    var seed: UInt64
    /// Runs before phase 1 (catalog), 2 (concurrent edits) and 3 (writes after the syncs);
    /// the jumping-clock test rewrites its clock file here, while the hub's serve runs.
    var beforePhase: (Int) throws -> Void = { _ in }

    func run() throws -> ClockRunOutcome {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("carnet-clock-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        var random = SplitMix64(seed: seed)
        let hubPrice = 20 + Int(random.next() % 10), farmAPrice = hubPrice + 1 + Int(random.next() % 5), farmBPrice = farmAPrice + 1 + Int(random.next() % 5)
        let soldByA = 6 + Int(random.next() % 4), soldByB = 11 - soldByA + Int(random.next() % 3)  // together > the 10 kg harvested
        let names = ["Cantine Jaurès", "Cantine du Col", "Cantine des Prés", "Cantine Centrale"]
        let nameA = names[Int(random.next() % 2)], nameB = names[2 + Int(random.next() % 2)]

        let hub = ClockNode(label: "hub", root: root, clock: self.hub)
        let farmA = ClockNode(label: "farm-a", root: root, clock: self.farmA)
        let farmB = ClockNode(label: "farm-b", root: root, clock: self.farmB)
        var outcome = ClockRunOutcome(nodes: [hub, farmA, farmB])
        let secret = root + "/ledger.key"
        guard try CommandLineTests.carnet(["secret", "new", "--out", secret]).status == 0 else { throw ClockFaultFailure("secret new failed") }

        try beforePhase(1)
        for node in outcome.nodes { try node.ok(["init", "--ledger", "plateau", "--label", node.label, "--secret-file", secret]) }
        try hub.ok(["party", "set", "farm-a", "--name", "Ferme A", "--kind", "farm"])
        try hub.ok(["party", "set", "farm-b", "--name", "Ferme B", "--kind", "farm"])
        try hub.ok(["party", "set", "cantine", "--name", "Cantine", "--kind", "canteen"])
        try hub.ok(["product", "set", "tomme", "--name", "Tomme", "--unit", "kg", "--price", "\(hubPrice - 1)"])
        try hub.ok(["record", "harvest", "--producer", "farm-a", "--product", "tomme", "--qty", "10kg", "--lot", "L-shared", "--date", "2026-06-01"])
        try hub.serve()
        defer { _ = hub.stopServing() }  // on a failure; after a success it was stopped below
        func sync(_ farm: ClockNode) throws {
            let started = ContinuousClock.now
            let report = try farm.json(["sync", "127.0.0.1:\(hub.port)"]) as? [String: Any] ?? [:]
            let wall = ContinuousClock.now - started
            outcome.syncs.append((farm.label, Int(wall / .milliseconds(1)), report["elapsedMillis"] as? Int ?? -1))
        }
        for farm in [farmA, farmB] { try sync(farm) }

        // Offline, before any sync: the same two fields edited on every node, and two
        // sales from one lot.
        try beforePhase(2)
        try hub.ok(["product", "set", "tomme", "--price", "\(hubPrice)"])
        for (farm, price, name, sold) in [(farmA, farmAPrice, nameA, soldByA), (farmB, farmBPrice, nameB, soldByB)] {
            try farm.ok(["product", "set", "tomme", "--price", "\(price)"])
            try farm.ok(["party", "set", "cantine", "--name", name])
            try farm.ok(["record", "sale", "--producer", "farm-a", "--product", "tomme", "--qty", "\(sold)kg", "--lot", "L-shared",
                         "--to", "cantine", "--price", "20", "--date", "2026-06-02"])
        }
        for farm in [farmA, farmB, farmA] { try sync(farm) }

        // Every node has now held every other node's timestamps: one more write each.
        try beforePhase(3)
        for node in outcome.nodes {
            let lot = "L-\(node.label)-after", offset = try node.clock.offsetMillis()
            let before = Self.wallMillis()
            try node.ok(["record", "harvest", "--producer", node === farmB ? "farm-b" : "farm-a", "--product", "tomme",
                         "--qty", "1kg", "--lot", lot, "--date", "2026-06-03"])
            let after = Self.wallMillis()
            outcome.afterSync[node.label] = (lot, UInt64(before + offset)...UInt64(after + offset))
        }
        for farm in [farmA, farmB, farmA] { try sync(farm) }
        (outcome.serveStatus, outcome.serveLog) = hub.stopServing()

        for node in outcome.nodes {
            outcome.status[node.label] = try node.status()
            outcome.conflictsJSON[node.label] = try node.ok(["conflicts", "--json"])
        }
        let entries = try hub.json(["log"]) as? [[String: Any]] ?? []
        let changes = try hub.json(["log", "--changes"]) as? [[String: Any]] ?? []
        outcome.events = entries.compactMap { StampedEvent($0, what: "\($0["kind"] ?? "?") \($0["lot"] as? String ?? "")") }
            + changes.compactMap { StampedEvent($0, what: "\($0["subject"] ?? "?")=\($0["value"] ?? "?")") }
        return outcome
    }

    static func wallMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}

/// Conflicts in a form that does not depend on node ids, clocks or listing order: kind,
/// subject, summary, and every side as `label: detail`, with node ids replaced by labels.
/// Two runs of the same writes must give the same lines whatever the clocks said.
func canonicalConflicts(_ json: String, names: [String: String]) throws -> [String] {
    let reports = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]] ?? []
    return reports.map { report in
        let sides = ((report["values"] ?? report["events"]) as? [[String: Any]] ?? []).map { side in
            "\(side["label"] as? String ?? "?"): \(side["detail"] as? String ?? "?")"
        }
        var line = "\(report["kind"] ?? "?") \(report["subject"] ?? "?") \(report["summary"] ?? "?") | " + sides.sorted().joined(separator: " ; ")
        for (node, label) in names {
            line = line.replacingOccurrences(of: node, with: label).replacingOccurrences(of: String(node.prefix(8)), with: label)
        }
        return line
    }.sorted()
}

/// `conflicts --json` without the readers' "clock?" marks (`clockAhead`), which judge the
/// reading node's clock (protocol/SPEC.md 8.2.10): nodes whose clocks differ mark
/// differently, while the conflicts themselves must be the same everywhere.
func withoutClockMarks(_ json: String) -> String {
    json.replacingOccurrences(of: #""clockAhead"\s*:\s*(true|false)\s*,?"#, with: "", options: .regularExpression)
}
