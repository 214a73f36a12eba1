import Foundation
import Glibc
import Testing

/// Issue 18 item 3: connections that never complete the handshake must not lock the farms
/// out. A real `carnet serve` holds 260 idle connections from one address (some sent half a
/// handshake frame, some nothing); a farm's `carnet sync` from that same address still
/// succeeds at once, the log sums up what was dropped in a few lines, and `status` counts it.
@Suite(.serialized)
struct ConnectionFloodTests {
    typealias Node = SyncProcessTests.ServedNode

    /// A TCP connection to loopback that only connects (and maybe sends a few bytes).
    static func idleConnection(port: Int, sending bytes: [UInt8]) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw SyncProcessTests.TestFailure("connect failed: errno \(errno)") }
        if !bytes.isEmpty { _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
        return fd
    }

    @Test func aFarmSyncsBesideTwoHundredSixtyIdleConnections() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("carnet-flood-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try CommandLineTests.carnet(["secret", "new", "--out", root + "/ledger.key"]).status == 0)
        let hub = try Node(root: root, label: "hub", secretFile: root + "/ledger.key")
        let farm = try Node(root: root, label: "farm", secretFile: root + "/ledger.key")
        #expect(try farm.carnet(["product", "set", "miel", "--name", "Miel", "--unit", "g"]).status == 0)
        try hub.start()
        var stopped = false
        defer { if !stopped { _ = hub.stop() } }

        // Half send the first bytes of a HANDSHAKE-1 frame (a length and no more), half nothing.
        var sockets: [Int32] = []
        defer { sockets.forEach { _ = close($0) } }
        for index in 0..<260 {
            sockets.append(try Self.idleConnection(port: hub.port, sending: index % 2 == 0 ? [] : [0x00, 0x00, 0x46]))
        }
        let started = Date()
        let sync = try farm.carnet(["sync", "127.0.0.1:\(hub.port)"])
        let took = Date().timeIntervalSince(started)
        print("farm sync beside 260 idle connections: status \(sync.status) in \(String(format: "%.2f", took)) s")
        #expect(sync.status == 0, "\(sync.stderr)")
        #expect(took < 5, "the sync took \(took) s")
        #expect(try hub.digest() == farm.digest())

        // Every idle connection is dropped: 228 evicted by newer ones from the same address
        // (32 at most wait per address; the farm's makes one more), the rest at the deadline.
        var unauthenticated: [String: Any]?
        let deadline = Date().addingTimeInterval(15)
        repeat {
            unauthenticated = try ServerCountersTests.server(hub)?["unauthenticated"] as? [String: Any]
            if (unauthenticated?["open"] as? Int) == 0, (unauthenticated?["timedOut"] as? Int ?? 0) > 0 { break }
            Thread.sleep(forTimeInterval: 0.2)
        } while Date() < deadline
        let evicted = unauthenticated?["evicted"] as? Int ?? 0, timedOut = unauthenticated?["timedOut"] as? Int ?? 0
        #expect(evicted >= 228 && evicted + timedOut >= 260, "\(String(describing: unauthenticated))")
        #expect(unauthenticated?["open"] as? Int == 0, "\(String(describing: unauthenticated))")

        stopped = true
        let (status, log) = hub.stop()
        #expect(status == 0)
        let lines = log.split(separator: "\n")
        let summaries = lines.filter { $0.contains("unauthenticated connections") }
        #expect(!summaries.isEmpty && summaries.count <= 4, "one summary line per interval: \(log)")
        #expect(lines.count < 20, "the log is not flooded: \(lines.count) lines")
    }

    @Test func aPendingBudgetSmallerThanOneAddressShareIsRefused() throws {
        let run = try CommandLineTests.carnet(["serve", "--max-pending", "4", "--max-pending-per-address", "8"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("--max-pending (4) must be at least --max-pending-per-address (8)"), "\(run.stderr)")
    }
}
