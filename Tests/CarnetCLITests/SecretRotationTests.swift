import Foundation
import Testing

/// `carnet secret rotate` and `install` with real processes: after the hub rotates the
/// secret (while serving), a farm that installed the new one syncs, and a farm still on the
/// old one is refused, told how to rejoin, and syncs once it has installed it.
@Suite(.serialized)
struct SecretRotationTests {
    typealias Node = SyncProcessTests.ServedNode

    @Test func aNodeOnTheRetiredSecretIsRefusedWithTheWayBack() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("carnet-rotate-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let secret = root + "/ledger.key", rotated = root + "/ledger-new.key"
        #expect(try CommandLineTests.carnet(["secret", "new", "--out", secret]).status == 0)
        let hub = try Node(root: root, label: "hub", secretFile: secret)
        let current = try Node(root: root, label: "current", secretFile: secret)
        let behind = try Node(root: root, label: "behind", secretFile: secret)
        #expect(try behind.carnet(["product", "set", "miel", "--name", "Miel", "--unit", "g"]).status == 0)
        try hub.start()

        let rotation = try hub.carnet(["secret", "rotate", "--out", rotated])
        #expect(rotation.status == 0, "\(rotation.stderr)")
        #expect(rotation.stdout.contains("carnet secret install"))
        let mode = try FileManager.default.attributesOfItem(atPath: rotated)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try hub.carnet(["secret", "rotate", "--out", rotated]).status != 0, "an existing file is never overwritten")

        let install = try current.carnet(["secret", "install", rotated])
        #expect(install.status == 0 && install.stdout.contains("installed"), "\(install.stderr)")
        #expect(try current.carnet(["secret", "install", rotated]).stdout.contains("nothing changed"))
        #expect(try current.carnet(["sync", "127.0.0.1:\(hub.port)"]).status == 0, "the running hub took the new secret")

        let refused = try behind.carnet(["sync", "127.0.0.1:\(hub.port)"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("no longer valid") && refused.stderr.contains("carnet secret install"), "\(refused.stderr)")
        #expect(refused.stderr.contains("rotated by hub"), "\(refused.stderr)")
        let hubBefore = try hub.digest()

        #expect(try behind.carnet(["secret", "install", rotated]).status == 0)
        #expect(try behind.carnet(["sync", "127.0.0.1:\(hub.port)"]).status == 0)
        let (status, log) = hub.stop()
        #expect(status == 0)
        #expect(log.contains("old secret"), "the hub's log names the cause: \(log)")
        #expect(try hub.digest() != hubBefore, "the rejoined farm's events arrived")
        #expect(try hub.digest() == behind.digest())

        let notASecret = root + "/junk"
        try "not hex".write(toFile: notASecret, atomically: true, encoding: .utf8)
        let bad = try behind.carnet(["secret", "install", notASecret])
        #expect(bad.status != 0 && bad.stderr.contains("not a ledger secret"))
    }
}
