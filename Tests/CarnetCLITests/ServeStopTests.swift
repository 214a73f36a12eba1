import Foundation
import Testing

/// Stopping `serve` costs what changed, not the ledger (issue 19: it folded every event
/// and rewrote the views under the store's lock, 5 to 19 s at 1M, even with nothing new).
@Suite(.serialized)
struct ServeStopTests {
    @Test func stoppingAServeThatLearnedNothingRewritesNoDerivedFile() throws {
        let box = try Sandbox()
        let secret = box.path("ledger.secret")
        try box.ok(["secret", "new", "--out", secret], node: nil)
        let hub = try SyncProcessTests.ServedNode(root: box.root, label: "hub", secretFile: secret)
        try box.seedLedger("hub")
        try box.ok(["stock"], node: "hub")  // leaves the status and views files current
        let before = try ["status", "views"].map { try Self.identity(of: hub.directory + "/" + $0) }

        try hub.start()
        Thread.sleep(forTimeInterval: 1.5)  // past the first maintenance ticks
        let (status, log) = hub.stop()
        #expect(status == 0, "serve: \(log)")
        let after = try ["status", "views"].map { try Self.identity(of: hub.directory + "/" + $0) }
        #expect(after == before, "serve rewrote a derived file it had nothing new for")
        // They are still believed: the next reading command answers from them.
        let stock = try box.ok(["stock"], node: "hub")
        #expect(stock.contains("12"), "\(stock)")
    }

    /// A file's inode and modification time: replaced atomically, a rewrite changes both.
    static func identity(of path: String) throws -> [String] {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return ["\(attributes[.systemFileNumber] ?? "?")", "\((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"]
    }
}
