import CarnetCore
import CarnetNet
import CarnetNode
import CarnetStore
import CarnetTestKit
import Foundation
import Testing

/// Issue 21 item 5: `carnet recover` on damage at every region of the log. Each case: a
/// farm that synced with a hub (over real loopback TCP) and wrote more since, a log damaged
/// at one place (seeded), then recovery; every intact event is kept, the damaged bytes are
/// in the aside file byte for byte, `verify`'s audit says sound, and a sync with the hub
/// restores every event.
@Suite(.serialized)
struct StoreRecoveryTests {
    enum Damage: String, CaseIterable, CustomStringConvertible {
        case header, firstRecord, middleLength, middlePayload, middleCRC, lastRecord, tornTail, staleCheckpoint, twoRegions
        var description: String { rawValue }
    }

    static let seed = testSeed(default: 21_05)
    let secret = LedgerSecret.generate()

    /// The frames of a log image: where each record begins and ends.
    static func records(_ bytes: [UInt8]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var offset = 16
        while offset + 8 <= bytes.count {
            let length = Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            ranges.append(offset..<(offset + 8 + length))
            offset += 8 + length
        }
        return ranges
    }

    static func read(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }
    static func write(_ bytes: [UInt8], _ path: String) throws { try Data(bytes).write(to: URL(fileURLWithPath: path)) }

    /// The events of the records in `ranges` of `bytes`, read by the store itself from a
    /// log of just those records.
    static func events(of ranges: [Range<Int>], in bytes: [UInt8]) throws -> Set<EventID> {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("carnet-records-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let header = Array("CARNETLG".utf8) + [0, 1, 0, 0, 0, 0, 0, 0]
        try write(header + ranges.flatMap { bytes[$0] }, directory + "/events.log")
        return Set(try EventLog.open(directory: directory).recovered.map(\.id))
    }

    @Test(arguments: Damage.allCases)
    func recoveryKeepsEveryIntactEventAndASyncRestoresTheRest(_ damage: Damage) throws {
        var random = SplitMix64(seed: Self.seed &+ UInt64(Damage.allCases.firstIndex(of: damage)!))
        let context = "seed \(Self.seed), damage \(damage)"
        let hub = try TestNode(label: "hub", secret: secret)
        let farm = try TestNode(label: "farm", secret: secret)
        defer { hub.cleanUp(); farm.cleanUp() }
        try hub.write(3, prefix: "h")
        try farm.write(6 + Int(random.next() % 5), prefix: "f")
        let server = RunningServer(try Server(store: try hub.open(), secret: secret, configuration: {
            var configuration = Server.Configuration()
            configuration.listen = SocketAddress(host: "127.0.0.1", port: 0)
            return configuration
        }()) { _ in })
        defer { server.stop() }
        #expect(try SyncClient.sync(store: try farm.open(), secret: secret, address: server.address).succeeded, "\(context)")
        // The records the hub holds too: the damage hits only those (events only this farm
        // holds are lost for good when hit; there is no way back for them).
        let synced = Self.records(try Self.read(farm.directory + "/events.log")).count
        // Events only this farm holds: recovery must keep them.
        if damage != .lastRecord { try farm.write(2, prefix: "unsynced") }
        if damage == .twoRegions || damage == .staleCheckpoint {
            var store = try NodeStore(directory: (damage == .twoRegions ? farm : hub).directory, wallMillis: 1_790_000_000_000) { NodeID.derived(from: "x") }
            #expect(try store.saveCheckpoint())
        }
        let original = Set(try NodeDirectory.events(of: farm.directory).events.map(\.id))
        let logPath = farm.directory + "/events.log"
        var bytes = try Self.read(logPath)
        let pristine = bytes
        let frames = Self.records(bytes)
        let middle = 1 + Int(random.next() % UInt64(synced - 2))
        func flip(_ offset: Int) { bytes[offset] ^= UInt8(1 + random.next() % 255) }
        func payloadByte(_ frame: Range<Int>) -> Int { frame.lowerBound + 8 + Int(random.next() % UInt64(frame.count - 8)) }
        var damaged: [Range<Int>] = []
        switch damage {
        case .header:
            flip(Int(random.next() % 8)); damaged = [0..<16]
        case .firstRecord:
            flip(payloadByte(frames[0])); damaged = [frames[0]]
        case .middleLength:
            flip(frames[middle].lowerBound + 2 + Int(random.next() % 2)); damaged = [frames[middle]]
        case .middlePayload:
            flip(payloadByte(frames[middle])); damaged = [frames[middle]]
        case .middleCRC:
            flip(frames[middle].lowerBound + 4 + Int(random.next() % 4)); damaged = [frames[middle]]
        case .lastRecord:
            flip(payloadByte(frames.last!)); damaged = [frames.last!]
        case .tornTail:
            let partial = Array(bytes[frames[0]].prefix(8 + Int(random.next() % 8)))
            damaged = [bytes.count..<(bytes.count + partial.count)]
            bytes += partial
        case .staleCheckpoint:
            try FileManager.default.copyItem(atPath: hub.directory + "/checkpoint", toPath: farm.directory + "/checkpoint")
        case .twoRegions:
            let apart = max(middle, 2)  // not next to the first: two regions, not one
            flip(payloadByte(frames[0])); flip(frames[apart].lowerBound + 4)
            damaged = [frames[0], frames[apart]]
        }
        let before = bytes
        try Self.write(bytes, logPath)
        let seen = try? StoreAudit.run(directory: farm.directory)
        #expect(seen?.isSound != true || seen?.tornTail == true, "\(context): the damage is seen")
        let lost = try Self.events(of: frames.filter { frame in damaged.contains { $0.overlaps(frame) } }, in: pristine)
        let intact = original.subtracting(lost)

        let inode = try FileManager.default.attributesOfItem(atPath: logPath)[.systemFileNumber] as? Int
        let outcome = try NodeRecovery.run(directory: farm.directory, now: Date(timeIntervalSince1970: 1_790_000_000),
                                           wallMillis: 1_790_000_100_000) { NodeID.derived(from: "farm-after-recovery") }
        let report = try #require(outcome.store, "\(context): recovery did nothing")
        #expect(!outcome.wasSound, "\(context)")
        #expect(outcome.after.isSound, "\(context): \(outcome.after.problems)")
        #expect(try StoreAudit.run(directory: farm.directory).isSound, "\(context)")
        let kept = Set(try NodeDirectory.events(of: farm.directory).events.map(\.id))
        #expect(intact.isSubset(of: kept), "\(context): \(intact.subtracting(kept).count) intact events lost")
        #expect(kept.subtracting(original).allSatisfy { $0.dot.node == report.node && report.continuedFrom != nil },
                "\(context): only the link event of a new incarnation is new")
        // The damaged bytes, byte for byte, in the aside file; none when only the checkpoint was stale.
        if damaged.isEmpty {
            #expect(report.asideFile == nil && !report.logRewritten && report.checkpointDropped, "\(context)")
            #expect(try Self.read(logPath) == before, "\(context): a sound log is not rewritten")
        } else {
            let aside = try Self.read(try #require(report.asideFile, "\(context)"))
            #expect(aside == damaged.flatMap { before[$0] }, "\(context): the aside file holds exactly the damaged bytes")
            #expect(report.regions.map(\.range) == damaged, "\(context): \(report.regions)")
            #expect(report.asideFile!.hasSuffix("events.log.damaged-20260921T141320Z"), "\(report.asideFile!)")
        }
        // Damage at the end is cut in place (a writer that opened the log meanwhile appends
        // to the file that stays); elsewhere a new file replaces the log.
        let inPlace = [.tornTail, .lastRecord, .staleCheckpoint].contains(damage)
        #expect((try FileManager.default.attributesOfItem(atPath: logPath)[.systemFileNumber] as? Int == inode) == inPlace, "\(context)")
        // Only damage that held whole records may have held this node's acknowledged events.
        let mustContinue = ![.header, .tornTail, .staleCheckpoint].contains(damage)
        #expect((report.continuedFrom != nil) == mustContinue, "\(context): continued from \(String(describing: report.continuedFrom))")
        if mustContinue { #expect(report.continuedFrom == farm.node && report.node != farm.node) }

        // A sync with the intact hub brings back everything the damage took.
        let sync = try SyncClient.sync(store: try farm.open(), secret: secret, address: server.address)
        #expect(sync.succeeded, "\(context): \(String(describing: sync.failure))")
        let restored = Set(try NodeDirectory.events(of: farm.directory).events.map(\.id))
        #expect(original.isSubset(of: restored), "\(context): \(original.subtracting(restored).count) events not restored")
        let audit = try StoreAudit.run(directory: farm.directory)
        #expect(audit.isSound && !audit.warnings.contains { $0.contains("predecessor") }, "\(context): \(audit.problems) \(audit.warnings)")
        // The farm's own unsynced events that waited for a lost predecessor become sendable
        // only once the session brought it: a second sync gives them to the hub.
        #expect(try SyncClient.sync(store: try farm.open(), secret: secret, address: server.address).succeeded, "\(context)")
        #expect(try farm.open().summary == (try hub.open().summary), "\(context): the farm and the hub hold the same events")
    }

    @Test func recoveryIsRefusedWhileAServerHoldsTheDirectoryAndChangesNothing() throws {
        let farm = try TestNode(label: "farm", secret: secret)
        defer { farm.cleanUp() }
        try farm.write(5, prefix: "f")
        let logPath = farm.directory + "/events.log"
        var bytes = try Self.read(logPath)
        let frames = Self.records(bytes)
        bytes[frames[2].lowerBound + 9] ^= 0x22
        try Self.write(bytes, logPath)
        let serving = try ServeLock(directory: farm.directory)
        serving.announce(pid: 4242, listening: "127.0.0.1:7420")
        #expect {
            _ = try NodeRecovery.run(directory: farm.directory, wallMillis: 1_790_000_100_000) { NodeID.derived(from: "never") }
        } throws: { error in
            "\(error)".contains("`carnet serve` is already running") && "\(error)".contains("pid 4242, listening on 127.0.0.1:7420")
        }
        #expect(try Self.read(logPath) == bytes)
        #expect(NodeRecovery.asideFiles(in: farm.directory).isEmpty)
        serving.release()
        #expect(try NodeRecovery.run(directory: farm.directory, wallMillis: 1_790_000_100_000) { NodeID.derived(from: "next") }.after.isSound)
    }

    @Test func recoveryOfASoundStoreSaysSoAndChangesNothing() throws {
        let farm = try TestNode(label: "farm", secret: secret)
        defer { farm.cleanUp() }
        try farm.write(5, prefix: "f")
        _ = try farm.open()
        let names = try FileManager.default.contentsOfDirectory(atPath: farm.directory).sorted()
        let contents = try names.map { try Self.read(farm.directory + "/" + $0) }
        let outcome = try NodeRecovery.run(directory: farm.directory, wallMillis: 1_790_000_100_000) { NodeID.derived(from: "never") }
        #expect(outcome.wasSound && outcome.store == nil && outcome.after.isSound)
        #expect(try FileManager.default.contentsOfDirectory(atPath: farm.directory).sorted() == names)
        #expect(try names.map { try Self.read(farm.directory + "/" + $0) } == contents)
    }
}
