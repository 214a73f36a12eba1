import CarnetCore
import CarnetTestKit
import Foundation
import Testing

/// Issue 18 item 5: a 100 KB bundle of 512 events whose 64 fields all name one 64 KiB
/// string took 14 s to apply, then made every `log` and `verify` slow on every node it
/// spread to. `bundle apply` now refuses it at once, with a reason, and stores nothing.
struct HostileBundleTests {
    /// A bundle file around `batch` (layout in Sources/CarnetWire/BundleFormat.swift),
    /// made by hand: the real encoder would take minutes on these events in debug.
    static func bundle(ledger: String, batch: [UInt8], events: Int) -> [UInt8] {
        var writer = ByteWriter()
        writer.raw(Array("CARNETBN".utf8) + [0, 1, 0, 0, 0, 0, 0, 0])
        writer.string(ledger)
        writer.nodeID(HostileBatch.node)
        writer.string("mallory")
        writer.uint64BigEndian(1_780_000_000_000)
        writer.byte(0)                           // made for no one in particular
        writer.varint(1)                         // one chunk
        writer.varint(UInt64(events))
        writer.varint(UInt64(batch.count))
        writer.raw(batch)
        return writer.bytes + SHA256.hash(writer.bytes).bytes
    }

    @Test func aBlowUpBundleIsRefusedAtOnceAndNothingIsStored() throws {
        let box = try Sandbox()
        try box.initNode("a", label: "hub")
        try box.seedLedger("a")
        let before = try #require(try box.json(["status"]) as? [String: Any])
        let file = box.path("hostile.bundle")
        let bytes = Self.bundle(ledger: "coop", batch: HostileBatch.blowUp(count: 512), events: 512)
        #expect(bytes.count < 110_000)
        try Data(bytes).write(to: URL(fileURLWithPath: file))

        let started = ContinuousClock.now
        let run = try box.run(["bundle", "apply", file])
        let elapsed = ContinuousClock.now - started
        #expect(run.status == 65, "\(run.status): \(run.stderr)")
        #expect(run.stderr.contains("hostile.bundle is refused"), "\(run.stderr)")
        #expect(run.stderr.contains("65536 bytes in canonical form"), "\(run.stderr)")
        #expect(run.stderr.contains("nothing was applied"), "\(run.stderr)")
        #expect(elapsed < .seconds(5), "refused in \(elapsed)")

        let after = try #require(try box.json(["status"]) as? [String: Any])
        #expect(after["events"] as? Int == before["events"] as? Int)
        #expect(after["digest"] as? String == before["digest"] as? String)
        #expect(try box.run(["verify"]).status == 0)
    }

    @Test func aNoteAboveTheEventLimitIsRefusedWithAReason() throws {
        let box = try Sandbox()
        try box.initNode("a", label: "col")
        try box.seedLedger("a")
        let before = try #require(try box.json(["status"]) as? [String: Any])
        let run = try box.run(["record", "harvest", "--producer", "col", "--product", "tomme", "--qty", "1kg",
                               "--lot", "L2", "--date", "2026-06-02", "--note", String(repeating: "n", count: 70_000)])
        #expect(run.status == 65, "\(run.status): \(run.stderr)")
        #expect(run.stderr.contains("above the limit of 65536 bytes"), "\(run.stderr)")
        #expect(run.stderr.contains("shorten its text"), "\(run.stderr)")
        let after = try #require(try box.json(["status"]) as? [String: Any])
        #expect(after["events"] as? Int == before["events"] as? Int)
        // A long note within the limit is fine.
        try box.ok(["record", "harvest", "--producer", "col", "--product", "tomme", "--qty", "1kg",
                    "--lot", "L2", "--date", "2026-06-02", "--note", String(repeating: "n", count: 20_000)])
    }
}
