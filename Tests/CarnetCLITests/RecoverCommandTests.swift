import CarnetTestKit
import Foundation
import Glibc
import Testing

/// Issue 21 item 5 with real processes: a farm whose log is damaged in the middle, which
/// `record` and `sync` refuse, is recovered by `carnet recover`, said sound by `carnet
/// verify`, and gets back what the damage took from the hub's `carnet serve` over loopback.
@Suite(.serialized)
struct RecoverCommandTests {
    static func frames(_ bytes: [UInt8]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var offset = 16
        while offset + 8 <= bytes.count {
            let length = Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            ranges.append(offset..<(offset + 8 + length))
            offset += 8 + length
        }
        return ranges
    }

    static func entryIDs(_ sandbox: borrowing Sandbox, _ node: String) throws -> Set<String> {
        let entries = try sandbox.json(["log"], node: node) as? [[String: Any]] ?? []
        return Set(entries.compactMap { $0["id"] as? String })
    }

    @Test func aFarmDamagedInTheMiddleIsRecoveredAndASyncWithTheHubRestoresIt() throws {
        let seed = testSeed(default: 21_055)
        var random = SplitMix64(seed: seed)
        let sandbox = try Sandbox()
        try sandbox.initNode("hub", label: "Hub")
        try sandbox.initNode("farm", label: "Col")
        try sandbox.seedLedger("farm")
        for lot in 2...4 {
            try sandbox.ok(["record", "harvest", "--producer", "col", "--product", "tomme", "--qty", "\(lot)kg", "--lot", "L\(lot)",
                            "--date", "2026-06-02"], node: "farm")
        }
        let hub = try ServeProcess(directory: sandbox.path("hub"))
        let address = "127.0.0.1:\(try #require(hub.port, "hub: \(hub.firstLine)"))"
        try sandbox.ok(["sync", address], node: "farm")
        let logPath = sandbox.path("farm") + "/events.log"
        let synced = Self.frames(Array(try Data(contentsOf: URL(fileURLWithPath: logPath)))).count
        // Written after the sync: only this farm holds it, and recovery must keep it.
        try sandbox.ok(["record", "harvest", "--producer", "col", "--product", "tomme", "--qty", "9kg", "--lot", "L9",
                        "--date", "2026-06-03"], node: "farm")
        let original = try Self.entryIDs(sandbox, "farm")
        let node = (try sandbox.json(["status"], node: "farm") as? [String: Any])?["node"] as? String

        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: logPath)))
        let frames = Self.frames(bytes)
        let hit = frames[1 + Int(random.next() % UInt64(synced - 2))]
        bytes[hit.lowerBound + 8 + Int(random.next() % UInt64(hit.count - 8))] ^= 0x5A
        try Data(bytes).write(to: URL(fileURLWithPath: logPath))
        let context = "seed \(seed), damaged record at \(hit)"

        let refused = try sandbox.run(["record", "harvest", "--producer", "col", "--product", "tomme", "--qty", "1kg",
                                       "--lot", "L10", "--date", "2026-06-04"], node: "farm")
        #expect(refused.status == 65 && refused.stderr.contains("damaged"), "\(context): \(refused.stderr)")
        #expect(try sandbox.run(["verify"], node: "farm").status == 1, "\(context)")

        let recovered = try sandbox.run(["recover", "--json"], node: "farm")
        #expect(recovered.status == 0, "\(context): \(recovered.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(recovered.stdout.utf8)) as? [String: Any], "\(context)")
        #expect(report["sound"] as? Bool == false && report["changed"] as? Bool == true, "\(context): \(report)")
        let aside = try #require(report["setAside"] as? [String: Any], "\(context)")
        let asideFile = try #require(aside["file"] as? String, "\(context): \(aside)")
        #expect(asideFile.hasPrefix(sandbox.path("farm") + "/events.log.damaged-"), "\(context): \(asideFile)")
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: asideFile))) == Array(bytes[hit]), "\(context): the damaged bytes, byte for byte")
        let regions = aside["regions"] as? [[String: Any]] ?? []
        #expect(regions.count == 1 && regions.first?["start"] as? Int == hit.lowerBound && regions.first?["end"] as? Int == hit.upperBound,
                "\(context): \(regions)")
        #expect(report["continuedFrom"] as? String == node, "\(context): its own events may have been lost: a new id")
        #expect((report["next"] as? String)?.contains("carnet sync \(address)") == true, "\(context): \(report)")
        let kept = try Self.entryIDs(sandbox, "farm")
        // Entries after the gap wait in the log for the lost one: not shown until the sync
        // (StoreRecoveryTests counts the events themselves).
        #expect(kept.isSubset(of: original) && !kept.isEmpty, "\(context)")
        #expect((report["kept"] as? [String: Any])?["records"] as? Int == frames.count - 1, "\(context): \(report)")
        try sandbox.ok(["verify"], node: "farm")

        try sandbox.ok(["sync", address], node: "farm")
        #expect(try Self.entryIDs(sandbox, "farm") == original, "\(context): the sync restores every entry")
        try sandbox.ok(["record", "harvest", "--producer", "col", "--product", "tomme", "--qty", "1kg", "--lot", "L10",
                        "--date", "2026-06-04"], node: "farm")
        try sandbox.ok(["verify"], node: "farm")
        hub.stop()
    }

    @Test func aSoundStoreIsLeftAsItIs() throws {
        let sandbox = try Sandbox()
        try sandbox.initNode("farm", label: "Col")
        try sandbox.seedLedger("farm")
        let directory = sandbox.path("farm")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        let contents = try names.map { try Data(contentsOf: URL(fileURLWithPath: directory + "/" + $0)) }
        let out = try sandbox.ok(["recover"], node: "farm")
        #expect(out.contains("is sound: nothing to recover, nothing was changed"), "\(out)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == names)
        #expect(try names.map { try Data(contentsOf: URL(fileURLWithPath: directory + "/" + $0)) } == contents)
    }

    @Test func aTornTailIsSetAsideNotCutAndTheTextSaysWhatToDoNext() throws {
        let sandbox = try Sandbox()
        try sandbox.initNode("farm", label: "Col")
        try sandbox.seedLedger("farm")
        let logPath = sandbox.path("farm") + "/events.log"
        let handle = try #require(FileHandle(forWritingAtPath: logPath))
        handle.seekToEndOfFile()
        let torn: [UInt8] = [0, 0, 1, 0, 0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3]
        let size = Int(handle.offsetInFile)
        handle.write(Data(torn))
        handle.closeFile()
        let out = try sandbox.ok(["recover"], node: "farm")
        #expect(out.contains("set aside 11 damaged bytes in \(sandbox.path("farm"))/events.log.damaged-"), "\(out)")
        #expect(out.contains("bytes \(size)..<\(size + 11) of events.log"), "\(out)")
        #expect(out.contains("next: run `carnet sync HUB` to fetch the rest"), "\(out)")
        #expect(!out.contains("continues as node"), "a torn tail was never acknowledged: no new id needed\n\(out)")
        #expect(out.contains("verify: sound"), "\(out)")
        try sandbox.ok(["verify"], node: "farm")
    }
}
