import CarnetCore
import CarnetLedger
import CarnetNode
import CarnetStore
import CarnetTestKit
import CarnetWire
import Foundation
import Testing

/// The views file: what reading commands answer from. It must say exactly what folding
/// every event says, and be believed only for the log state it was written for.
@Suite("Views file")
struct LedgerViewsFileTests {
    @Test("the views of random histories (forks, conflicts, voids, catalog edits) read back identical")
    func roundTrip() {
        let base = testSeed(default: 0x7E15_0001)
        for offset in 0..<150 as Range<UInt64> {
            let seed = base &+ offset
            let history = RandomHistory(seed: seed, nodes: 2 + Int(offset % 4), steps: 30 + Int(offset % 60))
            var replica = Replica(node: NodeID.derived(from: "reader"))
            replica.admit(contentsOf: history.events)
            let views = LedgerViews(replica: replica)
            let body = LedgerViewsFile.encode(views)
            let decoded = LedgerViewsFile.decode(body)
            #expect(decoded == views, "seed \(seed): the views file does not read back as written")
            #expect(decoded.map(LedgerViewsFile.encode) == body, "seed \(seed): re-encoding changed the bytes")
        }
    }

    @Test("every delivery order writes the same views file, byte for byte")
    func sameBytesWhateverTheOrder() {
        let base = testSeed(default: 0x7E15_0002)
        for offset in 0..<60 as Range<UInt64> {
            let seed = base &+ offset
            let history = RandomHistory(seed: seed, nodes: 3, steps: 60)
            var rng = SplitMix64(seed: seed)
            var inOrder = Replica(node: NodeID.derived(from: "reader"))
            inOrder.admit(contentsOf: history.events)
            var shuffled = Replica(node: NodeID.derived(from: "other reader"))
            shuffled.admit(contentsOf: history.events.shuffled(using: &rng) + history.events.shuffled(using: &rng))
            #expect(LedgerViewsFile.encode(LedgerViews(replica: inOrder)) == LedgerViewsFile.encode(LedgerViews(replica: shuffled)),
                    "seed \(seed): two nodes holding the same events wrote different views files")
        }
    }

    @Test("a command reads only the sections it shows; the others stay empty")
    func sections() {
        let history = RandomHistory(seed: testSeed(default: 0x7E15_0004), nodes: 3, steps: 80)
        var replica = Replica(node: NodeID.derived(from: "reader"))
        replica.admit(contentsOf: history.events)
        let views = LedgerViews(replica: replica)
        let body = LedgerViewsFile.encode(views)
        let balances = LedgerViewsFile.decode(body, parts: [.balances])
        #expect(balances?.balances == views.balances && balances?.stock == [] && balances?.conflicts == [])
        let conflicts = LedgerViewsFile.decode(body, parts: [.conflicts, .labels])
        #expect(conflicts?.conflicts == views.conflicts && conflicts?.labels == views.labels && conflicts?.catalog.products == [])
        #expect(!views.conflicts.isEmpty && !views.balances.isEmpty, "the history exercises both sections")
    }

    @Test("a truncated or altered body is refused, never misread")
    func damagedBodies() {
        let history = RandomHistory(seed: testSeed(default: 0x7E15_0003), nodes: 3, steps: 80)
        var replica = Replica(node: NodeID.derived(from: "reader"))
        replica.admit(contentsOf: history.events)
        let body = LedgerViewsFile.encode(LedgerViews(replica: replica))
        for cut in stride(from: 0, to: body.count, by: max(1, body.count / 97)) {
            #expect(LedgerViewsFile.decode(Array(body[..<cut])) == nil, "a body cut at \(cut) of \(body.count) bytes was read")
        }
        #expect(LedgerViewsFile.decode(body + [0]) == nil, "a body with a trailing byte was read")
    }

    @Test("the file is believed only while the log is exactly as stamped")
    func stamped() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("carnet-views-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try LocalNode.create(directory: directory, ledger: "coop", label: "hub", node: NodeID.derived(from: "hub"))
        var node = try LocalNode(directory: directory, wallMillis: 1_790_000_000_000)
        try node.write([.append(Entry(id: "h-1", kind: "harvest", fields: [
            Field("producer", .text("col")), Field("date", .day(20_600)), Field("product", .text("P1")),
            Field("qty", .int(5_000)), Field("unit", .text("g")), Field("lot", .text("L1")),
        ]))], wallMillis: 1_790_000_000_000)
        _ = node.saveDerivedState()
        let written = try #require(LedgerViewsFile.current(directory: directory), "no current views file after a write")
        #expect(written.stock.map(\.quantity) == [5_000])
        #expect(written == LedgerViews(replica: node.replica))

        // Another byte in the file: the checksum no longer holds.
        let path = directory + "/" + LedgerViewsFile.fileName
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let original = bytes
        bytes[bytes.count / 2] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(LedgerViewsFile.current(directory: directory) == nil, "an altered views file was believed")

        // Another version of the file, earlier or later: not read (the reader falls back to
        // the log).
        bytes = original
        #expect(bytes[9] == 8, "this version writes version 8")
        bytes[9] = 7
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(LedgerViewsFile.current(directory: directory) == nil, "a views file of version 7 (without section 13) was read")
        bytes[9] = 9
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(LedgerViewsFile.current(directory: directory) == nil, "a views file of another version was read")

        // The log moved on (another process wrote): the file describes an older state.
        try Data(original).write(to: URL(fileURLWithPath: path))
        #expect(LedgerViewsFile.current(directory: directory) != nil)
        var other = try LocalNode(directory: directory, wallMillis: 1_790_000_001_000)
        try other.write([.append(Entry(id: "h-2", kind: "harvest", fields: [Field("producer", .text("col"))]))],
                        wallMillis: 1_790_000_001_000)
        #expect(LedgerViewsFile.current(directory: directory) == nil, "a views file older than the log was believed")
    }

    @Test("verify compares the views file with the views folded from the log")
    func verifyFindsADisagreeingFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("carnet-views-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try LocalNode.create(directory: directory, ledger: "coop", label: "hub", node: NodeID.derived(from: "hub"))
        var node = try LocalNode(directory: directory, wallMillis: 1_790_000_000_000)
        try node.write([.append(Entry(id: "h-1", kind: "harvest", fields: [
            Field("producer", .text("col")), Field("date", .day(20_600)), Field("product", .text("P1")),
            Field("qty", .int(5_000)), Field("unit", .text("g")), Field("lot", .text("L1")),
        ]))], wallMillis: 1_790_000_000_000)
        _ = node.saveDerivedState()
        var audit = try StoreAudit.run(directory: directory)
        #expect(audit.viewsCurrent && audit.viewsMatch == true, "\(audit.problems)")

        // A well-formed file for this very log state that says the wrong stock (as a bug in
        // an incremental fold would): only a recomputation can tell, and verify must.
        var wrong = LedgerViews(replica: node.replica)
        wrong.stock[0].quantity = 4_000
        var store = try NodeStore(directory: directory, wallMillis: 1_790_000_000_000) { NodeID.derived(from: "x") }
        try store.saveStampedFile(LedgerViewsFile.fileName, as: .views, body: LedgerViewsFile.encode(wrong))
        #expect(LedgerViewsFile.current(directory: directory) == wrong)
        audit = try StoreAudit.run(directory: directory)
        #expect(audit.viewsCurrent && audit.viewsMatch == false)
        #expect(!audit.isSound && audit.problems.contains { $0.contains("views file disagrees with the log (stock, stock totals)") },
                "\(audit.problems)")
    }

    /// Section 9 (SPEC §6.5): `stock` without `--by-lot` reads the totals alone; they are the
    /// lots summed per producer and product, zeros left out, and verify checks them.
    @Test("the stock totals are the lots summed, and verify checks them")
    func stockTotalsAreTheLotsSummed() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("carnet-views-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try LocalNode.create(directory: directory, ledger: "coop", label: "hub", node: NodeID.derived(from: "hub"))
        var node = try LocalNode(directory: directory, wallMillis: 1_790_000_000_000)
        func harvest(_ id: String, _ producer: String, _ product: String, _ lot: String, _ qty: Int64, kind: String = "harvest") -> CarnetCore.Operation {
            .append(Entry(id: id, kind: kind, fields: [
                Field("producer", .text(producer)), Field("date", .day(20_600)), Field("product", .text(product)),
                Field("qty", .int(qty)), Field("unit", .text("g")), Field("lot", .text(lot)),
            ]))
        }
        try node.write([harvest("h-1", "col", "P1", "L1", 5_000), harvest("h-2", "col", "P1", "L2", 2_000),
                        harvest("h-3", "col", "P2", "L1", 700), harvest("h-4", "val", "P1", "L9", 300),
                        harvest("l-1", "val", "P1", "L9", 300, kind: "loss")], wallMillis: 1_790_000_000_000)
        _ = node.saveDerivedState()
        let totals = try #require(LedgerViewsFile.current(directory: directory, parts: [.stockTotals])).stock
        #expect(totals.map { "\($0.producer)/\($0.product)=\($0.quantity)\($0.unit?.rawValue ?? "")/\($0.lot)" }
                == ["col/P1=7000g/", "col/P2=700g/"], "val's P1 is at zero: left out")
        // Both sections asked for: the lots, not the totals.
        #expect(LedgerViewsFile.current(directory: directory, parts: [.stock, .stockTotals])?.stock.count == 4)
        let audit = try StoreAudit.run(directory: directory)
        #expect(audit.viewsMatch == true, "\(audit.problems)")
    }
}
