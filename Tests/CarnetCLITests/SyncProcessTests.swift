import CarnetCore
import Foundation
import Glibc
import Testing

/// Real `carnet` processes on 127.0.0.1: `serve` on every node, concurrent writes by
/// `record`, `sync` in seeded random pairings; all end with one digest. And a stranger
/// with another secret is refused on both sides with nothing exchanged.
@Suite(.serialized)
struct SyncProcessTests {
    /// A node directory with its own running `carnet serve`.
    /// `@unchecked Sendable`: `port` is set once before any other thread reads it; the
    /// rest is immutable or used from the test's thread.
    final class ServedNode: @unchecked Sendable {
        let directory: String
        let label: String
        let process = Process()
        var port = 0
        let errors = Pipe()

        init(root: String, label: String, secretFile: String) throws {
            directory = root + "/" + label
            self.label = label
            let run = try CommandLineTests.carnet(["--dir", directory, "init", "--ledger", "plateau", "--label", label, "--secret-file", secretFile])
            guard run.status == 0 else { throw TestFailure("init \(label): \(run.stderr)") }
        }

        /// Starts `serve`; `faults` is its `CARNET_FAULTS` (a failing disk, test equipment).
        func start(faults: String? = nil) throws {
            process.executableURL = try CommandLineTests.executable()
            process.arguments = ["--dir", directory, "serve", "--listen", "127.0.0.1:0", "--interval", "3600"]
            if let faults {
                process.environment = ProcessInfo.processInfo.environment.merging(["CARNET_FAULTS": faults]) { $1 }
            }
            let out = Pipe()
            process.standardOutput = out
            process.standardError = errors
            try process.run()
            var buffer = Data()
            while !buffer.contains(UInt8(ascii: "\n")) {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
            }
            let line = String(decoding: buffer, as: UTF8.self)
            guard let colon = line.lastIndex(of: ":"), let port = Int(line[line.index(after: colon)...].prefix { $0.isNumber }) else {
                throw TestFailure("serve did not say where it listens: \(line)")
            }
            self.port = port
        }

        /// SIGTERM; returns the exit status and what serve logged.
        func stop() -> (Int32, String) {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
            let log = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            return (process.terminationStatus, log)
        }

        func carnet(_ arguments: [String]) throws -> CommandLineTests.Run {
            try CommandLineTests.carnet(["--dir", directory] + arguments)
        }

        func digest() throws -> String {
            let status = try carnet(["status", "--json"])
            let object = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
            return object?["digest"] as? String ?? "?"
        }
    }

    struct TestFailure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    @Test func aHubAndThreeFarmsWritingConcurrentlyConvergeThroughRandomPairings() throws {
        let seed = UInt64(ProcessInfo.processInfo.environment["CARNET_SEED"] ?? "") ?? 4_242
        var random = SplitMix64(seed: seed)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("carnet-procs-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let secret = root + "/ledger.key"
        #expect(try CommandLineTests.carnet(["secret", "new", "--out", secret]).status == 0)
        let nodes = try ["hub", "farm-a", "farm-b", "farm-c"].map { try ServedNode(root: root, label: $0, secretFile: secret) }
        for node in nodes { try node.start() }
        var stopped = false
        defer { if !stopped { nodes.forEach { _ = $0.stop() } } }
        // The hub's catalog reaches the farms first.
        let hub = nodes[0]
        for (id, name) in [("farm-a", "Ferme A"), ("farm-b", "Ferme B"), ("farm-c", "Ferme C")] {
            #expect(try hub.carnet(["party", "set", id, "--name", name, "--kind", "farm"]).status == 0)
        }
        #expect(try hub.carnet(["product", "set", "tomme", "--name", "Tomme", "--unit", "g", "--price", "24"]).status == 0)
        for farm in nodes.dropFirst() {
            let run = try farm.carnet(["sync", "127.0.0.1:\(hub.port)"])
            #expect(run.status == 0, "\(run.stderr)")
        }
        // Every farm records at once (while its own serve runs), and random pairs sync
        // meanwhile.
        let group = DispatchGroup()
        for farm in nodes.dropFirst() {
            group.enter()
            Thread {
                for index in 0..<6 {
                    _ = try? farm.carnet(["record", "harvest", "--producer", farm.label, "--product", "tomme",
                                          "--qty", "\(index + 1)kg", "--lot", "\(farm.label)-L\(index)", "--date", "2026-06-0\(index % 9 + 1)"])
                }
                group.leave()
            }.start()
        }
        for _ in 0..<8 {
            let from = nodes[Int(random.next() % 4)], to = nodes[Int(random.next() % 4)]
            guard from !== to else { continue }
            let run = try from.carnet(["sync", "127.0.0.1:\(to.port)"])
            #expect(run.status == 0, "seed \(seed): \(from.label) → \(to.label): \(run.stderr)")
        }
        group.wait()
        // Two rounds through the hub bring everyone everything.
        for _ in 0..<2 {
            for farm in nodes.dropFirst() {
                let run = try farm.carnet(["sync", "127.0.0.1:\(hub.port)"])
                #expect(run.status == 0, "seed \(seed): \(run.stderr)")
            }
        }
        let digests = try nodes.map { try $0.digest() }
        #expect(Set(digests).count == 1, "seed \(seed): \(digests)")
        // status --json names each peer, its last sync, and what it lacks (nothing now).
        let farmStatus = try JSONSerialization.jsonObject(with: Data(try nodes[1].carnet(["status", "--json"]).stdout.utf8)) as? [String: Any]
        let peers = farmStatus?["peers"] as? [[String: Any]] ?? []
        let hubPeer = peers.first { $0["address"] as? String == "127.0.0.1:\(hub.port)" }
        #expect(hubPeer?["lastSync"] is String, "\(peers)")
        #expect(hubPeer?["label"] as? String == "hub" && hubPeer?["lacks"] as? Int == 0, "\(String(describing: hubPeer))")
        let events = try JSONSerialization.jsonObject(with: Data(try hub.carnet(["status", "--json"]).stdout.utf8)) as? [String: Any]
        #expect((events?["events"] as? Int ?? 0) >= 4 + 18, "seed \(seed)")
        stopped = true
        for node in nodes {
            let (status, log) = node.stop()
            #expect(status == 0, "\(node.label) serve exited \(status): \(log)")
        }
    }

    @Test func garbageOversizedAndTruncatedInputLeaveARealServerServing() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("carnet-procs-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let secret = root + "/ledger.key"
        #expect(try CommandLineTests.carnet(["secret", "new", "--out", secret]).status == 0)
        let hub = try ServedNode(root: root, label: "hub", secretFile: secret)
        let farm = try ServedNode(root: root, label: "farm", secretFile: secret)
        #expect(try farm.carnet(["product", "set", "miel", "--name", "Miel", "--unit", "g"]).status == 0)
        try hub.start()
        // Raw sockets: an HTTP request, a message 1 announcing 2 GiB, half a version-1 HELLO.
        let hello: [UInt8] = [0, 0, 0, 0x3A, 1] + Array("CARNET".utf8) + [0, 1, 1] + [UInt8](repeating: 7, count: 48)
        for bytes in [Array("GET / HTTP/1.1\r\n\r\n".utf8), [0x7F, 0xFF, 0xFF, 0xFF, 0x10], Array(hello.prefix(17))] {
            let socket = try RawSocket(port: hub.port)
            socket.send(bytes)
            socket.close()
        }
        let run = try farm.carnet(["sync", "127.0.0.1:\(hub.port)", "--json"])
        let (status, log) = hub.stop()
        #expect(run.status == 0, "the server kept serving: \(run.stderr)")
        #expect(status == 0)
        // A one-shot sync does not ask for grants, which would cost its delta a round trip
        // (SPEC 8.3 rule 8); `serve`'s live sessions speak them (LiveFiguresTests).
        let report = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        #expect(report?["grants"] as? Bool == false, "\(run.stdout)")
        #expect(report?["roundTrips"] as? Int == 2, "\(run.stdout)")
        #expect(log.contains("not-carnet") || log.contains("Carnet protocol"), "\(log)")
        #expect(log.contains("frame-too-large") || log.contains("above the limit"), "\(log)")
    }

    @Test func aStrangerWithAnotherSecretIsRefusedOnBothSides() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("carnet-procs-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        for name in ["ledger.key", "other.key"] {
            #expect(try CommandLineTests.carnet(["secret", "new", "--out", root + "/" + name]).status == 0)
        }
        let hub = try ServedNode(root: root, label: "hub", secretFile: root + "/ledger.key")
        let stranger = try ServedNode(root: root, label: "stranger", secretFile: root + "/other.key")
        #expect(try stranger.carnet(["product", "set", "secret-recipe", "--name", "Secret", "--unit", "g"]).status == 0)
        func hubEvents() throws -> Int? {
            let object = try JSONSerialization.jsonObject(with: Data(try hub.carnet(["status", "--json"]).stdout.utf8)) as? [String: Any]
            return object?["events"] as? Int
        }
        let before = try hubEvents()
        try hub.start()
        let run = try stranger.carnet(["sync", "127.0.0.1:\(hub.port)"])
        let (status, log) = hub.stop()
        #expect(run.status != 0)
        #expect(run.stderr.contains("secret"), "\(run.stderr)")
        #expect(log.contains("secret"), "the hub's log says why: \(log)")
        #expect(status == 0)
        #expect(try hubEvents() == before, "nothing was exchanged")
    }
}

extension CommandLineTests {
    /// The built `carnet`, for tests that run it as a long-lived process (`serve`).
    static func executable() throws -> URL {
        let folder = Bundle.main.bundleURL.deletingLastPathComponent()
        let candidates = [folder.appendingPathComponent("carnet"), Bundle.main.bundleURL.appendingPathComponent("carnet")]
        return try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) })
    }
}

/// A plain TCP client for sending bytes no Carnet node would send.
struct RawSocket {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw SyncProcessTests.TestFailure("connect failed: errno \(errno)") }
    }

    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        // Give the server a moment to answer and close before the next probe.
        var buffer = [UInt8](repeating: 0, count: 512)
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        while recv(fd, &buffer, buffer.count, 0) > 0 {}
    }

    func close() { _ = Glibc.close(fd) }
}

/// Issue 5's scripted scenario, through a hub's `carnet serve`: two devices edit the same
/// price offline and both sell the last kilos of one lot; after syncing through the hub
/// every node lists the same conflicts with the same ids; after `resolve` (and an adjust)
/// and a sync, none remains, and `log --changes` shows who resolved the price.
@Suite(.serialized)
struct ConflictScenarioTests {
    @Test func conflictsSeenAlikeEverywhereThenResolvedEverywhere() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("carnet-scenario-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let secret = root + "/ledger.key"
        #expect(try CommandLineTests.carnet(["secret", "new", "--out", secret]).status == 0)
        let hub = try SyncProcessTests.ServedNode(root: root, label: "hub", secretFile: secret)
        let laptop = try SyncProcessTests.ServedNode(root: root, label: "col-laptop", secretFile: secret)
        let phone = try SyncProcessTests.ServedNode(root: root, label: "col-phone", secretFile: secret)
        try hub.start()
        var stopped = false
        defer { if !stopped { _ = hub.stop() } }
        func ok(_ node: SyncProcessTests.ServedNode, _ arguments: [String]) throws -> String {
            let run = try node.carnet(arguments)
            #expect(run.status == 0, "\(node.label) \(arguments): \(run.stderr)")
            return run.stdout
        }
        func conflicts(_ node: SyncProcessTests.ServedNode) throws -> [[String: Any]] {
            try JSONSerialization.jsonObject(with: Data(try ok(node, ["conflicts", "--json"]).utf8)) as? [[String: Any]] ?? []
        }
        func syncAll() throws {
            for _ in 0..<2 { for device in [laptop, phone] { _ = try ok(device, ["sync", "127.0.0.1:\(hub.port)"]) } }
        }
        _ = try ok(hub, ["party", "set", "col", "--name", "Ferme du Col", "--kind", "farm"])
        _ = try ok(hub, ["party", "set", "cantine", "--name", "Cantine Jaurès", "--kind", "canteen"])
        _ = try ok(hub, ["product", "set", "tomme", "--name", "Tomme", "--unit", "kg", "--price", "24"])
        _ = try ok(laptop, ["sync", "127.0.0.1:\(hub.port)"])
        _ = try ok(laptop, ["record", "harvest", "--producer", "col", "--product", "tomme", "--qty", "10kg", "--lot", "L1"])
        try syncAll()
        // Offline: both change the price, both sell the last kilos of L1.
        _ = try ok(laptop, ["product", "set", "tomme", "--price", "26"])
        _ = try ok(phone, ["product", "set", "tomme", "--price", "23,50"])
        _ = try ok(laptop, ["record", "sale", "--producer", "col", "--product", "tomme", "--qty", "7kg", "--lot", "L1", "--to", "cantine", "--amount", "182"])
        _ = try ok(phone, ["record", "sale", "--producer", "col", "--product", "tomme", "--qty", "6kg", "--lot", "L1", "--to", "cantine", "--amount", "141"])
        try syncAll()
        let lists = try [hub, laptop, phone].map { try conflicts($0).compactMap { $0["id"] as? String }.sorted() }
        #expect(lists[0].count == 2, "a price conflict and a lot below zero: \(lists[0])")
        #expect(Set(lists).count == 1, "every node lists the same conflict ids: \(lists)")
        let price = try #require(try conflicts(phone).first { $0["kind"] as? String == "field" }?["id"] as? String)
        _ = try ok(phone, ["resolve", price, "--value", "25"])
        _ = try ok(laptop, ["record", "adjust", "--producer", "col", "--product", "tomme", "--qty", "3kg", "--lot", "L1",
                            "--reason", "found in the cold room"])
        try syncAll()
        for node in [hub, laptop, phone] {
            #expect(try conflicts(node).isEmpty, "\(node.label) still lists conflicts")
        }
        let changes = try JSONSerialization.jsonObject(with: Data(try ok(hub, ["log", "--changes", "--json"]).utf8)) as? [[String: Any]] ?? []
        let resolution = changes.first { $0["subject"] as? String == "product/tomme.price" }
        #expect(resolution?["label"] as? String == "col-phone", "\(String(describing: resolution))")
        #expect(resolution?["supersedes"] as? Int == 2)
        stopped = true
        #expect(hub.stop().0 == 0)
    }
}

/// A store whose lock another process holds (stuck mid-write): a command says so and exits
/// instead of hanging, and writes nothing.
struct LockedStoreTests {
    @Test func aStoreLockedByAnotherWriterIsAClearError() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("carnet-locked-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try CommandLineTests.carnet(["secret", "new", "--out", root + "/k"]).status == 0)
        #expect(try CommandLineTests.carnet(["--dir", root + "/n", "init", "--ledger", "l", "--label", "n", "--secret-file", root + "/k"]).status == 0)
        // This test process plays the stuck writer: it holds the log's lock.
        let fd = open(root + "/n/events.log", O_RDWR)
        defer { close(fd) }
        #expect(flock(fd, LOCK_EX) == 0)
        var environment = ProcessInfo.processInfo.environment
        environment["CARNET_LOCK_TIMEOUT_MS"] = "300"
        let run = try CommandLineTests.carnet(["--dir", root + "/n", "party", "set", "col", "--name", "Col", "--kind", "farm"],
                                              environment: environment)
        #expect(run.status == 69, "\(run.stderr)")
        #expect(run.stderr.contains("held the lock"), "\(run.stderr)")
        flock(fd, LOCK_UN)
        let after = try CommandLineTests.carnet(["--dir", root + "/n", "party", "list", "--json"])
        #expect(after.status == 0 && !after.stdout.contains("\"col\""), "nothing was written")
    }
}
