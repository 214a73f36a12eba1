import Foundation
import Testing

/// Issue 22: `status` reads small files, not the log, so it must say what it checked: when
/// `verify` last read every record and whether the log changed since, and the checksum of
/// the last record, which it can check on every call.
struct StatusHonestyTests {
    private func verified(_ box: borrowing Sandbox) throws -> [String: Any]? {
        let status = try #require(try box.json(["status"]) as? [String: Any])
        return status["verified"] as? [String: Any]
    }

    @Test func statusSaysWhatItChecked() throws {
        let box = try Sandbox()
        try box.initNode("a", label: "col-laptop")
        try box.seedLedger()
        #expect(try verified(box) == nil, "never verified")
        #expect(try box.ok(["status"]).contains("never, for this log"))

        try box.ok(["verify"])
        #expect(try verified(box)?["sound"] as? Bool == true)
        #expect(try verified(box)?["log"] as? String == "unchanged")

        // A byte flipped in the middle: the size and the last record are the same, so only the
        // log's modification after the check gives it away; status must not say all is well.
        let log = box.path("a/events.log")
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: log)))
        let original = bytes
        bytes[16 + 8 + 4] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: log))
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(5)], ofItemAtPath: log)
        #expect(try verified(box)?["log"] as? String == "rewritten")
        #expect(try box.ok(["status"]).contains("was written to since without growing"))
        #expect(try box.run(["verify"]).status != 0, "verify finds the damage")
        #expect(try verified(box)?["sound"] as? Bool == false)
        #expect(try box.ok(["status"]).contains("damage found"))

        // The last record's checksum is checked on every call.
        bytes = original
        bytes[bytes.count - 2] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: log))
        let status = try box.run(["status", "--json"])
        #expect(status.stderr.contains("the log's last record fails its checksum"), "\(status.stderr)")
        #expect((try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])?["lastRecordSound"] as? Bool == false)

        // Sound again, verified, then one more entry: the new bytes are said unverified.
        try Data(original).write(to: URL(fileURLWithPath: log))
        try box.ok(["verify"])
        try box.ok(["record", "harvest", "--actor", "col", "--product", "tomme", "--qty", "1kg", "--lot", "L9"])
        #expect(try verified(box)?["log"] as? String == "grown")
        #expect(try box.ok(["status"]).contains("bytes written since, not verified"))
    }
}
