import CarnetCore
import CarnetLedger
@testable import CarnetNode
import CarnetStore
import CarnetTestKit
import Foundation
import Testing

/// The entry index (SPEC §6.7) against the ledger state the store computes from every
/// event: what `show` and `log --limit` print from one must be what they print from the
/// other, for stores grown by shuffled deliveries in many records and processes, with
/// forks, voids (of an id and of one event), duplicate ids and catalog edits.
@Suite("Entry index")
struct EntryIndexTests {
    static func directory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("carnet-entries-\(UUID().uuidString)").path
    }

    /// What the index answers equals what the ledger state of `replica` says, for every id
    /// it holds, ids reversals name, one it does not hold, and every `log` prefix.
    static func expectAgreement(_ directory: String, _ replica: Replica, seed: UInt64, step: Int) throws {
        let indexed = try #require(IndexedLedger.current(directory: directory), "seed \(seed) step \(step): no current index")
        let state = LedgerState(replica: replica)
        let index = indexed.index
        #expect(index.entryCount == state.records.count, "seed \(seed) step \(step): entry count")
        var ids = Set(state.records.map(\.entry.id))
        ids.formUnion(state.records.compactMap(\.entry.ref))
        ids.insert("no-such-entry")
        for id in ids.sorted() {
            let found = try index.lookUp(id)
            #expect(found.records == state.records(withID: id), "seed \(seed) step \(step): records with id \(id)")
            #expect(found.reversals == state.reversals(of: id), "seed \(seed) step \(step): reversals of \(id)")
        }
        let newest = try index.newest(state.records.count + 1)
        let expected = state.records.reversed().map { ($0, state.voidingReversal(of: $0)) }
        #expect(newest.map(\.record) == expected.map(\.0), "seed \(seed) step \(step): log order")
        #expect(newest.map(\.voidedBy) == expected.map(\.1), "seed \(seed) step \(step): voided by")
        #expect(try index.newest(3).map(\.record) == Array(expected.prefix(3)).map(\.0), "seed \(seed) step \(step): log --limit 3")
        try expectWalks(index, expected, seed: seed, step: step)
        var assignments: [Event] = []
        replica.history.forEachEvent { if case .assign = $0.operation { assignments.append($0) } }
        assignments.sort { ($0.clock, $0.id) > ($1.clock, $1.id) }
        #expect(try index.newestChanges(assignments.count + 1) == assignments, "seed \(seed) step \(step): changes")
        let catalog = Catalog(replica: replica)
        let names = indexed.names
        let skus = catalog.products.map(\.key.id) + state.records.compactMap(\.entry.product) + ["no-such-product"]
        for sku in skus {
            #expect(names.productName(sku) == catalog.productName(sku) && names.unit(of: sku) == catalog.unit(of: sku),
                    "seed \(seed) step \(step): product \(sku)")
        }
        let parties = catalog.parties.map(\.key.id) + state.records.flatMap { [$0.entry.producer] + ($0.entry.party.map { [$0] } ?? []) }
        for party in parties + ["no-such-party"] {
            #expect(names.partyName(party) == catalog.partyName(party), "seed \(seed) step \(step): party \(party)")
        }
        for node in replica.history.nodeIDs + [NodeID.derived(from: "nobody")] {
            #expect(names.label(of: node) == replica.label(of: node), "seed \(seed) step \(step): label")
        }
    }

    /// The walk `log` streams (every entry, one producer's, at most N) gives what the ledger
    /// state gives, in the same order with the same voids, whatever the block it reads at a
    /// time: blocks of 1, 2 and 7 slots cross block edges, voids that lie in another block
    /// and records shared by two blocks.
    static func expectWalks(_ index: EntryIndex, _ expected: [(LedgerRecord, LedgerRecord?)], seed: UInt64, step: Int) throws {
        let producers = Set(expected.map(\.0.entry.producer)).sorted() + ["no-such-producer"]
        var rng = SplitMix64(seed: seed &+ UInt64(step))
        for block in [1, 2, 7, EntryIndex.newestBlock] {
            for producer in [nil] + producers.map(Optional.some) {
                let limit = Int.random(in: 0..<3, using: &rng) == 0 ? Int.max : Int.random(in: 1...(expected.count + 2), using: &rng)
                var walked: [(LedgerRecord, LedgerRecord?)] = []
                let handed = try index.forEachNewest(producer: producer, limit: limit, block: block) { record, voidedBy, _ in walked.append((record, voidedBy)) }
                let wanted = Array(expected.filter { producer == nil || $0.0.entry.producer == producer }.prefix(limit))
                let context = "seed \(seed) step \(step) block \(block) producer \(producer ?? "-") limit \(limit)"
                #expect(handed == wanted.count && walked.map(\.0) == wanted.map(\.0), "\(context): entries")
                #expect(walked.map(\.1) == wanted.map(\.1), "\(context): voided by")
                // Made on every core a piece at a time (`log --json`'s walk): the same, in order.
                var made: [(LedgerRecord, LedgerRecord?)] = []
                let handedMade = try index.forEachNewest(producer: producer, limit: limit, block: block,
                                                         making: { $0.map { ($0.record, $0.voidedBy) } }) { made.append($0) }
                #expect(handedMade == wanted.count && made.map(\.0) == wanted.map(\.0), "\(context): entries made")
                #expect(made.map(\.1) == wanted.map(\.1), "\(context): voided by, made")
            }
        }
    }

    @Test("shuffled deliveries in many records and processes: the index answers as the ledger state")
    func agreesWithTheLedgerState() throws {
        let base = testSeed(default: 0xE171_0001)
        for offset in 0..<24 as Range<UInt64> {
            let seed = base &+ offset
            let history = RandomHistory(seed: seed, nodes: 2 + Int(offset % 4), steps: 50 + Int(offset % 60))
            var rng = SplitMix64(seed: seed ^ 0x1D)
            var pending = history.events.shuffled(using: &rng)
            pending += pending.filter { _ in Int.random(in: 0..<6, using: &rng) == 0 }
            let directory = Self.directory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try LocalNode.create(directory: directory, ledger: "coop", label: "hub", node: NodeID.derived(from: "hub \(seed)"))
            var step = 0
            while !pending.isEmpty {
                // A new process now and then (the index then grows from the file the last
                // one left), and not every write leaves an index behind.
                var node = try LocalNode(directory: directory, wallMillis: 1_790_000_000_000)
                for _ in 0..<Int.random(in: 1...3, using: &rng) where !pending.isEmpty {
                    let chunk = Array(pending.prefix(Int.random(in: 1...12, using: &rng)))
                    pending.removeFirst(chunk.count)
                    _ = try node.persist(chunk)
                }
                if Int.random(in: 0..<4, using: &rng) == 0 && !pending.isEmpty { continue }
                #expect(node.views().warnings.isEmpty, "seed \(seed)")
                step += 1
                try Self.expectAgreement(directory, node.replica, seed: seed, step: step)
            }
            // Built from scratch (no earlier file to take locations from): the same bytes.
            let path = directory + "/" + EntryIndexFile.fileName
            let grown = try Data(contentsOf: URL(fileURLWithPath: path))
            try FileManager.default.removeItem(atPath: path)
            var node = try LocalNode(directory: directory, wallMillis: 1_790_000_000_000)
            _ = node.views()
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == grown, "seed \(seed): a rebuilt index differs from the grown one")
        }
    }

    @Test("verify makes the index again from every record and reports one that differs")
    func verifyFindsADisagreeingIndex() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try LocalNode.create(directory: directory, ledger: "coop", label: "hub", node: NodeID.derived(from: "hub"))
        var node = try LocalNode(directory: directory, wallMillis: 1_790_000_000_000)
        for index in 0..<3 {
            try node.write([.append(Entry(id: "h-\(index)", kind: "harvest", fields: [
                Field("producer", .text("col")), Field("date", .day(20_600)), Field("product", .text("P1")),
                Field("qty", .int(5_000)), Field("unit", .text("g")), Field("lot", .text("L1")),
            ]))], wallMillis: 1_790_000_000_000 + UInt64(index))
        }
        _ = node.views()
        var audit = try StoreAudit.run(directory: directory)
        #expect(audit.entryIndexCurrent && audit.entryIndexMatch == true, "\(audit.problems)")
        // A well-formed index of this very log state with two entries in the wrong order
        // (as a bug in the writer would leave it): only making it again can tell.
        var wrong = try #require(EntryIndexFile.current(directory: directory))
        wrong.entries.swapAt(0, 1)
        var store = try NodeStore(directory: directory, wallMillis: 1_790_000_000_000) { NodeID.derived(from: "x") }
        #expect(try store.saveStampedFile(EntryIndexFile.fileName, as: .entries,
                                          body: EntryIndexFile.encodeBody(wrong, stamp: store.stamp)))
        #expect(EntryIndexFile.current(directory: directory) == wrong)
        audit = try StoreAudit.run(directory: directory)
        #expect(audit.entryIndexCurrent && audit.entryIndexMatch == false)
        #expect(!audit.isSound && audit.problems.contains { $0.contains("the entry index disagrees with the log") },
                "\(audit.problems)")
    }

    @Test("stale, damaged at its head or cut short: not opened; a block or a pointer that does not check: Damage")
    func refusals() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try LocalNode.create(directory: directory, ledger: "coop", label: "hub", node: NodeID.derived(from: "hub"))
        var node = try LocalNode(directory: directory, wallMillis: 1_790_000_000_000)
        for index in 0..<300 {
            try node.write([.append(Entry(id: "h-\(index)", kind: "harvest", fields: [
                Field("producer", .text("col")), Field("date", .day(20_600)), Field("product", .text("P1")),
                Field("qty", .int(5_000)), Field("unit", .text("g")), Field("lot", .text("L1")),
            ]))], wallMillis: 1_790_000_000_000 + UInt64(index))
        }
        _ = node.views()
        #expect(try EntryIndex.current(directory: directory)?.lookUp("h-7").records.count == 1)
        let path = directory + "/" + EntryIndexFile.fileName
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        func with(_ bytes: [UInt8], _ check: () throws -> Void) throws {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            try check()
            try Data(original).write(to: URL(fileURLWithPath: path))
        }
        // The head: header, stamp and counts under their CRC.
        for position in [0, 9, 20, 40, 50, 54, 58] {
            var bytes = original
            bytes[position] ^= 0x04
            try with(bytes) { #expect(EntryIndex.current(directory: directory) == nil, "a head altered at \(position) was opened") }
        }
        try with(Array(original.dropLast(7))) { #expect(EntryIndex.current(directory: directory) == nil, "a cut file was opened") }
        // A block of the entries table: the slot that reads it throws, never answers.
        var bytes = original
        bytes[60 + 24 * 7 + 3] ^= 0x01
        try with(bytes) {
            let index = try #require(EntryIndex.current(directory: directory))
            #expect(throws: EntryIndex.Damage.self) { try index.lookUp("h-7") }
        }
        // A slot pointing at another event of the same record, its block's CRC made good (as
        // a bug would write it): the event read is not the one named.
        bytes = original
        let slot = 60 + 24 * 7
        bytes[slot + 11] ^= 0x01  // event index 0 → 1 (each write is its own record: no event 1)
        let blockEnd = 60 + 24 * 256
        let crc = CRC32C.checksum(Array(bytes[60..<blockEnd]))
        bytes[blockEnd] = UInt8(crc >> 24); bytes[blockEnd + 1] = UInt8((crc >> 16) & 0xFF)
        bytes[blockEnd + 2] = UInt8((crc >> 8) & 0xFF); bytes[blockEnd + 3] = UInt8(crc & 0xFF)
        try with(bytes) {
            let index = try #require(EntryIndex.current(directory: directory))
            #expect(throws: EntryIndex.Damage.self) { try index.lookUp("h-7") }
            #expect(try index.lookUp("h-8").records.count == 1, "the other slots still read")
        }
        // The newest entry said voided by the oldest, which cancels nothing (CRC made good):
        // the void is checked against the entries, not believed.
        bytes = original
        let newest = 60 + (256 * 24 + 4) + 43 * 24  // slot 299: the second block's 44th
        bytes[newest + 15] = 1  // voided by: 1 + slot 0
        let secondBlock = 60 + 256 * 24 + 4, secondEnd = secondBlock + 44 * 24
        let crc2 = CRC32C.checksum(Array(bytes[secondBlock..<secondEnd]))
        bytes[secondEnd] = UInt8(crc2 >> 24); bytes[secondEnd + 1] = UInt8((crc2 >> 16) & 0xFF)
        bytes[secondEnd + 2] = UInt8((crc2 >> 8) & 0xFF); bytes[secondEnd + 3] = UInt8(crc2 & 0xFF)
        try with(bytes) {
            let index = try #require(EntryIndex.current(directory: directory))
            #expect(throws: EntryIndex.Damage.self) { try index.newest(1) }
        }
        // The log moved on: the index describes an older state.
        var other = try LocalNode(directory: directory, wallMillis: 1_790_000_001_000)
        try other.write([.append(Entry(id: "h-new", kind: "harvest", fields: [Field("producer", .text("col"))]))],
                        wallMillis: 1_790_000_001_000)
        #expect(EntryIndex.current(directory: directory) == nil, "an index older than the log was opened")
    }
}
