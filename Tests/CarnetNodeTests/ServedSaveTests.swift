import CarnetCore
import CarnetLedger
import CarnetNode
import CarnetStore
import Foundation
import Testing

/// `serve`'s saves of the status and views files (`SharedStore.saveServedStatus`): never
/// the whole ledger under the store's lock, and nothing on stopping that could take long.
/// The files are derived and stamped: whatever is skipped leaves one that readers refuse
/// (and rebuild), never one they believe wrongly.
@Suite("Served saves")
struct ServedSaveTests {
    static let wall: UInt64 = 1_790_000_000_000

    static func harvest(_ id: String) -> CarnetCore.Operation {
        .append(Entry(id: id, kind: "harvest", fields: [Field("producer", .text("col")), Field("product", .text("miel")),
                                                         Field("qty", .int(1)), Field("unit", .text("kg"))]))
    }

    @Test("a cold fold writes nothing; a warm one writes views equal to folding every event")
    func coldThenWarm() throws {
        let node = try TestNode(label: "hub", secret: LedgerSecret.generate())
        defer { try? FileManager.default.removeItem(atPath: node.directory) }
        try node.write(40, prefix: "old")
        let store = try node.open()
        try store.write([Self.harvest("new-1")], wallMillis: Self.wall + 100)

        // Cold: folding every event would happen under the lock; the save waits for warmFold.
        #expect(store.saveServedStatus(stopping: false) == nil)
        #expect(LedgerViewsFile.current(directory: node.directory) == nil)

        store.warmFold()
        try store.write([Self.harvest("new-2")], wallMillis: Self.wall + 200)
        #expect(store.saveServedStatus(stopping: false) == nil)
        let saved = try #require(LedgerViewsFile.current(directory: node.directory))
        var fresh = LedgerFold()
        #expect(saved == LedgerViews(replica: store.replica, fold: &fresh))
        #expect(saved.entryCount + saved.unreadableCount == 42)
    }

    @Test("stopping skips a save slower than its budget, and no save writes after it")
    func stoppingSkipsASlowSave() throws {
        let node = try TestNode(label: "hub", secret: LedgerSecret.generate())
        defer { try? FileManager.default.removeItem(atPath: node.directory) }
        let store = try node.open()
        store.warmFold()
        try store.write([Self.harvest("a")], wallMillis: Self.wall)
        _ = store.saveServedStatus(stopping: false)
        #expect(LedgerViewsFile.current(directory: node.directory).map { $0.entryCount + $0.unreadableCount } == 1)

        // Every save takes more than no time at all: the stopping one is skipped, and the
        // file left describes an older log, which readers refuse.
        try store.write([Self.harvest("b")], wallMillis: Self.wall + 1)
        #expect(store.saveServedStatus(stopping: true, budget: .zero) == nil)
        #expect(LedgerViewsFile.current(directory: node.directory) == nil)
        // A save still building when the server stopped writes nothing after it.
        #expect(store.saveServedStatus(stopping: false) == nil)
        #expect(LedgerViewsFile.current(directory: node.directory) == nil)

        // Within its budget, the stopping save writes.
        let other = try node.open()
        other.warmFold()
        try other.write([Self.harvest("c")], wallMillis: Self.wall + 2)
        _ = other.saveServedStatus(stopping: true, budget: .seconds(60))
        #expect(LedgerViewsFile.current(directory: node.directory).map { $0.entryCount + $0.unreadableCount } == 3)
    }
}
