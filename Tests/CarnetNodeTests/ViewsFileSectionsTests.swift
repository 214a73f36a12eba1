import CarnetCore
import CarnetLedger
import CarnetNode
import CarnetStore
import CarnetSystem
import CarnetTestKit
import CarnetWire
import Foundation
import Synchronization
import Testing

/// Views file version 7 (SPEC §6.5): a table of sections, each with its checksum, so that
/// a reading command reads and checks the header, the stamp, the table and the sections it
/// shows, and nothing else. Whatever it does read must be exactly as written, or the file
/// counts as absent; what it does not read may be damaged without it noticing.
@Suite("Views file sections")
struct ViewsFileSectionsTests {
    /// A hub with stock in two lots and a sale to a party: the sections read below hold
    /// something.
    static func hub() throws -> (directory: String, views: LedgerViews) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("carnet-sections-\(UUID().uuidString)").path
        try LocalNode.create(directory: directory, ledger: "coop", label: "hub", node: NodeID.derived(from: "hub"))
        var node = try LocalNode(directory: directory, wallMillis: 1_790_000_000_000)
        func entry(_ id: String, _ kind: String, _ lot: String, _ fields: [Field] = []) -> CarnetCore.Operation {
            .append(Entry(id: id, kind: kind, fields: Fields([
                Field("producer", .text("col")), Field("date", .day(20_600)), Field("product", .text("P1")),
                Field("qty", .int(700)), Field("unit", .text("g")), Field("lot", .text(lot)),
            ] + fields)))
        }
        try node.write([entry("h-1", "harvest", "L1"), entry("h-2", "harvest", "L2"),
                        entry("s-1", "sale", "L1", [Field("party", .text("shop")), Field("amount", .int(1_250))])],
                       wallMillis: 1_790_000_000_000)
        _ = node.saveDerivedState()
        let views = LedgerViews(replica: node.replica)
        #expect(!views.stock.isEmpty && !views.balances.isEmpty, "the hub fills the sections read")
        return (directory, views)
    }

    static func path(_ directory: String) -> String { directory + "/" + LedgerViewsFile.fileName }

    static func bytes(_ directory: String) throws -> [UInt8] {
        try [UInt8](Data(contentsOf: URL(fileURLWithPath: path(directory))))
    }

    static func write(_ bytes: [UInt8], _ directory: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path(directory)))
    }

    /// Where each section lies, read from the table as SPEC §6.5 lays it out (not through
    /// the code under test): 36 bytes of header and stamp, u8(n), n × 13 bytes, the
    /// table's u32 checksum, then the sections in the table's order.
    static func layout(_ bytes: [UInt8]) -> (tableEnd: Int, sections: [UInt8: Range<Int>]) {
        let count = Int(bytes[36])
        var offset = 37 + count * 13 + 4
        var sections: [UInt8: Range<Int>] = [:]
        for index in 0..<count {
            let at = 37 + index * 13
            let length = bytes[(at + 1)..<(at + 9)].reduce(0) { $0 << 8 | Int($1) }
            sections[bytes[at]] = offset..<(offset + length)
            offset += length
        }
        return (37 + count * 13, sections)
    }

    @Test("the file reads back as written, whole and section by section")
    func roundTrip() throws {
        let (directory, views) = try Self.hub()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(LedgerViewsFile.current(directory: directory) == views)
        let file = try Self.bytes(directory)
        #expect(Array(file[0..<10]) == Array("CARNETVW".utf8) + [0, 8], "version 7")
        let layout = Self.layout(file)
        // Every section but those the views say nothing of (no member chains without members).
        #expect(views.members.chainEnds == nil)
        #expect(layout.sections.count == LedgerViewsFile.Part.allCases.count - 1)
        #expect(layout.sections.values.map(\.upperBound).max() == file.count, "the last section ends the file")
        let decoded = try #require(StampedFile.decode(file, as: .views), "the whole file does not decode")
        #expect(LedgerViewsFile.decode(decoded.body) == views)
        #expect(decoded.encoded(as: .views) == file, "re-encoding changed the bytes")
        let balances = try #require(LedgerViewsFile.current(directory: directory, parts: [.balances]))
        #expect(balances.balances == views.balances && balances.stock.isEmpty && balances.labels.isEmpty)
    }

    @Test("a reader reads the header, the table and its sections, and no other byte")
    func readsOnlyItsSections() throws {
        let (directory, views) = try Self.hub()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let layout = Self.layout(try Self.bytes(directory))
        let storage = RecordingStorage()
        let read = try #require(LedgerViewsFile.current(directory: directory, parts: [.balances], storage: storage))
        #expect(read.balances == views.balances)
        let balances = try #require(layout.sections[LedgerViewsFile.Part.balances.rawValue])
        var covered = IndexSet()
        for (path, range) in storage.reads.withLock({ $0 }) where path.hasSuffix("/" + LedgerViewsFile.fileName) {
            covered.insert(integersIn: range)
        }
        var expected = IndexSet(integersIn: 0..<(layout.tableEnd + 4))
        expected.insert(integersIn: balances)
        #expect(covered == expected, "bytes read \(covered.rangeView.map { $0 }), expected \(expected.rangeView.map { $0 })")
    }

    @Test("damage in a section a reader does not need goes unseen; in one it needs, the file is absent")
    func damagedSection() throws {
        let (directory, views) = try Self.hub()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let original = try Self.bytes(directory)
        let stock = try #require(Self.layout(original).sections[LedgerViewsFile.Part.stock.rawValue])
        // The first lot's producer, "col", becomes "Col": bytes that still decode, so only
        // the section's checksum can tell.
        var damaged = original
        #expect(Array(original[(stock.lowerBound + 1)..<(stock.lowerBound + 5)]) == [3] + Array("col".utf8))
        damaged[stock.lowerBound + 2] ^= 0x20
        try Self.write(damaged, directory)
        let balances = LedgerViewsFile.current(directory: directory, parts: [.balances, .catalog])
        #expect(balances?.balances == views.balances, "balances do not need the stock lots")
        #expect(LedgerViewsFile.current(directory: directory, parts: [.stockTotals]) != nil, "stock totals are a section of their own")
        #expect(LedgerViewsFile.current(directory: directory, parts: [.stock]) == nil, "damaged stock lots were believed")
        #expect(LedgerViewsFile.current(directory: directory) == nil, "a reader of every section believed damaged lots")
        #expect(StampedFile.current(LedgerViewsFile.fileName, as: .views, directory: directory) == nil,
                "the whole-file reader (verify) believed damaged lots")
    }

    @Test("a file cut short or grown is absent, even to a reader of its first section")
    func truncated() throws {
        let (directory, _) = try Self.hub()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let original = try Self.bytes(directory)
        let counts = try #require(Self.layout(original).sections[LedgerViewsFile.Part.counts.rawValue])
        #expect(counts.upperBound < original.count - 1, "the counts section is not the last")
        for cut in [original.count - 1, counts.upperBound, 40, 36, 10, 0] {
            try Self.write(Array(original[..<cut]), directory)
            #expect(LedgerViewsFile.current(directory: directory, parts: [.counts]) == nil,
                    "a file cut to \(cut) of \(original.count) bytes was believed")
        }
        try Self.write(original + [0], directory)
        #expect(LedgerViewsFile.current(directory: directory, parts: [.counts]) == nil, "a file with a byte more was believed")
        try Self.write(original, directory)
        #expect(LedgerViewsFile.current(directory: directory, parts: [.counts]) != nil)
    }

    @Test("a table, header or stamp that fails the table's checksum makes the file absent")
    func badTable() throws {
        let (directory, _) = try Self.hub()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let original = try Self.bytes(directory)
        let tableEnd = Self.layout(original).tableEnd
        // A reserved header byte (no version reads it), a stamp byte, the section count, a
        // length, a section's checksum, the table's checksum.
        for at in [12, 30, 36, 37 + 5, 37 + 10, tableEnd + 2] {
            var damaged = original
            damaged[at] ^= 0x01
            try Self.write(damaged, directory)
            #expect(LedgerViewsFile.current(directory: directory, parts: [.labels]) == nil,
                    "byte \(at) of the header, stamp or table altered, and the file was believed")
        }
        for version: UInt8 in [5, 6, 7, 9] {
            var other = original
            other[9] = version
            try Self.write(other, directory)
            #expect(LedgerViewsFile.current(directory: directory, parts: [.labels]) == nil, "a file of version \(version) was believed")
        }
    }

    @Test("a version-5 file (one checksum over the whole file) is stale, and the next writer writes version 8")
    func versionFiveIsStale() throws {
        let (directory, views) = try Self.hub()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let current = try #require(StampedFile.current(LedgerViewsFile.fileName, as: .views, directory: directory))
        // What version 5 wrote for the same state: header, stamp, the section list, trailer.
        let five = StampedFile(stamp: current.stamp, body: LedgerViewsFile.encode(views))
            .encoded(as: FileHeader(magic: "CARNETVW", version: 5))
        #expect(five[9] == 5 && five.count == 16 + 20 + LedgerViewsFile.encode(views).count + 4)
        try Self.write(five, directory)
        #expect(LedgerViewsFile.current(directory: directory) == nil, "a version-5 file was believed")
        #expect(LedgerViewsFile.current(directory: directory, parts: [.counts]) == nil, "a version-5 file was believed")

        var node = try LocalNode(directory: directory, wallMillis: 1_790_000_001_000)
        _ = node.views()
        #expect(try Self.bytes(directory)[9] == 8, "the writer left version 5 in place")
        #expect(LedgerViewsFile.current(directory: directory) == views)
    }
}

/// The real disk, with every read of every file remembered (path and byte range).
final class RecordingStorage: Storage {
    let disk = PosixStorage()
    let reads = Mutex<[(String, Range<Int>)]>([])

    func open(_ path: String, create: Bool, truncate: Bool) throws(SystemError) -> any StorageFile {
        RecordingFile(try disk.open(path, create: create, truncate: truncate), reads: self)
    }

    func openReadOnly(_ path: String) throws(SystemError) -> any StorageFile {
        RecordingFile(try disk.openReadOnly(path), reads: self)
    }

    func exists(_ path: String) -> Bool { disk.exists(path) }
    func syncDirectory(_ path: String) throws(SystemError) { try disk.syncDirectory(path) }
    func rename(_ source: String, to destination: String) throws(SystemError) { try disk.rename(source, to: destination) }
    func remove(_ path: String) { disk.remove(path) }
    func createDirectory(_ path: String) throws(SystemError) { try disk.createDirectory(path) }
    func identity(of path: String) throws(SystemError) -> (device: UInt64, inode: UInt64) { try disk.identity(of: path) }
    func createTemporary(for path: String) throws(SystemError) -> any StorageFile { try disk.createTemporary(for: path) }
}

final class RecordingFile: StorageFile {
    let file: any StorageFile
    let storage: RecordingStorage

    init(_ file: any StorageFile, reads storage: RecordingStorage) {
        self.file = file
        self.storage = storage
    }

    var path: String { file.path }
    func size() throws(SystemError) -> Int { try file.size() }

    func read(at offset: Int, count: Int) throws(SystemError) -> [UInt8] {
        let bytes = try file.read(at: offset, count: count)
        storage.reads.withLock { $0.append((file.path, offset..<(offset + bytes.count))) }
        return bytes
    }

    func writeSome(_ bytes: ArraySlice<UInt8>, at offset: Int) throws(SystemError) -> Int { try file.writeSome(bytes, at: offset) }
    func sync() throws(SystemError) { try file.sync() }
    func truncate(to length: Int) throws(SystemError) { try file.truncate(to: length) }
    func lockExclusive() throws(SystemError) { try file.lockExclusive() }
    func unlock() { file.unlock() }
}

extension ViewsFileSectionsTests {
    @Test("the conflicts are read one at a time as the section gives them; a section that does not read stops")
    func conflictsOneAtATime() throws {
        let (directory, views) = try Self.hub()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let seed = testSeed(default: 0xC0F1_1C75)
        var rng = SplitMix64(seed: seed)
        var withConflicts = views
        withConflicts.conflicts = (0..<300).map { index in
            let sides = (0..<Int(rng.next() % 4)).map { side in
                ConflictSide(event: EventID(dot: Dot(node: NodeID.derived(from: "w\(side)"), seq: rng.next() % 900 + 1), hash: .zero),
                             clock: HLCTimestamp(physical: rng.next() % 1_000_000, logical: UInt32(side)),
                             detail: "côté \(side)", value: side == 0 ? nil : .text("v\(index)"))
            }
            return ConflictReport(kind: index % 2 == 0 ? .field : .stockBelowZero, subject: "s\(index)", summary: "r\(index)",
                                  sides: sides, suggestion: "")
        }
        let stamp = try #require(StampedSections.current(LedgerViewsFile.fileName, as: .views, directory: directory, wanted: [])).stamp
        try ViewsBlocksTests.write(withConflicts, stamp: stamp, directory)
        let (read, section) = try #require(LedgerViewsFile.currentWithConflictBytes(directory: directory, parts: [.catalog, .labels]))
        #expect(read.catalog == views.catalog && read.labels == views.labels && read.conflicts.isEmpty)
        var each: [ConflictReport] = []
        #expect(LedgerViewsFile.eachConflict(in: section) { each.append($0) })
        #expect(each == withConflicts.conflicts, "seed \(seed): one at a time is not the whole section")
        // Cut short, or with a byte past its end: what read before is given, then false.
        for broken in [Array(section.dropLast(3)), section + [0]] {
            var some: [ConflictReport] = []
            #expect(!LedgerViewsFile.eachConflict(in: broken) { some.append($0) }, "seed \(seed)")
            #expect(some == Array(withConflicts.conflicts.prefix(some.count)), "seed \(seed)")
        }
    }

    @Test("member chains read back as written; a standing out of range, roles not as written or nodes out of order do not")
    func memberChains() throws {
        var views = LedgerViews.empty
        let (low, high) = [NodeID.derived(from: "chain a"), NodeID.derived(from: "chain b")].sorted().pair
        views.members = MembersView(enforced: true, ownRoles: .creator, ownRevoked: false, heldAside: 1, revoked: 0, outOfRole: 2,
                                    chainEnds: [low: MemberChainEnd(standing: .roles(try MemberRoles(text: "producer:F00 catalog")), limit: 7),
                                                high: MemberChainEnd(standing: .adopted, limit: nil)],
                                    newNodes: MemberNewNodes(named: [NodeID.derived(from: "chain c"): MemberChainEnd(standing: .unenrolled, limit: 3)],
                                                             devices: [[UInt8](repeating: 7, count: 32): .revoked]))
        let body = LedgerViewsFile.encode(views)
        #expect(LedgerViewsFile.decode(body) == views)
        let sections = try #require(StampedSections.parseList(body)).map { ($0.id, Array($0.bytes)) }
        let chains = try #require(sections.first { $0.0 == LedgerViewsFile.Part.memberChains.rawValue }?.1)
        func with(_ replaced: [UInt8]) -> LedgerViews? {
            LedgerViewsFile.decode(StampedSections.list(sections.map { $0.0 == LedgerViewsFile.Part.memberChains.rawValue ? ($0.0, replaced) : $0 }))
        }
        // count, node (16), standing, roles, limit; then the second line.
        var outOfRange = chains
        outOfRange[17] = 4
        #expect(with(outOfRange) == nil, "a standing above 3 was read")
        var unsorted = chains
        unsorted.replaceSubrange(1..<17, with: high.bytes)
        #expect(with(unsorted) == nil, "nodes out of order were read")
        var reordered = chains
        let roles = Array("producer:F00 catalog".utf8)
        #expect(Array(reordered[19..<(19 + roles.count)]) == Array("catalog producer:F00".utf8))
        reordered.replaceSubrange(19..<(19 + roles.count), with: roles)
        #expect(with(reordered) == nil, "roles not as a member record writes them were read")
        // A file without the section reads, without chain ends.
        let without = StampedSections.list(sections.filter { $0.0 != LedgerViewsFile.Part.memberChains.rawValue })
        #expect(LedgerViewsFile.decode(without)?.members.chainEnds == nil)
    }
}

private extension Array where Element == NodeID {
    var pair: (NodeID, NodeID) { (self[0], self[1]) }
}
