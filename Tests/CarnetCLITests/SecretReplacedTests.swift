import Foundation
import Glibc
import Testing

/// Issue 18 item 3: rotating the secret on a running hub ends the live session of a farm
/// still on the old one (its later entries never reach the hub), and once the farm has
/// installed the new secret its own `serve` syncs again.
@Suite(.serialized)
struct SecretReplacedTests {
    typealias Node = SyncProcessTests.ServedNode

    /// Waits up to `seconds` for `condition`; true when it held.
    static func eventually(_ seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.2)
        } while Date() < deadline
        return false
    }

    @Test func rotatingTheSecretEndsTheLiveSessionsOnTheOldOne() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("carnet-replaced-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let secret = root + "/ledger.key", rotated = root + "/ledger-new.key"
        #expect(try CommandLineTests.carnet(["secret", "new", "--out", secret]).status == 0)
        let hub = try Node(root: root, label: "hub", secretFile: secret)
        let farm = try Node(root: root, label: "farm", secretFile: secret)
        try hub.start()
        var stopped = false
        defer { if !stopped { _ = hub.stop() } }
        let farmServe = try ServeProcess(directory: farm.directory, extra: ["--peer", "127.0.0.1:\(hub.port)"])

        // The live session carries a new entry within a few seconds.
        #expect(try farm.carnet(["product", "set", "miel", "--name", "Miel", "--unit", "g"]).status == 0)
        #expect(try Self.eventually(10) { try hub.digest() == farm.digest() }, "the live session synced")

        #expect(try hub.carnet(["secret", "rotate", "--out", rotated]).status == 0)
        let closed = try Self.eventually(5) {
            (try ServerCountersTests.server(hub)?["sessions"] as? [String: Any])?["open"] as? Int == 0
        }
        #expect(closed, "the hub ended the session made with the old secret")
        let hubAfterRotation = try hub.digest()
        #expect(try farm.carnet(["product", "set", "tomme", "--name", "Tomme", "--unit", "g"]).status == 0)
        Thread.sleep(forTimeInterval: 3)
        #expect(try hub.digest() == hubAfterRotation, "an entry the farm wrote after the rotation reached the hub")

        #expect(try farm.carnet(["secret", "install", rotated]).status == 0)
        #expect(try Self.eventually(30) { try hub.digest() == farm.digest() }, "the farm syncs again on the new secret")

        kill(farmServe.pid, SIGTERM)
        let farmLog = farmServe.waitForExit(seconds: 10)?.stderr ?? ""
        #expect(farmLog.contains("the ledger secret was replaced"), "the farm's log says why: \(farmLog)")
        stopped = true
        let (status, hubLog) = hub.stop()
        #expect(status == 0)
        #expect(hubLog.contains("closed: the ledger secret was replaced"), "the hub's log says why: \(hubLog)")
    }
}
